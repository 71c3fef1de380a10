"""Read replicas as configuration: with ``DATABASE_REPLICA_URL`` set, reads made while
serving the public site and the API (GET/HEAD outside the admin) go to the replica; every
write, and everything the admin does, stays on the primary (reviewers must read their writes).
"""

import contextvars
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_public_read: contextvars.ContextVar[bool] = contextvars.ContextVar("public_read", default=False)
_PRIMARY_ONLY_PREFIXES = ("/admin/", "/healthz/")


def replica_configured() -> bool:
    return "replica" in settings.DATABASES


class PublicReadsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        public = (
            replica_configured()
            and request.method in ("GET", "HEAD")
            and not request.path.startswith(_PRIMARY_ONLY_PREFIXES)
        )
        token = _public_read.set(public)
        try:
            return self.get_response(request)
        finally:
            _public_read.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        return "replica" if _public_read.get() and replica_configured() else "default"

    def db_for_write(self, model: type, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        return True  # the replica holds the same data

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
