"""manage.py import_claimreview FILE [FILE ...]: import ClaimReview JSON-LD files."""

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from factcheck.errors import DomainError
from newsroom.importing import import_claim_reviews_text


class Command(BaseCommand):
    help = "Import ClaimReview JSON-LD (one object, a list, or a DataFeed) from files ('-' reads stdin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", help="JSON-LD files, or - for standard input.")
        parser.add_argument("--user", help="Username recorded as the person who ran the import.")

    def handle(self, *args: Any, files: list[str], user: str | None, **options: Any) -> None:
        importer = None
        if user:
            importer = get_user_model()._default_manager.filter(username=user).first()
            if importer is None:
                raise CommandError(f"No user {user!r}.")
        skipped = 0
        for name in files:
            try:
                text = sys.stdin.read() if name == "-" else Path(name).read_bytes()
            except OSError as exc:
                raise CommandError(f"{name}: {exc.strerror}") from exc
            try:
                summary = import_claim_reviews_text(text, importer=importer)
            except DomainError as exc:
                raise CommandError(f"{name}: {exc.message}") from exc
            skipped += len(summary.skipped)
            self.stdout.write(f"{name}: {summary}")
        if skipped:
            self.stderr.write(self.style.WARNING(f"{skipped} item(s) skipped; see above."))
