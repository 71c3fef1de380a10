"""Writes for the newsroom API: clients and keys, webhook deliveries, export jobs."""

import datetime as dt
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from claims.api.selectors import public_claim
from claims.api.serializers import ClaimSerializer
from factcheck.audit import audit_context
from factcheck.errors import DomainError
from newsroom import exports
from newsroom.models import ExportFormat, ExportJob, NewsroomClient, WebhookDelivery, hash_key, validate_rate

SIGNATURE_HEADER = "X-Factcheck-Signature"
EVENT_HEADER = "X-Factcheck-Event"

# --- Clients --------------------------------------------------------------------------------


@transaction.atomic
def client_create(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    rate: str = "1000/hour",
    contact_email: str = "",
    webhook_url: str = "",
) -> tuple[NewsroomClient, str]:
    """Create a client; returns it with its API key, the only time the key exists in clear."""
    name = name.strip()
    if not name:
        raise DomainError("A client needs a name.", field="name")
    if NewsroomClient.objects.filter(name=name).exists():
        raise DomainError("A client with this name exists.", field="name")
    try:
        validate_rate(rate)
    except Exception as exc:
        raise DomainError(str(exc.messages[0]), field="rate") from exc
    key = NewsroomClient.new_key()
    with audit_context(actor, "API client created"):
        client = NewsroomClient.objects.create(
            name=name,
            rate=rate,
            contact_email=contact_email,
            key_prefix=key[:12],
            key_hash=hash_key(key),
            webhook_url=webhook_url,
            webhook_secret=NewsroomClient.new_webhook_secret() if webhook_url else "",
            created_by=actor if actor and actor.pk else None,
        )
    return client, key


@transaction.atomic
def client_rotate_key(*, actor: AbstractBaseUser | None, client: NewsroomClient) -> str:
    """A new key for the client; the old one stops working at once."""
    key = NewsroomClient.new_key()
    with audit_context(actor, "API key rotated"):
        NewsroomClient.objects.filter(pk=client.pk).update(key_prefix=key[:12], key_hash=hash_key(key))
    return key


@transaction.atomic
def client_revoke(
    *, actor: AbstractBaseUser | None, client: NewsroomClient, reason: str = ""
) -> NewsroomClient:
    client = NewsroomClient.objects.select_for_update().get(pk=client.pk)
    if client.is_active:
        with audit_context(actor, reason or "API key revoked"):
            client.is_active, client.revoked_at = False, timezone.now()
            client.save(update_fields=["is_active", "revoked_at"])
    return client


# --- Webhooks -------------------------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header value: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str, body: bytes, *, tolerance: int = 300, now: float | None = None) -> bool:
    """What a receiver does (docs/api.md shows the same in a standalone snippet)."""
    parts = dict(item.split("=", 1) for item in header.split(",") if "=" in item)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def webhook_subscribers() -> list[NewsroomClient]:
    return list(NewsroomClient.objects.filter(is_active=True).exclude(webhook_url="").order_by("id"))


def webhook_event(*, claim_id: int, change: str) -> dict[str, Any]:
    """The event body: what changed and the claim as it is now (a tombstone if retracted)."""
    claim = public_claim(claim_id)
    return {
        "id": str(uuid.uuid4()),
        "type": f"claim.{change}",
        "created_at": timezone.now().isoformat(),
        "claim_id": claim_id,
        "claim": ClaimSerializer(claim).data if claim else None,
    }


def webhook_backoff(attempt: int) -> int:
    """Seconds before attempt ``attempt + 1``: base, 2×base, 4×base…"""
    return settings.WEBHOOK_RETRY_BASE_SECONDS * 2 ** (attempt - 1)


def webhook_attempt(*, client: NewsroomClient, event: dict[str, Any], attempt: int) -> WebhookDelivery:
    """POST the event to the client once and record the attempt. The caller schedules a retry
    when the outcome is FAILED."""
    body = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "factcheck-webhooks/1",
        EVENT_HEADER: event["type"],
        "X-Factcheck-Delivery": event["id"],
        SIGNATURE_HEADER: sign(client.webhook_secret, int(time.time()), body),
    }
    started = time.monotonic()
    status_code, error, excerpt = None, "", ""
    try:
        response = requests.post(
            client.webhook_url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
        status_code, excerpt = response.status_code, response.text[:500]
        ok = 200 <= response.status_code < 300
        if not ok:
            error = f"HTTP {response.status_code}"
    except requests.RequestException as exc:
        ok, error = False, f"{type(exc).__name__}: {exc}"[:1000]
    duration = int((time.monotonic() - started) * 1000)
    if ok:
        outcome, next_at = WebhookDelivery.Outcome.DELIVERED, None
    elif attempt < settings.WEBHOOK_MAX_ATTEMPTS:
        outcome = WebhookDelivery.Outcome.FAILED
        next_at = timezone.now() + dt.timedelta(seconds=webhook_backoff(attempt))
    else:
        outcome, next_at = WebhookDelivery.Outcome.GAVE_UP, None
    return WebhookDelivery.objects.create(
        client=client,
        event_id=event["id"],
        event_type=event["type"],
        claim_id=event["claim_id"],
        attempt=attempt,
        url=client.webhook_url,
        outcome=outcome,
        status_code=status_code,
        error=error,
        response_excerpt=excerpt,
        duration_ms=duration,
        next_attempt_at=next_at,
    )


# --- Export jobs ----------------------------------------------------------------------------


@transaction.atomic
def export_job_create(*, actor: AbstractBaseUser | None, format: str) -> ExportJob:
    if format not in ExportFormat.values:
        raise DomainError(f"Unknown export format {format!r}.", field="format")
    with audit_context(actor, "export requested"):
        job = ExportJob.objects.create(format=format, created_by=actor if actor and actor.pk else None)
    from newsroom.tasks import export_job_run

    transaction.on_commit(lambda: export_job_run.delay(job.pk))
    return job


def export_job_run(*, job_id: int) -> ExportJob:
    """Write the export file, recording progress as it goes. Runs in a worker; not one long
    transaction (progress must be visible while it runs)."""
    updated = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.QUEUED).update(
        status=ExportJob.Status.RUNNING, started_at=timezone.now(), rows_total=exports.count_claims()
    )
    job = ExportJob.objects.get(pk=job_id)
    if not updated:
        return job  # already run (a redelivered task)
    generator, _, extension = exports.FORMATS[job.format]

    def progress(done: int) -> None:
        ExportJob.objects.filter(pk=job_id).update(rows_done=min(done, job.rows_total or done))

    try:
        path = settings.MEDIA_ROOT / "exports"
        path.mkdir(parents=True, exist_ok=True)
        name = f"claims-{job.pk}-{timezone.now():%Y%m%dT%H%M%S}.{extension}"
        with open(path / name, "w", encoding="utf-8", newline="") as out:
            for piece in generator(progress):
                out.write(piece)
        job.file.name = f"exports/{name}"
        job.status, job.finished_at = ExportJob.Status.SUCCEEDED, timezone.now()
        job.rows_done = job.rows_total or 0
        job.save(update_fields=["file", "status", "finished_at", "rows_done"])
    except Exception as exc:
        job.status, job.finished_at, job.error = ExportJob.Status.FAILED, timezone.now(), str(exc)[:2000]
        job.save(update_fields=["status", "finished_at", "error"])
        raise
    return job
