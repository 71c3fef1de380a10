"""`make run`: migrate, load the demo, start the web server and a Celery worker together.

Ctrl-C stops both. With DATABASE_URL unset the embedded PostgreSQL is started (by the
settings) and held open by this process for the web server and the worker.
"""

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
os.environ.setdefault("DJANGO_DEBUG", "1")  # local run: readable errors, static files served


def main() -> int:
    import django
    from django.core.management import call_command

    django.setup()
    from django.conf import settings

    call_command("migrate", interactive=False, verbosity=0)
    print("Database migrated.")
    call_command("demo")

    host = os.environ.get("HOST", "127.0.0.1")
    port = os.environ.get("PORT", "8000")
    python = sys.executable
    processes = [
        subprocess.Popen([python, "manage.py", "runserver", "--noreload", f"{host}:{port}"], cwd=ROOT),
        subprocess.Popen(
            [
                python,
                "-m",
                "celery",
                "-A",
                "factcheck",
                "worker",
                "--beat",
                "--loglevel=INFO",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                f"--queues={settings.CELERY_QUEUES_ALL}",
                f"--schedule={settings.DATA_DIR / 'celerybeat-schedule'}",
            ],
            cwd=ROOT,
        ),
    ]
    print(
        f"\n  factcheck is running at http://{host}:{port}/\n"
        f"  The admin (reviewers and editors) is at http://{host}:{port}/admin/\n"
        "  Log in with the demo accounts printed above (passwords are shown once, when an\n"
        "  account is created; `manage.py demo --reset-passwords` prints new ones).\n"
        "  Press Ctrl-C to stop the web server and the worker.\n",
        flush=True,
    )

    def stop(*_: object) -> None:
        # SIGINT, as Ctrl-C would send: both shut down cleanly and run their exit hooks.
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGINT)

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(process.poll() is None for process in processes):
            with contextlib.suppress(subprocess.TimeoutExpired):
                processes[0].wait(1)
    except KeyboardInterrupt:
        pass
    finally:
        stop()
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
    if not os.environ.get("DATABASE_URL"):
        from factcheck.embedded import forget_exited_users

        # The embedded PostgreSQL stops when this process, its last user, exits.
        forget_exited_users(data_dir=settings.DATA_DIR)
    print("Stopped.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
