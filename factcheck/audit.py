"""The audit context: who acts and why, attached by the database to every event row.

The triggers that write the events come from django-pghistory; this module only says what
context to attach. Services call ``audit_context`` around their writes; the admin and the API
do the same (the request's user is added by pghistory's middleware).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pghistory


@contextmanager
def audit_context(actor: Any = None, reason: str = "", **extra: Any) -> Iterator[None]:
    metadata: dict[str, Any] = dict(extra)
    if actor is not None and getattr(actor, "pk", None) is not None:
        metadata["user"] = actor.pk
        metadata["username"] = actor.get_username()
    if reason:
        metadata["reason"] = reason
    with pghistory.context(**metadata):
        yield
