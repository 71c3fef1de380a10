"""Fail when a model change has no migration (run by `make test`)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

import warnings

import django
from django.core.management import call_command

django.setup()
# makemigrations also checks the applied history when it can reach the database; this check is
# about model files against migration files only.
warnings.filterwarnings("ignore", message="Got an error checking a consistent migration history")
try:
    call_command("makemigrations", "--check", "--dry-run", verbosity=1)
except SystemExit as exc:
    if exc.code:
        sys.exit("A model changed without a migration: run `manage.py makemigrations`.")
