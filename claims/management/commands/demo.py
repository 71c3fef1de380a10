"""`manage.py demo`: load the demo data set and make sure the demo accounts exist.

Idempotent: a second run adds nothing. Passwords are random and printed once, when an
account is created (or with --reset-passwords); they are never stored in the code.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.demo.fixture import FixtureError, load_fixture, seed_texts, write_anchors
from claims.demo.loader import Account, DemoLoadError, load_demo
from factcheck.errors import DomainError


class Command(BaseCommand):
    help = "Load the demo data set (sources, claims, evidence, verdicts) and the demo accounts."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seeds",
            type=Path,
            default=None,
            help="Folder holding the seed articles (default: SEEDS_DIR). Without it, sources get "
            "excerpt snapshots made of their quotes.",
        )
        parser.add_argument(
            "--reset-passwords",
            action="store_true",
            help="Give the existing demo accounts new random passwords and print them.",
        )
        parser.add_argument(
            "--write-anchors",
            action="store_true",
            help="For maintainers: recompute the quotes' anchors in the cleaned seed texts and "
            "rewrite claims/demo/demo.json. Writes nothing to the database.",
        )

    def handle(
        self, *args, seeds: Path | None, reset_passwords: bool, write_anchors: bool, **options
    ) -> None:
        seeds_dir = seeds if seeds is not None else Path(settings.SEEDS_DIR)
        if write_anchors:
            self._write_anchors(seeds_dir)
            return
        if not seeds_dir.is_dir():
            self.stdout.write(
                self.style.WARNING(
                    f"No seeds folder at {seeds_dir}: each source gets an excerpt snapshot "
                    "(its quoted passages only)."
                )
            )
        try:
            result = load_demo(seeds_dir=seeds_dir, reset_passwords=reset_passwords)
        except DemoLoadError as exc:
            # The accounts were committed before the load failed: show how to log in anyway.
            self._print_accounts(exc.accounts)
            raise CommandError(str(exc)) from exc
        except (FixtureError, DomainError) as exc:
            raise CommandError(f"The demo data could not be loaded, nothing was written: {exc}") from exc

        self._print_accounts(result.accounts)
        counts = ", ".join(f"{value} {name}" for name, value in result.counts.items())
        if result.loaded_now:
            self.stdout.write(
                self.style.SUCCESS(f"Demo data loaded: {counts}.")
                + f"\n  Full text from the seeds: {len(result.full_text_sources)} sources; "
                f"excerpts (quotes only): {len(result.excerpt_sources)}."
            )
        else:
            self.stdout.write(f"Demo data already present, nothing added: {counts}.")

    def _print_accounts(self, accounts: list[Account]) -> None:
        # Printed only once the accounts are committed, and only when a password was just set.
        for account in accounts:
            if account.password:
                verb = "Created" if account.created else "Reset the password of"
                self.stdout.write(f"{verb} {account.username} ({account.role}).")
                self.stdout.write(
                    self.style.SUCCESS(f"  Log in as {account.username} with password {account.password}")
                )
            else:
                self.stdout.write(
                    f"{account.username} ({account.role}) exists; password unchanged "
                    "(--reset-passwords prints a new one)."
                )

    def _write_anchors(self, seeds_dir: Path) -> None:
        fixture = load_fixture()
        texts = seed_texts(fixture, seeds_dir)
        wanted = [s["seed"] for s in fixture["sources"] if s.get("seed")]
        if len(texts) < len(wanted):
            raise CommandError(f"--write-anchors needs all the seed files {wanted} in {seeds_dir}.")
        try:
            count = write_anchors(fixture, texts)
        except FixtureError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(self.style.SUCCESS(f"Rewrote {count} anchors in claims/demo/demo.json."))
