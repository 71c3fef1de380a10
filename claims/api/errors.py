"""Errors as JSON that name what failed.

400 bodies: ``{"detail": "...", "errors": {"<parameter>": ["<message>", ...]}}``; other errors
keep DRF's ``{"detail": "..."}``. A DomainError from a service becomes a 400 naming its field.
"""

from typing import Any

from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from factcheck.errors import DomainError


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        exc = exceptions.ValidationError({exc.field or "non_field_errors": [exc.message]})
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.ValidationError):
        return response
    errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
    names = ", ".join(sorted(errors))
    response.data = {"detail": f"Invalid parameter(s): {names}.", "errors": errors}
    response.status_code = status.HTTP_400_BAD_REQUEST
    return response
