"""Settings for ``bench/public.py``'s gunicorn: the project's, plus a minimal view to compare
against (``bench/public_urls.py``)."""

from factcheck.settings import *  # noqa: F403

ROOT_URLCONF = "bench.public_urls"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
