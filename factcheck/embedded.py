"""The out-of-the-box defaults: an embedded PostgreSQL and a broker that needs no server.

Used only when ``DATABASE_URL`` / ``CELERY_BROKER_URL`` are unset. The embedded PostgreSQL
comes from the ``pgserver`` wheel (PostgreSQL 16 binaries); it is started on first use from
``DATA_DIR/postgres`` and stopped by pgserver when the last process using it exits.
"""

import warnings
from pathlib import Path
from typing import Any

EMBEDDED_DB_NAME = "factcheck"

# platformdirs (used by pgserver) warns when XDG_RUNTIME_DIR is unset, as in root shells and
# CI; pgserver keeps its state in the data folder, so the warning is noise.
warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def embedded_database(data_dir: Path) -> dict[str, Any]:
    """Start (or join) the embedded PostgreSQL and return a Django ``DATABASES`` entry."""
    import pgserver  # imported here: only the embedded default needs it

    pgdata = data_dir / "postgres"
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = pgserver.get_server(pgdata)
    forget_exited_users(server)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{EMBEDDED_DB_NAME}';")
    if "(1 row)" not in exists:
        server.psql(f"CREATE DATABASE {EMBEDDED_DB_NAME};")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DB_NAME,
        "USER": "postgres",
        "HOST": str(pgdata),  # a Unix socket directory: no TCP port to collide with
        "PORT": "",
    }


def forget_exited_users(server: Any = None, data_dir: Path | None = None) -> None:
    """Drop processes that died without saying goodbye from pgserver's list of users.

    pgserver stops the server when the last registered process exits, but a process killed
    by a signal never unregisters, and the server would then run forever. Pass the server,
    or the data folder of one this process already uses.
    """
    import psutil

    if server is None:
        import pgserver

        server = pgserver.get_server(data_dir / "postgres")
    users = server.global_process_id_list
    with server._lock:
        users.put([pid for pid in users.get() if psutil.pid_exists(pid)])


def filesystem_broker(data_dir: Path) -> tuple[str, dict[str, Any]]:
    """kombu's ``filesystem://`` transport: messages are files in ``DATA_DIR/broker``."""
    queue = data_dir / "broker" / "queue"
    processed = data_dir / "broker" / "processed"
    control = data_dir / "broker" / "control"  # exchange bindings; kombu's default is ./control
    for folder in (queue, processed, control):
        folder.mkdir(parents=True, exist_ok=True)
    options = {
        "data_folder_in": str(queue),
        "data_folder_out": str(queue),
        "processed_folder": str(processed),
        "control_folder": str(control),
        "store_processed": False,
        # The transport polls its folder; the default second caps a worker near one task/s.
        "polling_interval": 0.1,
    }
    return "filesystem://", options
