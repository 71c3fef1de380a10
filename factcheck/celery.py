import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")

app = Celery("factcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Every worker records a heartbeat for the readiness check (ops/heartbeat.py).
app.steps["worker"].add("ops.heartbeat.HeartbeatStep")
