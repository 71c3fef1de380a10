"""Workers say they are alive: a worker bootstep writes a heartbeat row every few seconds from
the worker's own timer (no beat needed), and ``/healthz/ready`` reads the newest one."""

import datetime as dt
import logging
from typing import Any

from celery import bootsteps
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

logger = logging.getLogger(__name__)


def record(hostname: str, *, started_at: dt.datetime | None = None) -> None:
    from ops.models import WorkerHeartbeat

    now = timezone.now()
    defaults: dict[str, Any] = {"last_seen": now}
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname, defaults=defaults, create_defaults={**defaults, "started_at": started_at or now}
    )


def newest_age() -> float | None:
    """Seconds since the most recent heartbeat of any worker, or None if none ever beat."""
    from ops.models import WorkerHeartbeat

    last = WorkerHeartbeat.objects.order_by("-last_seen").values_list("last_seen", flat=True).first()
    return None if last is None else (timezone.now() - last).total_seconds()


class HeartbeatStep(bootsteps.StartStopStep):
    requires = {"celery.worker.components:Timer"}

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.tref = None

    def start(self, worker: Any) -> None:
        started_at = timezone.now()

        def beat() -> None:
            try:
                close_old_connections()
                record(worker.hostname, started_at=started_at)
            except Exception:
                logger.exception("could not record the worker heartbeat")

        beat()
        self.tref = worker.timer.call_repeatedly(settings.WORKER_HEARTBEAT_SECONDS, beat)

    def stop(self, worker: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
