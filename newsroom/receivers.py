"""Side effects of public changes. ``claims.signals.public_change`` is sent after commit; the
receiver only enqueues, so the editor's request never waits for a webhook."""

import logging
from typing import Any

from django.dispatch import receiver

from claims.signals import public_change
from newsroom.models import NewsroomClient

log = logging.getLogger(__name__)


@receiver(public_change, dispatch_uid="newsroom.webhooks")
def enqueue_webhooks(sender: Any, claim_id: int, change: str, **kwargs: Any) -> None:
    # One indexed query spares the broker a message when nobody subscribes.
    if not NewsroomClient.objects.filter(is_active=True).exclude(webhook_url="").exists():
        return
    from newsroom.tasks import deliver_fan_out

    try:
        deliver_fan_out.delay(claim_id, change)
    except Exception:
        # The change is committed and in the change feed; a broker outage must not turn the
        # editor's successful publication into an error page.
        log.exception("could not enqueue webhooks for claim %s (%s)", claim_id, change)
