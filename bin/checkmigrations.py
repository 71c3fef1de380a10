"""Fail when a model change has no migration (run by `make test`)."""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

import django
from django.core.management import call_command

django.setup()
try:
    call_command("makemigrations", "--check", "--dry-run", verbosity=1)
except SystemExit as exc:
    if exc.code:
        sys.exit("A model changed without a migration: run `manage.py makemigrations`.")
