"""Health endpoints for load balancers and docker-compose.

``/healthz/live``: the process answers (no dependencies checked).
``/healthz/ready``: the database answers, the broker accepts a connection and a Celery worker
has sent a heartbeat lately; the JSON body says which check failed, with status 503.
"""

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from factcheck.celery import app as celery_app
from ops.heartbeat import newest_age


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_broker() -> str:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=2)
    return "ok"


def _check_worker() -> str:
    age = newest_age()
    if age is None:
        raise RuntimeError("no worker has ever sent a heartbeat")
    if age > settings.WORKER_HEARTBEAT_MAX_AGE:
        raise RuntimeError(f"last worker heartbeat {age:.0f}s ago")
    return "ok"


@never_cache
@require_GET
def live(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def ready(request: HttpRequest) -> JsonResponse:
    checks: dict[str, str] = {}
    checks_to_run = (("database", _check_database), ("broker", _check_broker), ("worker", _check_worker))
    for name, check in checks_to_run:
        try:
            checks[name] = check()
        except Exception as exc:
            checks[name] = f"error: {type(exc).__name__}: {exc}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks}, status=200 if healthy else 503
    )
