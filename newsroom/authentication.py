"""API keys, access and per-client throttling for the newsroom API (DRF classes).

A key arrives as ``Authorization: Api-Key <key>`` or ``X-API-Key: <key>``. Only its SHA-256
is stored, so the lookup is by hash. Requests without a key are let in only when
``API_ANONYMOUS_RATE`` is set, and then at that rate, throttled per IP address.
"""

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import router
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions, throttling
from rest_framework.request import Request
from rest_framework.views import APIView

from newsroom.models import NewsroomClient, hash_key

KEYWORD = "Api-Key"
# last_used_at is for people, not accounting: one write per client per minute is enough.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


def key_from_request(request: Request) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        keyword, _, value = header.partition(" ")
        if keyword.lower() == KEYWORD.lower() and value.strip():
            return value.strip()
    value = request.META.get("HTTP_X_API_KEY", "").strip()
    return value or None


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """``request.auth`` is the NewsroomClient; ``request.user`` stays anonymous (a client is
    not a person and has no role in the workflow)."""

    def authenticate(self, request: Request) -> tuple | None:
        key = key_from_request(request)
        if key is None:
            header = request.META.get("HTTP_AUTHORIZATION", "")
            if header and header.partition(" ")[0].lower() == KEYWORD.lower():
                raise exceptions.AuthenticationFailed("The Authorization header has no key after Api-Key.")
            return None
        # From the primary even when API reads go to a replica (ops.db): a revocation must take
        # effect at once, not after the replica catches up.
        client = (
            NewsroomClient.objects.using(router.db_for_write(NewsroomClient))
            .filter(key_hash=hash_key(key))
            .first()
        )
        if client is None:
            raise exceptions.AuthenticationFailed("Unknown API key.")
        if not client.is_active:
            raise exceptions.AuthenticationFailed("This API key has been revoked.")
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
            NewsroomClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now
        return AnonymousUser(), client

    def authenticate_header(self, request: Request) -> str:
        # Makes DRF answer 401 (not 403) to a request without credentials.
        return KEYWORD


def client_of(request: Request) -> NewsroomClient | None:
    return request.auth if isinstance(request.auth, NewsroomClient) else None


class HasApiKeyOrAnonymousAllowed(permissions.BasePermission):
    message = "An API key is required: send it as 'Authorization: Api-Key <key>' or 'X-API-Key: <key>'."

    def has_permission(self, request: Request, view: APIView) -> bool:
        return client_of(request) is not None or bool(settings.API_ANONYMOUS_RATE)


class ClientRateThrottle(throttling.SimpleRateThrottle):
    """Each client at its own rate (set in the admin); anonymous callers per IP address at
    ``API_ANONYMOUS_RATE``. Uses Django's cache: configure a shared cache (Redis) when more
    than one process serves the API, or each process counts on its own."""

    scope = "newsroom"

    def get_rate(self) -> str | None:
        # The rate depends on the request; allow_request sets it.
        return None

    def allow_request(self, request: Request, view: APIView) -> bool:
        client = client_of(request)
        rate = client.rate if client else settings.API_ANONYMOUS_RATE
        if not rate:
            return True
        self.rate = rate
        self.num_requests, self.duration = self.parse_rate(rate)
        return super().allow_request(request, view)

    def get_cache_key(self, request: Request, view: APIView) -> str:
        client = client_of(request)
        ident = f"client-{client.pk}" if client else f"anon-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The key in the OpenAPI schema, so that Swagger UI's Authorize button can send it."""

    target_class = "newsroom.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-API-Key",
            "description": "Your newsroom API key (also accepted as 'Authorization: Api-Key <key>').",
        }
