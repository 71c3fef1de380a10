"""Bulk exports of every published claim: NDJSON, CSV and a ClaimReview DataFeed.

Each generator walks a server-side cursor (``QuerySet.iterator(chunk_size=...)``, with the
prefetches done per chunk), so memory stays flat whatever the number of claims. The same
generators feed the streaming API responses and the ExportJob files.
"""

import csv
import io
import json
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connections
from django.utils import timezone

from claims.api.pagination import after
from claims.api.selectors import published_claims, with_claim_details
from claims.api.serializers import ClaimSerializer
from claims.claimreview import SCHEMA_CONTEXT, claim_review, scale_bounds
from claims.models import Claim

CHUNK_SIZE = 500
CLAIM_KEY = ("public_changed_at", "id")
Progress = Callable[[int], None]

CSV_COLUMNS = [
    "id",
    "public_url",
    "statement",
    "quote",
    "claimant",
    "claimant_slug",
    "source_id",
    "source_title",
    "source_url",
    "source_publisher",
    "made_on",
    "rating",
    "rating_text",
    "rating_value",
    "worst_rating",
    "best_rating",
    "topics",
    "evidence_count",
    "published_at",
    "public_changed_at",
]
# Spreadsheet programs run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_claims() -> Iterator[Claim]:
    """Every published claim, oldest public change first, CHUNK_SIZE rows in memory at a time.

    A server-side cursor normally; behind a transaction-pooling PgBouncer (server-side
    cursors disabled, see DATABASE_POOLER) the same chunks come from keyset queries instead.
    """
    qs = with_claim_details(published_claims()).order_by(*CLAIM_KEY)
    if not connections[qs.db].settings_dict.get("DISABLE_SERVER_SIDE_CURSORS"):
        yield from qs.iterator(chunk_size=CHUNK_SIZE)
        return
    last: list | None = None
    while True:
        chunk = list((qs.filter(after(CLAIM_KEY, last)) if last else qs)[:CHUNK_SIZE])
        yield from chunk
        if len(chunk) < CHUNK_SIZE:
            return
        last = [getattr(chunk[-1], f) for f in CLAIM_KEY]


def count_claims() -> int:
    return published_claims().count()


def _counted(claims: Iterator[Claim], progress: Progress | None) -> Iterator[Claim]:
    for n, claim in enumerate(claims, start=1):
        yield claim
        if progress and n % CHUNK_SIZE == 0:
            progress(n)


def ndjson_lines(progress: Progress | None = None) -> Iterator[str]:
    for claim in _counted(export_claims(), progress):
        yield json.dumps(ClaimSerializer(claim).data, ensure_ascii=False, separators=(",", ":")) + "\n"


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_row(claim: Claim) -> list[Any]:
    data = ClaimSerializer(claim).data
    verdict: dict[str, Any] = data["verdict"] or {}
    rating = verdict.get("claim_review_rating") or {}
    row = [
        data["id"],
        data["public_url"],
        data["statement"],
        data["quote"]["exact"],
        data["claimant"]["name"],
        data["claimant"]["slug"],
        data["source"]["id"],
        data["source"]["title"],
        data["source"]["url"],
        data["source"]["publisher"],
        data["made_on"] or "",
        (verdict.get("rating") or {}).get("label", ""),
        verdict.get("rating_text", ""),
        rating.get("ratingValue", ""),
        rating.get("worstRating", ""),
        rating.get("bestRating", ""),
        ";".join(t["slug"] for t in data["topics"]),
        len(data["evidence"]),
        data["published_at"],
        data["public_changed_at"],
    ]
    return [_cell(v) for v in row]


def csv_lines(progress: Progress | None = None) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    for claim in _counted(export_claims(), progress):
        writer.writerow(csv_row(claim))
        yield flush()


def claim_review_item(claim: Claim) -> dict[str, Any] | None:
    """The ClaimReview of a published claim (None if it somehow has no published verdict)."""
    if not claim.published_verdicts:
        return None
    verdict = claim.published_verdicts[0]
    doc = claim_review(claim, verdict=verdict, bounds=scale_bounds(verdict.rating))
    # Items inherit the feed's @context.
    doc.pop("@context", None)
    return doc


def data_feed_chunks(progress: Progress | None = None) -> Iterator[str]:
    """A schema.org DataFeed of ClaimReview items, written piece by piece."""
    head = {
        "@context": SCHEMA_CONTEXT,
        "@type": "DataFeed",
        "dateModified": timezone.now().isoformat(),
    }
    yield json.dumps(head, ensure_ascii=False)[:-1] + ',"dataFeedElement":['
    first = True
    for claim in _counted(export_claims(), progress):
        item = claim_review_item(claim)
        if item is None:
            continue
        yield ("" if first else ",") + json.dumps(item, ensure_ascii=False)
        first = False
    yield "]}\n"


FORMATS: dict[str, tuple[Callable[..., Iterator[str]], str, str]] = {
    # format: (generator, content type, file extension)
    "ndjson": (ndjson_lines, "application/x-ndjson; charset=utf-8", "ndjson"),
    "csv": (csv_lines, "text/csv; charset=utf-8", "csv"),
    "claimreview": (data_feed_chunks, "application/ld+json; charset=utf-8", "jsonld"),
}
