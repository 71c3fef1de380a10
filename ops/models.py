from django.db import models


class WorkerHeartbeat(models.Model):
    """The last sign of life of each Celery worker, for the readiness check.

    Operational state, not domain data: it is overwritten every few seconds and deliberately
    not in the audit trail.
    """

    hostname = models.CharField(max_length=255, unique=True)
    last_seen = models.DateTimeField()
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.hostname} (last seen {self.last_seen:%Y-%m-%d %H:%M:%S})"
