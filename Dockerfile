# factcheck: one image for web (gunicorn), worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DATA_DIR=/data \
    STATIC_ROOT=/app/staticfiles

WORKDIR /app
RUN useradd --system --home /app --shell /usr/sbin/nologin factcheck \
    && mkdir -p /data && chown factcheck /data

COPY requirements.lock ./
RUN pip install --no-cache-dir --requirement requirements.lock

COPY . .
# Collect hashed, compressed static files at build time (whitenoise serves them).
RUN SECRET_KEY=build-only DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput

USER factcheck
EXPOSE 8000
CMD ["bin/docker-web.sh"]
