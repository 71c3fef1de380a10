"""With no DATABASE_URL and no CELERY_BROKER_URL, factcheck runs on an embedded PostgreSQL and
a broker that needs no server: start it, migrate, answer HTTP requests."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_embedded_postgres_and_filesystem_broker(tmp_path):
    # A short data folder path: PostgreSQL's Unix socket path must stay under ~100 bytes.
    data_dir = Path("/tmp") / f"fc-embedded-{os.getpid()}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="factcheck.settings", DJANGO_DEBUG="1")
    manage = [sys.executable, "manage.py"]
    port = free_port()
    server = worker = None
    try:
        migrate = subprocess.run(
            [*manage, "migrate", "--noinput"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert migrate.returncode == 0, migrate.stderr[-3000:]
        assert (data_dir / "postgres" / "PG_VERSION").read_text().strip() == "16"

        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "factcheck",
                "worker",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = subprocess.Popen(
            [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 90
        status, body = 0, b"the server never answered"
        while time.monotonic() < deadline:
            try:
                status, body = get(f"http://127.0.0.1:{port}/healthz/ready")
                if status == 200:
                    break
                time.sleep(0.5)  # up, but the worker's first heartbeat may not be in yet
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"the server exited: {server.stdout.read().decode()[-3000:]}")
                time.sleep(0.3)
        assert status == 200, body
        report = json.loads(body)
        # The filesystem broker took the connection and the worker's heartbeat came through it's
        # own database writes: the whole embedded stack is up.
        assert report["checks"] == {"database": "ok", "broker": "ok", "worker": "ok"}
        status, body = get(f"http://127.0.0.1:{port}/admin/login/")
        assert status == 200 and b"csrfmiddlewaretoken" in body
        assert (data_dir / "broker" / "queue").is_dir()
    finally:
        for process in (server, worker):
            if process:
                process.terminate()
                process.wait(30)
        subprocess.run(
            [
                str(Path(sys.executable).parent / "python"),
                "-c",
                "import pgserver, sys; pgserver.get_server(sys.argv[1], cleanup_mode='delete')",
                str(data_dir / "postgres"),
            ],
            env=env,
            capture_output=True,
            check=False,
            timeout=60,
        )
        subprocess.run(["rm", "-rf", str(data_dir)], check=False)
