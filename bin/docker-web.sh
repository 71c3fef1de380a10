#!/bin/sh
# The web container: apply migrations, then serve with gunicorn.
set -e
python manage.py migrate --noinput
exec gunicorn factcheck.wsgi:application --config gunicorn.conf.py
