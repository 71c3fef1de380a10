"""Running PostgreSQL's client programs (pg_dump, pg_restore) against a Django database."""

import os
import shutil
from pathlib import Path
from typing import Any


def pg_program(name: str) -> str:
    """The path of a PostgreSQL client program: ``PG_BIN_DIR``, else the embedded server's
    (PostgreSQL 16, which reads and writes dumps of older servers too), else the PATH."""
    candidates = []
    if os.environ.get("PG_BIN_DIR"):
        candidates.append(Path(os.environ["PG_BIN_DIR"]) / name)
    try:
        import pgserver

        candidates.append(Path(pgserver.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:  # pragma: no cover - pgserver is a dependency, but optional in images
        pass
    for candidate in candidates:
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: install PostgreSQL's client or set PG_BIN_DIR")
    return found


def libpq_env(db: dict[str, Any]) -> dict[str, str]:
    """Environment variables that point libpq at a Django ``DATABASES`` entry."""
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    return env
