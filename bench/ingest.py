"""Benchmark of URL ingestion through real Celery workers: one worker process, then two.

Serves N distinct article pages from a local HTTP server (each answers after a short delay,
like a real site), queues a fetch job per page, and times how long the workers take to turn
them all into snapshots. Prints pages per second for each run and the ratio.

    .venv/bin/python bench/ingest.py                 # 40 pages, 50 ms per page
    .venv/bin/python bench/ingest.py --pages 200 --delay 0.2

Runs against a throw-away database made next to DATABASE_URL's (Django's test database), with
the broker the settings name (Redis when CELERY_BROKER_URL is set, the filesystem otherwise).
The filesystem transport polls its folder (every 0.1 s, factcheck/embedded.py), which caps
each worker process at a few pages per second: measure with Redis for numbers that compare.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

    from tests.fixtures_http import FixtureServer


def run(
    pages: int, workers: int, first: int, server: "FixtureServer", actor: "AbstractBaseUser", log_dir: Path
) -> float:
    """Pages per second for ``pages`` fetch jobs on ``workers`` worker processes."""
    from sources import services
    from sources.models import Job, JobStatus
    from tests.worker import WorkerProcess

    processes = []
    try:
        for n in range(workers):
            folder = log_dir / f"run{first}-worker{n}"
            folder.mkdir(parents=True)
            processes.append(WorkerProcess(folder, concurrency=1).start(purge=n == 0))
        started = time.perf_counter()
        jobs = [
            services.ingest_url(actor=actor, url=server.url(f"/page/{number}")).pk
            for number in range(first, first + pages)
        ]
        remaining = Job.objects.filter(pk__in=jobs).exclude(
            status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]
        )
        processes[0].wait_for(
            lambda: not remaining.exists(), timeout=30 + pages * 5, what="every job to finish"
        )
        elapsed = time.perf_counter() - started
        failed = Job.objects.filter(pk__in=jobs, status=JobStatus.FAILED).count()
        if failed:
            print(f"  warning: {failed} of {pages} jobs failed", file=sys.stderr)
        return pages / elapsed
    finally:
        for process in processes:
            process.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=40, help="pages per run (default 40)")
    parser.add_argument("--delay", type=float, default=0.05, help="seconds each page takes to answer")
    args = parser.parse_args()

    # The fixture server runs here; the workers (subprocesses) must be allowed to fetch it.
    os.environ["FETCH_ALLOW_PRIVATE_ADDRESSES"] = "1"
    os.environ["FIXTURE_PAGE_DELAY"] = str(args.delay)
    bench.setup_django()

    from django.contrib.auth import get_user_model
    from django.test.utils import setup_databases, teardown_databases

    from tests.fixtures_http import FixtureServer

    databases = setup_databases(verbosity=0, interactive=False)
    server = FixtureServer().start()
    try:
        actor = get_user_model().objects.create_superuser("bench", "bench@example.org", None)
        with tempfile.TemporaryDirectory() as logs:
            one = run(args.pages, 1, 0, server, actor, Path(logs))
            two = run(args.pages, 2, args.pages, server, actor, Path(logs))
    finally:
        server.stop()
        teardown_databases(databases, verbosity=0)

    print(f"ingest: {args.pages} pages per run, {args.delay * 1000:.0f} ms per page")
    print(f"  1 worker process : {one:7.1f} pages/s")
    print(f"  2 worker processes: {two:7.1f} pages/s")
    print(f"  ratio 2/1        : {two / one:7.2f}")


if __name__ == "__main__":
    main()
