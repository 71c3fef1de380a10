import subprocess
from pathlib import Path

import dj_database_url
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ops.pg import libpq_env, pg_program


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup`, replacing the database's contents, "
        "in one transaction (all or nothing)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("dump", help="The .dump file written by `manage.py backup`.")
        parser.add_argument(
            "--database-url", help="Restore into this database instead of the configured one."
        )
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, dump: str, database_url: str | None, yes: bool, **options) -> None:
        path = Path(dump)
        if not path.is_file():
            raise CommandError(f"No backup file at {path}.")
        db = dj_database_url.parse(database_url) if database_url else settings.DATABASES["default"]
        if not yes and input(f"Replace the contents of database {db['NAME']!r}? [y/N] ").lower() != "y":
            raise CommandError("Restore cancelled.")
        command = [
            pg_program("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={db['NAME']}",
            str(path),
        ]
        result = subprocess.run(command, env=libpq_env(db), capture_output=True, text=True, check=False)
        if result.returncode:
            raise CommandError(f"pg_restore failed: {result.stderr.strip()}")
        self.stdout.write(f"Restored {path} into {db['NAME']}.")
