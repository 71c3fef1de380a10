from django.core.management.base import BaseCommand, CommandError

from ops.audit import find_gaps, tracked_models


class Command(BaseCommand):
    help = "Verify that the audit trail has no gaps: every row created, changed and deleted has its event."

    def handle(self, *args, **options) -> None:
        gaps = find_gaps()
        checked = len(tracked_models())
        if not gaps:
            self.stdout.write(self.style.SUCCESS(f"Audit trail complete: {checked} tables checked, no gaps."))
            return
        for gap in gaps:
            shown = ", ".join(map(str, gap.ids))
            self.stderr.write(f"{gap.table}: {gap.problem}: ids {shown}")
        raise CommandError(f"{len(gaps)} gap(s) in the audit trail across {checked} tables.")
