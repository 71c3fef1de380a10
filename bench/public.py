"""Benchmark of the public site under gunicorn (2 workers, loopback), in one run.

Measures requests per second of:
- a minimal Django view on the same server (the yardstick),
- claim pages rendered cold (a different claim each request, nothing cached),
- search pages (a different query each request),
- the 304 path (If-None-Match with the page's ETag: one small query, no rendering),
- the cached path (the same claim pages again: served from the rendered-page cache),
and prints each as a ratio of the minimal view.

    .venv/bin/python bench/public.py --claims 100000      # the issue's scale
    .venv/bin/python bench/public.py --claims 2000 --seconds 3   # a quick run

Uses DATABASE_URL like the app; the corpus comes from ``manage.py synth`` (made if missing).
"""

import argparse
import http.client
import os
import random
import re
import socket
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench

ROOT = bench.ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def client(args: tuple[int, list[tuple[str, dict]], float]) -> tuple[int, dict[int, int]]:
    """One load-generating process: requests its list round-robin for ``seconds``."""
    port, requests, seconds = args
    statuses: dict[int, int] = {}
    done, i = 0, 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        path, headers = requests[i % len(requests)]
        i += 1
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", path, headers={"Host": "localhost", **headers})
        response = conn.getresponse()
        response.read()
        conn.close()
        statuses[response.status] = statuses.get(response.status, 0) + 1
        done += 1
    return done, statuses


def measure(
    port: int, requests: list[tuple[str, dict]], *, clients: int, seconds: float
) -> tuple[float, dict]:
    chunks = [requests[i::clients] or requests for i in range(clients)]
    started = time.perf_counter()
    with ProcessPoolExecutor(clients) as pool:
        results = list(pool.map(client, [(port, chunk, seconds) for chunk in chunks]))
    elapsed = time.perf_counter() - started
    total = sum(done for done, _ in results)
    statuses: dict[int, int] = {}
    for _, s in results:
        for code, n in s.items():
            statuses[code] = statuses.get(code, 0) + n
    return total / elapsed, statuses


def fetch(port: int, path: str, headers: dict | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path, headers={"Host": "localhost", **(headers or {})})
    response = conn.getresponse()
    response.body = response.read()
    conn.close()
    return response


def wait_until_up(port: int, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise SystemExit("gunicorn exited; see its output above")
        try:
            if fetch(port, "/bench/minimal/").status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--claims", type=int, default=100_000, help="size of the synthetic corpus")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each measurement")
    parser.add_argument("--clients", type=int, default=4, help="concurrent client processes")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.public_settings"
    bench.setup_django()
    from django.core.management import call_command

    from claims.models import PUBLIC_CLAIM_STATUSES, Claim

    corpus = bench.ensure_corpus(args.claims)
    call_command("collectstatic", interactive=False, verbosity=0)
    public = Claim.objects.filter(status__in=PUBLIC_CLAIM_STATUSES)
    n_public = public.count()
    rng = random.Random(7)
    sample = list(public.order_by("?").values_list("pk", "slug", "statement")[:3000])
    words = sorted({w.lower() for *_, text in sample for w in re.findall(r"[A-Za-z]{5,}", text)})
    print(f"corpus: {corpus} synthetic claims, {n_public} public; {len(sample)} sampled pages")

    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.public_settings", "PYTHONPATH": str(ROOT)}
    gunicorn = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "factcheck.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
            "--threads",
            "1",  # sync workers: the project's gunicorn.conf.py asks for threads
            "--access-logfile",
            "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        wait_until_up(port, gunicorn)
        claim_paths = [f"/claims/{pk}-{slug}/" for pk, slug, _ in sample]
        rng.shuffle(claim_paths)
        half = len(claim_paths) // 2
        cold, warm = claim_paths[:half], claim_paths[half:][:50]
        searches = ["/claims/?" + urlencode({"q": " ".join(rng.sample(words, 2))}) for _ in range(2000)]
        # ETags for the 304 path; warming the cached path at the same time.
        etags = []
        for path in warm:
            for _ in range(args.workers * 3):  # each worker has its own in-process cache
                response = fetch(port, path)
            etags.append((path, {"If-None-Match": response.getheader("ETag")}))

        cases = [
            ("minimal view", [("/bench/minimal/", {})]),
            ("claim page, rendered", [(p, {}) for p in cold]),
            ("search page", [(p, {}) for p in searches]),
            ("claim page, 304", etags),
            ("claim page, cached", [(p, {}) for p in warm]),
        ]
        results = {}
        for name, requests in cases:
            rate, statuses = measure(port, requests, clients=args.clients, seconds=args.seconds)
            results[name] = rate
            print(f"{name:24} {rate:9.1f} req/s   statuses {statuses}")
        base = results["minimal view"]
        print("\nratio to the minimal view (1.00 = as fast as Django can answer at all):")
        for name, rate in results.items():
            print(f"  {name:24} {rate / base:6.2f}")
    finally:
        gunicorn.terminate()
        gunicorn.wait(timeout=30)


if __name__ == "__main__":
    main()
