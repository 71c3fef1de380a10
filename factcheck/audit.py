"""The audit context: who acts and why, attached by the database to every event row.

The triggers that write the events come from django-pghistory; this module only says what
context to attach. Services call ``audit_context`` around their writes; the admin and the API
do the same (pghistory's middleware opens a context per request with the user and URL).

pghistory merges nested contexts into one context row whose metadata is the last one set, so
two service calls in one request (or one ``manage.py demo`` run) would share an actor and a
reason. ``audit_context`` therefore opens a *new* context for its block, inheriting the outer
metadata (the request's URL), and restores the outer one afterwards. That reaches into
pghistory's runtime (``_tracker``), pinned in requirements.lock; tests/test_audit.py checks it.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pghistory
from pghistory import runtime


@contextmanager
def audit_context(actor: Any = None, reason: str = "", **extra: Any) -> Iterator[None]:
    outer = getattr(runtime._tracker, "value", None)
    metadata: dict[str, Any] = {**(outer.metadata if outer else {}), **extra}
    if actor is not None and getattr(actor, "pk", None) is not None:
        metadata["user"] = actor.pk
        metadata["username"] = actor.get_username()
    if reason:
        metadata["reason"] = reason
    if outer is None:
        with pghistory.context(**metadata):
            yield
        return
    runtime._tracker.value = runtime.Context(id=uuid.uuid4(), metadata=metadata)
    try:
        yield
    finally:
        runtime._tracker.value = outer
