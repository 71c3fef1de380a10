"""Query parameters of the API, validated by serializers so that a bad value is a 400 naming
the parameter (never a 500), and so that the OpenAPI schema documents them."""

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.api.selectors import ClaimFilters

DATE_HELP = "An ISO 8601 date-time (2024-05-01T12:00:00Z) or date (2024-05-01, meaning its midnight UTC)."
# Dates PostgreSQL and Python can both hold, with room for any time-zone offset.
_EARLIEST, _LATEST = dt.date(1, 1, 2), dt.date(9999, 12, 30)


@extend_schema_field(OpenApiTypes.DATETIME)
class DateOrDateTimeField(serializers.Field):
    default_error_messages = {"invalid": "Enter an ISO 8601 date-time or date, e.g. 2024-05-01T12:00:00Z."}

    def to_internal_value(self, data: Any) -> dt.datetime:
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        try:
            value = parse_datetime(text)
            if value is None:
                day = parse_date(text)
                if day is None:
                    self.fail("invalid")
                value = dt.datetime.combine(day, dt.time.min)
        except ValueError:
            self.fail("invalid")
        if not _EARLIEST <= value.date() <= _LATEST:
            self.fail("invalid")
        if timezone.is_naive(value):
            value = timezone.make_aware(value, dt.UTC)
        return value

    def to_representation(self, value: dt.datetime) -> str:
        return value.isoformat()


def _page_size_field() -> serializers.IntegerField:
    return serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=settings.API_MAX_PAGE_SIZE,
        help_text=f"Items per page (default {settings.API_PAGE_SIZE}, at most {settings.API_MAX_PAGE_SIZE}).",
    )


class PageParams(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=1000, help_text="The token from a `next` link.")
    page_size = _page_size_field()

    def page_size_or_default(self) -> int:
        return self.validated_data.get("page_size") or settings.API_PAGE_SIZE


class ClaimFilterParams(PageParams):
    updated_since = DateOrDateTimeField(
        required=False,
        help_text="Incremental sync: claims whose public state changed in a transaction committed after "
        "this time, retractions included (as tombstones). Use the `sync_watermark` of your previous "
        "sync. " + DATE_HELP,
    )
    published_since = DateOrDateTimeField(
        required=False, help_text="First published at or after. " + DATE_HELP
    )
    rating = serializers.SlugField(required=False, max_length=120, help_text="A rating slug, e.g. false.")
    topic = serializers.SlugField(required=False, max_length=120, help_text="A topic slug.")
    claimant = serializers.SlugField(required=False, max_length=120, help_text="A claimant slug.")
    source = serializers.IntegerField(
        required=False, min_value=1, max_value=2**63 - 1, help_text="A source id."
    )
    q = serializers.CharField(
        required=False, max_length=200, help_text="Full-text search (web-search syntax)."
    )

    def filters(self) -> ClaimFilters:
        data = self.validated_data
        return ClaimFilters(
            updated_since=data.get("updated_since"),
            published_since=data.get("published_since"),
            rating=data.get("rating", ""),
            topic=data.get("topic", ""),
            claimant=data.get("claimant", ""),
            source=data.get("source"),
            q=data.get("q", "").strip(),
        )


class ChangeFeedParams(serializers.Serializer):
    after = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=2**63 - 1,
        default=0,
        help_text="The `seq` of the last change you processed (0 or absent: from the start).",
    )
    page_size = _page_size_field()


def validated(serializer_class: type[serializers.Serializer], request: Any) -> serializers.Serializer:
    params = serializer_class(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params
