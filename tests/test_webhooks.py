"""Webhooks: signed POSTs on publication, correction and retraction, retried with backoff,
every attempt recorded, delivered by a real Celery worker to a receiver on 127.0.0.1."""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from claims import services as claim_services
from newsroom import services, tasks
from newsroom.models import WebhookDelivery
from tests.api_helpers import keyed_client
from tests.factories import ClaimFactory
from tests.publishing import publish


def verify_as_a_receiver_would(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The check docs/api.md tells receivers to make, written independently of the server."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, fields["v1"])


class Receiver:
    """An HTTP endpoint on 127.0.0.1 that answers each POST with the next status of
    ``statuses`` (the last one repeats) and keeps what it received."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses, self.received = list(statuses), []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append((dict(self.headers), body))
                status = receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok" if status == 200 else b"try later")

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/factcheck"

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def quick_retry_worker(transactional_db, request, monkeypatch):
    # The worker is another process: it reads the backoff base from its environment.
    monkeypatch.setenv("WEBHOOK_RETRY_BASE_SECONDS", "1")
    # sources.tasks schedules a stalled-job sweep JOB_STALL_SECONDS after the worker starts;
    # kombu's filesystem transport lets that held message block a one-process worker.
    monkeypatch.setenv("JOB_STALL_SECONDS", "1")
    return request.getfixturevalue("celery_worker")


@pytest.mark.worker
def test_delivery_is_signed_retried_with_backoff_and_recorded(quick_retry_worker, reviewer, editor):
    with Receiver([500, 500, 200]) as receiver:
        client, _ = keyed_client(webhook_url=receiver.url)
        claim = ClaimFactory()
        publish(claim, author=reviewer, editor=editor)

        quick_retry_worker.wait_for(
            lambda: WebhookDelivery.objects.filter(outcome="delivered").exists(), 60, "the third attempt"
        )

    attempts = list(WebhookDelivery.objects.order_by("attempt"))
    assert [(a.attempt, a.outcome, a.status_code) for a in attempts] == [
        (1, "failed", 500),
        (2, "failed", 500),
        (3, "delivered", 200),
    ]
    assert len({a.event_id for a in attempts}) == 1 and attempts[0].next_attempt_at is not None
    # Backoff doubles: at least 1 s, then 2 s between attempts.
    assert (attempts[1].attempted_at - attempts[0].attempted_at).total_seconds() >= 1
    assert (attempts[2].attempted_at - attempts[1].attempted_at).total_seconds() >= 2

    assert len(receiver.received) == 3
    bodies = {body for _, body in receiver.received}
    assert len(bodies) == 1, "every attempt carries the same event"
    for headers, body in receiver.received:
        assert verify_as_a_receiver_would(client.webhook_secret, headers["X-Factcheck-Signature"], body)
        assert not verify_as_a_receiver_would("whsec_wrong", headers["X-Factcheck-Signature"], body)
        assert headers["X-Factcheck-Event"] == "claim.published"
    event = json.loads(bodies.pop())
    assert event["type"] == "claim.published" and event["claim_id"] == claim.pk
    assert event["claim"]["verdict"]["rating"]["slug"] == "mostly-false"


@pytest.mark.django_db(transaction=True)
def test_publishing_only_enqueues(reviewer, editor, monkeypatch):
    """The editor's request sends no HTTP and survives a broker outage."""
    enqueued = []
    monkeypatch.setattr(tasks.deliver_fan_out, "delay", lambda *args: enqueued.append(args))
    with Receiver([200]) as receiver:
        keyed_client(webhook_url=receiver.url)
        claim = ClaimFactory()
        publish(claim, author=reviewer, editor=editor)
        assert enqueued == [(claim.pk, "published")]
        assert receiver.received == [] and not WebhookDelivery.objects.exists()

        def broker_down(*args):
            raise ConnectionError("broker unreachable")

        monkeypatch.setattr(tasks.deliver_fan_out, "delay", broker_down)
        claim_services.claim_retract(actor=editor, claim=claim, public_note="Withdrawn.", reason="Withdrawn")
        claim.refresh_from_db()
        assert claim.status == "retracted"


@pytest.mark.django_db(transaction=True)
def test_no_subscriber_no_message(reviewer, editor, monkeypatch):
    enqueued = []
    monkeypatch.setattr(tasks.deliver_fan_out, "delay", lambda *args: enqueued.append(args))
    keyed_client()  # a client without a webhook
    publish(ClaimFactory(), author=reviewer, editor=editor)
    assert enqueued == []


@pytest.mark.django_db
def test_attempts_stop_after_the_maximum(settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    settings.WEBHOOK_RETRY_BASE_SECONDS = 30
    assert [services.webhook_backoff(n) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    with Receiver([503]) as receiver:
        client, _ = keyed_client(webhook_url=receiver.url)
        event = {"id": "6f1c1d1e-0000-4000-8000-000000000001", "type": "claim.published", "claim_id": 1}
        first = services.webhook_attempt(client=client, event=event, attempt=1)
        second = services.webhook_attempt(client=client, event=event, attempt=2)
    assert (first.outcome, second.outcome) == ("failed", "gave_up")
    assert second.next_attempt_at is None and second.status_code == 503


@pytest.mark.django_db
def test_unreachable_receiver_is_recorded_as_a_failed_attempt():
    client, _ = keyed_client(webhook_url="http://127.0.0.1:9/nothing-listens-here")
    event = {"id": "6f1c1d1e-0000-4000-8000-000000000002", "type": "claim.corrected", "claim_id": 1}
    delivery = services.webhook_attempt(client=client, event=event, attempt=1)
    assert delivery.outcome == "failed" and delivery.status_code is None and "Connection" in delivery.error


def test_signature_helpers_agree_and_reject_tampering():
    body = b'{"id":"x"}'
    header = services.sign("whsec_s", int(time.time()), body)
    assert services.verify("whsec_s", header, body)
    assert verify_as_a_receiver_would("whsec_s", header, body)
    assert not services.verify("whsec_s", header, body + b" ")
    stale = services.sign("whsec_s", int(time.time()) - 3600, body)
    assert not services.verify("whsec_s", stale, body)
