import subprocess
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from ops.pg import libpq_env, pg_program


class Command(BaseCommand):
    help = "Write a backup of the database (pg_dump custom format: data, audit trail, schema)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--output", "-o", help="File to write (default: DATA_DIR/backups/<time>.dump)")

    def handle(self, *args, output: str | None = None, **options) -> None:
        target = (
            Path(output)
            if output
            else (settings.DATA_DIR / "backups" / f"factcheck-{timezone.now():%Y%m%dT%H%M%SZ}.dump")
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        command = [
            pg_program("pg_dump"),
            "--format=custom",
            "--no-owner",
            "--no-privileges",
            f"--file={target}",
        ]
        result = subprocess.run(
            command, env=libpq_env(settings.DATABASES["default"]), capture_output=True, text=True, check=False
        )
        if result.returncode:
            raise CommandError(f"pg_dump failed: {result.stderr.strip()}")
        self.stdout.write(f"Backup written to {target} ({target.stat().st_size:,} bytes).")
