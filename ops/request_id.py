"""A request id in every log line, carried from the web request into the Celery tasks it
enqueues, so that one user action can be followed across processes."""

import contextvars
import logging
import re
import uuid
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
HEADER = "X-Request-ID"


def current() -> str:
    return _current.get()


class RequestIdMiddleware:
    """Takes a well-formed ``X-Request-ID`` from the proxy, or makes one; echoes it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(HEADER, "")
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


def connect_celery_signals() -> None:
    from celery import signals

    @signals.before_task_publish.connect(weak=False)
    def _attach(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
        if headers is not None and "request_id" not in headers:
            headers["request_id"] = _current.get()

    @signals.task_prerun.connect(weak=False)
    def _adopt(task: Any = None, **kwargs: Any) -> None:
        request = task.request if task else None
        # Celery exposes custom message headers as request attributes or under .headers.
        request_id = getattr(request, "request_id", None) or (getattr(request, "headers", None) or {}).get(
            "request_id"
        )
        _current.set(request_id or f"task-{getattr(request, 'id', '-')}")

    @signals.task_postrun.connect(weak=False)
    def _forget(**kwargs: Any) -> None:
        # A worker process runs many tasks; what follows one must not carry its id.
        _current.set("-")
