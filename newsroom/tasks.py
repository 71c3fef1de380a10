"""Celery tasks of the newsroom API: thin, each calls a service."""

import logging

from celery import shared_task

from newsroom import services
from newsroom.models import NewsroomClient, WebhookDelivery

log = logging.getLogger(__name__)


@shared_task
def deliver_fan_out(claim_id: int, change: str) -> int:
    """One event body for the change, one delivery task per subscribed client."""
    event = services.webhook_event(claim_id=claim_id, change=change)
    clients = services.webhook_subscribers()
    for client in clients:
        deliver_webhook.delay(client.pk, event, 1)
    return len(clients)


@shared_task
def deliver_webhook(client_id: int, event: dict, attempt: int) -> str:
    client = NewsroomClient.objects.filter(pk=client_id, is_active=True).exclude(webhook_url="").first()
    if client is None:
        return "client gone or revoked"
    done = WebhookDelivery.objects.filter(client=client, event_id=event["id"], attempt=attempt).first()
    if done is not None:
        # A redelivered message (acks_late after a worker crash): this attempt was made.
        return done.outcome
    delivery = services.webhook_attempt(client=client, event=event, attempt=attempt)
    if delivery.outcome == WebhookDelivery.Outcome.FAILED:
        # Exponential backoff: a new message with a countdown, the attempt recorded above.
        deliver_webhook.apply_async(
            (client_id, event, attempt + 1), countdown=services.webhook_backoff(attempt)
        )
    return delivery.outcome


@shared_task
def export_job_run(job_id: int) -> str:
    return services.export_job_run(job_id=job_id).status
