"""Keyset ("cursor") pagination on a unique, indexed ordering.

The cursor is an opaque token carrying the sort key of the last row served (and, for sync
passes, the watermark the pass is bounded by). A page is one indexed range scan however deep
it is, unlike OFFSET, and rows inserted or removed meanwhile never shift a page.
"""

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.utils.urls import replace_query_param


def _encode_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.datetime) else value


def _decode_value(field: models.Field, raw: Any) -> Any:
    if isinstance(field, models.DateTimeField):
        if not isinstance(raw, str):
            raise ValueError("not a date-time")
        value = dt.datetime.fromisoformat(raw)
        if value.tzinfo is None:
            raise ValueError("naive date-time")
        return value
    if isinstance(field, models.IntegerField | models.AutoField):
        if not isinstance(raw, int) or isinstance(raw, bool) or not 0 <= raw < 2**63:
            raise ValueError("not an id")
        return raw
    raise ValueError("unsupported field")


@dataclass
class Cursor:
    mode: str
    key: list[Any] | None = None
    watermark: dt.datetime | None = None

    def encode(self) -> str:
        doc = {"m": self.mode, "k": [_encode_value(v) for v in self.key or []]}
        if self.watermark is not None:
            doc["w"] = self.watermark.isoformat()
        raw = json.dumps(doc, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, *, mode: str, fields: list[models.Field]) -> Cursor:
    """Parse a cursor made by ``Cursor.encode`` for the same endpoint and mode, or raise a 400
    naming the ``cursor`` parameter."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        doc = json.loads(raw)
        if not isinstance(doc, dict) or doc.get("m") != mode:
            raise ValueError("cursor from another listing")
        key = doc.get("k")
        if not isinstance(key, list) or len(key) != len(fields):
            raise ValueError("bad key")
        values = [_decode_value(f, v) for f, v in zip(fields, key, strict=True)]
        watermark = None
        if "w" in doc:
            watermark = _decode_value(models.DateTimeField(), doc["w"])
        return Cursor(mode=mode, key=values, watermark=watermark)
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError(
            {"cursor": ["This cursor is not valid here: use the `next` link of a previous page."]}
        ) from exc


def after(key_fields: tuple[str, ...], values: list[Any]) -> Q:
    """Rows strictly after ``values`` in ascending (field1, field2) order, written so that
    PostgreSQL range-scans the index: ``a >= x AND (a > x OR b > y)``."""
    if len(key_fields) == 1:
        return Q(**{f"{key_fields[0]}__gt": values[0]})
    (a, b), (x, y) = key_fields, values
    return Q(**{f"{a}__gte": x}) & (Q(**{f"{a}__gt": x}) | Q(**{a: x, f"{b}__gt": y}))


def page(
    request: Request,
    qs: models.QuerySet,
    *,
    key_fields: tuple[str, ...],
    page_size: int,
    cursor: Cursor | None,
    mode: str,
    watermark: dt.datetime | None = None,
) -> tuple[list[Any], str | None]:
    """One page of ``qs`` in ``key_fields`` order and the URL of the next one (None at the end)."""
    qs = qs.order_by(*key_fields)
    if cursor is not None and cursor.key:
        qs = qs.filter(after(key_fields, cursor.key))
    rows = list(qs[: page_size + 1])
    if len(rows) <= page_size:
        return rows, None
    rows = rows[:page_size]
    last = rows[-1]
    token = Cursor(mode=mode, key=[getattr(last, f) for f in key_fields], watermark=watermark).encode()
    return rows, replace_query_param(request.build_absolute_uri(), "cursor", token)
