"""Helpers for the benchmark scripts in this folder (see README.md).

A script starts with ``bench.setup_django()``, makes sure the corpus it measures exists with
``bench.ensure_corpus(claims)``, then times what it benchmarks.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    """Make the project importable and configured, as manage.py does."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    import django

    django.setup()


def synthetic_claims() -> int:
    """How many claims of the synthetic corpus the database holds."""
    from claims.management.commands.synth import SYNTHETIC_NOTE
    from claims.models import Claim

    return Claim.objects.filter(snapshot__source__notes=SYNTHETIC_NOTE).count()


def ensure_corpus(claims: int, *, seed: int = 1) -> int:
    """Generate a synthetic corpus of ``claims`` claims unless one of that size is there.

    A corpus of another size is replaced (``manage.py synth --clear``). Returns the number of
    synthetic claims.
    """
    from django.core.management import call_command

    if synthetic_claims() != claims:
        call_command("synth", claims=claims, seed=seed, clear=True)
    return synthetic_claims()
