"""Operations: backups that restore, the audit integrity check, request ids, replicas."""

import json
import logging

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from claims import services
from claims.models import Claim, Review, Verdict
from claims.selectors import event_model_for
from ops.db import ReplicaRouter, _public_read
from ops.logs import JsonFormatter
from ops.request_id import RequestIdFilter
from tests.factories import ClaimFactory, SourceFactory, default_rating
from tests.worker import database_url_for_subprocess


def publish_one(reviewer, editor) -> Claim:
    claim = ClaimFactory()
    verdict = services.verdict_propose(actor=reviewer, claim=claim, rating=default_rating(), rationale="r")
    services.verdict_submit(actor=reviewer, verdict=verdict)
    services.verdict_approve(actor=editor, verdict=verdict)
    return services.claim_publish(actor=editor, claim=claim)


COUNTED = {
    "claims": Claim,
    "verdicts": Verdict,
    "reviews": Review,
    "claim events": event_model_for(Claim),
    "verdict events": event_model_for(Verdict),
    "review events": event_model_for(Review),
}


@pytest.mark.django_db(transaction=True)
def test_backup_restores_into_an_empty_database(tmp_path, reviewer, editor):
    for _ in range(3):
        publish_one(reviewer, editor)
    expected = {name: model.objects.count() for name, model in COUNTED.items()}
    dump = tmp_path / "backup.dump"
    call_command("backup", output=str(dump))
    assert dump.stat().st_size > 0

    restored = f"{connection.settings_dict['NAME']}_restored"
    url = database_url_for_subprocess().rsplit("/", 1)[0] + f"/{restored}"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        cursor.execute(f'CREATE DATABASE "{restored}"')
    try:
        call_command("restore", str(dump), database_url=url, yes=True)
        with psycopg.connect(**_libpq_kwargs(restored)) as conn:
            found = {
                name: conn.execute(f"SELECT count(*) FROM {model._meta.db_table}").fetchone()[0]
                for name, model in COUNTED.items()
            }
            # The append-only triggers came back with the data.
            protected = conn.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'pgtrigger_append_only_%'"
            ).fetchone()[0]
        assert found == expected
        assert expected["claims"] == 3 and expected["review events"] == 3
        assert protected >= len(COUNTED) // 2
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')


def _libpq_kwargs(dbname: str) -> dict:
    db = connection.settings_dict
    kwargs = {"dbname": dbname, "user": db.get("USER") or None, "host": db.get("HOST") or None}
    if db.get("PORT"):
        kwargs["port"] = db["PORT"]
    if db.get("PASSWORD"):
        kwargs["password"] = db["PASSWORD"]
    return kwargs


def test_restore_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No backup file"):
        call_command("restore", str(tmp_path / "nope.dump"), yes=True)


@pytest.mark.django_db
def test_audit_check_passes_on_a_trail_written_by_the_triggers(reviewer, editor, capsys):
    publish_one(reviewer, editor)
    call_command("audit_check")
    assert "no gaps" in capsys.readouterr().out


@pytest.mark.django_db
def test_audit_check_reports_writes_made_with_the_triggers_off(capsys):
    kept, changed, removed = SourceFactory(), SourceFactory(), SourceFactory()
    with connection.cursor() as cursor:
        # Superusers can switch triggers off for a session: exactly the tampering to detect.
        cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute("UPDATE sources_source SET title = 'quietly rewritten' WHERE id = %s", [changed.pk])
        cursor.execute("DELETE FROM sources_source WHERE id = %s", [removed.pk])
        cursor.execute(
            "INSERT INTO sources_source (kind, title, url, publisher, authors, language, notes, "
            "created_at, updated_at) VALUES ('article', 'ghost', '', '', '', 'en', '', now(), now()) "
            "RETURNING id"
        )
        ghost = cursor.fetchone()[0]
        cursor.execute("SET LOCAL session_replication_role = origin")
    with pytest.raises(CommandError, match="gap"):
        call_command("audit_check")
    report = capsys.readouterr().err
    assert f"rows changed without an event: ids {changed.pk}" in report
    assert f"rows deleted without an event: ids {removed.pk}" in report
    assert f"rows with no creation event: ids {ghost}" in report
    assert str(kept.pk) not in report.replace(str(changed.pk), "").replace(str(removed.pk), "").replace(
        str(ghost), ""
    )


def test_request_id_is_echoed_or_made(client):
    response = client.get("/healthz/live", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    made = client.get("/healthz/live", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert made != "<script>" and len(made) == 32


def test_json_log_lines_carry_the_request_id():
    record = logging.LogRecord("factcheck", logging.INFO, __file__, 1, "claim %s published", (7,), None)
    record.claim_id = 7
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "claim 7 published"
    assert line["request_id"] == "-" and line["claim_id"] == 7 and line["level"] == "info"


def test_replica_router_sends_only_public_reads_to_the_replica(settings):
    router = ReplicaRouter()
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}
    token = _public_read.set(True)
    try:
        assert router.db_for_read(Claim) == "replica"
        assert router.db_for_write(Claim) == "default"
    finally:
        _public_read.reset(token)
    assert router.db_for_read(Claim) == "default"


@override_settings(DATABASES={"default": {"NAME": "x"}})
def test_no_replica_means_primary_for_everything():
    token = _public_read.set(True)
    try:
        assert ReplicaRouter().db_for_read(Claim) == "default"
    finally:
        _public_read.reset(token)


def test_a_task_runs_under_the_request_id_that_enqueued_it_and_forgets_it_after():
    from celery import signals

    from ops import request_id

    class FakeRequest:
        id = "t-1"
        request_id = "req-42"

    class FakeTask:
        request = FakeRequest()

    headers: dict = {}
    token = request_id._current.set("req-42")
    try:
        signals.before_task_publish.send(sender="x", headers=headers)
    finally:
        request_id._current.reset(token)
    assert headers["request_id"] == "req-42"
    signals.task_prerun.send(sender=FakeTask, task=FakeTask())
    assert request_id.current() == "req-42"
    signals.task_postrun.send(sender=FakeTask, task=FakeTask())
    assert request_id.current() == "-"


@pytest.mark.django_db
def test_readiness_reports_each_failed_check_by_name(client, settings):
    from datetime import timedelta

    from django.utils import timezone

    from ops.heartbeat import record
    from ops.models import WorkerHeartbeat

    response = client.get("/healthz/ready")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == "error: RuntimeError: no worker has ever sent a heartbeat"
    assert response.json()["checks"]["database"] == "ok"

    record("celery@web-1")
    response = client.get("/healthz/ready")
    assert response.status_code == 200 and response.json()["status"] == "ok"

    WorkerHeartbeat.objects.update(
        last_seen=timezone.now() - timedelta(seconds=settings.WORKER_HEARTBEAT_MAX_AGE + 5)
    )
    response = client.get("/healthz/ready")
    assert response.status_code == 503 and "last worker heartbeat" in response.json()["checks"]["worker"]


def test_a_real_worker_sends_heartbeats(celery_worker):
    from ops.heartbeat import newest_age
    from ops.models import WorkerHeartbeat

    celery_worker.wait_for(lambda: WorkerHeartbeat.objects.exists(), 30, "the first heartbeat")
    beat = WorkerHeartbeat.objects.get()
    assert beat.hostname.startswith("test-worker@")
    assert newest_age() < 30
