"""A real Celery worker process for tests, against the test database and the real broker.

The broker is whatever the settings say: Redis or RabbitMQ when ``CELERY_BROKER_URL`` is set,
kombu's filesystem transport otherwise. The worker is a separate process (``celery -A
factcheck worker``), so the data it needs must be committed: tests that use it run with
``transactional_db`` (the fixture requests it).

    def test_something(celery_worker):
        ...enqueue...
        celery_worker.wait_for(lambda: Job.objects.get(...).status == "succeeded")
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def database_url_for_subprocess() -> str:
    """The URL of the database this test process uses (the test database, not the dev one)."""
    db = connection.settings_dict
    host = db.get("HOST") or ""
    netloc_host = quote(host, safe="") if host.startswith("/") else host
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgres://{quote(db.get('USER') or '', safe='')}{password}@{netloc_host}{port}/{db['NAME']}"


def subprocess_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["DATABASE_URL"] = database_url_for_subprocess()
    env["DATA_DIR"] = str(settings.DATA_DIR)
    env["CELERY_BROKER_URL"] = os.environ.get("CELERY_BROKER_URL", "")
    env.update(extra)
    return env


class WorkerProcess:
    def __init__(self, log_dir: Path, concurrency: int = 1) -> None:
        self.log_file = log_dir / "celery-worker.log"
        self.concurrency = concurrency
        self.process: subprocess.Popen | None = None

    def start(self, *, purge: bool = False) -> "WorkerProcess":
        self.log_file.write_text("")
        command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "factcheck",
            "worker",
            "--loglevel=INFO",
            f"--concurrency={self.concurrency}",
            "--pool=prefork",
            "--without-gossip",
            "--without-mingle",
            f"--logfile={self.log_file}",
            "--hostname=test-worker@%h",
            f"--queues={settings.CELERY_QUEUES_ALL}",
        ]
        if purge:
            command.append("--purge")
        self.process = subprocess.Popen(command, cwd=ROOT, env=subprocess_env())
        self._wait_until(lambda: "ready." in self.log(), 60, "the worker to start")
        return self

    def log(self) -> str:
        return self.log_file.read_text() if self.log_file.exists() else ""

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), as a crash would."""
        if self.process and self.process.poll() is None:
            children = subprocess.run(
                ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
            ).stdout.split()
            for pid in [self.process.pid, *map(int, children)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait(10)
        self.process = None

    def wait_for(
        self, condition: Callable[[], bool], timeout: float = 60, what: str = "the condition"
    ) -> None:
        self._wait_until(condition, timeout, what)

    def _wait_until(self, condition: Callable[[], bool], timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.process and self.process.poll() is not None:
                raise AssertionError(f"the worker exited while waiting for {what}:\n{self.log()[-4000:]}")
            time.sleep(0.2)
        raise AssertionError(f"timed out after {timeout}s waiting for {what}:\n{self.log()[-4000:]}")


@pytest.fixture
def celery_worker(transactional_db, tmp_path: Path) -> Iterator[WorkerProcess]:
    worker = WorkerProcess(tmp_path).start(purge=True)
    try:
        yield worker
    finally:
        worker.stop()
