from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operating factcheck: health, request ids in logs, backups, audit integrity, replicas."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "ops"

    def ready(self) -> None:
        from ops import request_id

        request_id.connect_celery_signals()
