"""The API's representations as plain dictionaries.

The serializers in claims.api.serializers declare the fields (for validation of the shape and
for the OpenAPI schema) and delegate here: building a claim through nested DRF serializers
costs milliseconds (each nested serializer deep-copies its fields), which a bulk export of a
million claims cannot afford. Values are formatted as DRF would (date-times in the current time
zone, ISO 8601, ``Z`` for UTC).
"""

import functools
from typing import Any

from django.urls import reverse
from rest_framework import fields

from claims.claimreview import absolute_url, review_rating, scale_bounds
from claims.models import Claim, Claimant, ClaimStatus, Evidence, Topic, Verdict
from sources.models import Source

_datetime = fields.DateTimeField()


def dt(value: Any) -> str | None:
    return _datetime.to_representation(value) if value is not None else None


def day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


# reverse() costs more than building the rest of a claim's document; exports call it millions
# of times. Each public route is reversed once with placeholders, then filled in. The values
# are ids and slugs, which need no escaping.
_SENTINELS = {"pk": "918273645", "slug": "zz-slug-zz"}
_ROUTES: dict[type, tuple[str, tuple[str, ...]]] = {
    Claim: ("public:claim-detail", ("pk", "slug")),
    Source: ("public:source-detail", ("pk",)),
    Claimant: ("public:claimant-detail", ("slug",)),
    Topic: ("public:topic-detail", ("slug",)),
}


@functools.cache
def _route_template(name: str, params: tuple[str, ...]) -> str:
    return reverse(name, kwargs={p: _SENTINELS[p] for p in params})


def public_url(obj: Any) -> str:
    """``absolute_url(obj.get_absolute_url())``, fast."""
    route = _ROUTES.get(type(obj))
    if route is None:
        return absolute_url(obj.get_absolute_url())
    path = _route_template(*route)
    for param in route[1]:
        path = path.replace(_SENTINELS[param], str(getattr(obj, param)))
    return absolute_url(path)


def quote_doc(item: Claim | Evidence) -> dict[str, Any]:
    return {
        "exact": item.exact,
        "prefix": item.prefix,
        "suffix": item.suffix,
        "start": item.start,
        "end": item.end,
        "snapshot_id": item.snapshot_id,
        "snapshot_sha256": item.snapshot.sha256,
        "is_orphaned": item.is_orphaned,
        "selector": item.selector,
    }


def source_doc(source: Any, *, full: bool = False) -> dict[str, Any]:
    doc = {
        "id": source.pk,
        "title": source.title,
        "kind": source.kind,
        "url": source.url,
        "publisher": source.publisher,
        "authors": source.author_list,
        "published_on": day(source.published_on),
        "language": source.language,
        "public_url": public_url(source),
    }
    if full:
        doc.update(created_at=dt(source.created_at), updated_at=dt(source.updated_at))
    return doc


def claimant_doc(claimant: Any) -> dict[str, Any]:
    return {
        "id": claimant.pk,
        "name": claimant.name,
        "slug": claimant.slug,
        "kind": claimant.kind,
        "description": claimant.description,
        "same_as": claimant.same_as,
        "public_url": public_url(claimant),
    }


def topic_doc(topic: Any) -> dict[str, Any]:
    return {"id": topic.pk, "name": topic.name, "slug": topic.slug, "public_url": public_url(topic)}


def rating_doc(rating: Any) -> dict[str, Any]:
    return {
        "label": rating.label,
        "slug": rating.slug,
        "value": rating.value,
        "description": rating.description,
    }


def verdict_doc(verdict: Verdict) -> dict[str, Any]:
    claim_review_rating = review_rating(verdict, bounds=scale_bounds(verdict.rating))
    claim_review_rating.pop("@type", None)
    return {
        "id": verdict.pk,
        "rating": rating_doc(verdict.rating),
        "rating_scale": verdict.rating.scale.slug,
        "rating_text": verdict.original_rating_text or verdict.rating.label,
        "claim_review_rating": claim_review_rating,
        "rationale": verdict.rationale,
        "published_at": dt(verdict.published_at),
        "corrects": verdict.corrects_id,
        "public_note": verdict.public_note,
    }


def evidence_doc(evidence: Evidence) -> dict[str, Any]:
    return {
        "id": evidence.pk,
        "stance": evidence.stance,
        "note": evidence.note,
        "quote": quote_doc(evidence),
        "source": source_doc(evidence.snapshot.source),
    }


def claim_doc(claim: Claim) -> dict[str, Any]:
    """A claim as the API shows it; needs claims.api.selectors.with_claim_details."""
    published = claim.status == ClaimStatus.PUBLISHED
    verdict = claim.published_verdicts[0] if published and claim.published_verdicts else None
    related = []
    if published:
        related = [
            {
                "id": other.pk,
                "kind": kind,
                "direction": direction,
                "statement": other.statement,
                "public_url": public_url(other),
            }
            for kind, direction, other in [
                *((r.kind, "outgoing", r.to_claim) for r in claim.public_out),
                *((r.kind, "incoming", r.from_claim) for r in claim.public_in),
            ]
        ]
    return {
        "id": claim.pk,
        "status": claim.status,
        "public_url": public_url(claim),
        "statement": claim.statement,
        "slug": claim.slug,
        "quote": quote_doc(claim),
        "claimant": claimant_doc(claim.claimant),
        "source": source_doc(claim.snapshot.source),
        "made_on": day(claim.made_on),
        "topics": [topic_doc(t) for t in claim.public_topics],
        "verdict": verdict_doc(verdict) if verdict else None,
        "evidence": [evidence_doc(e) for e in claim.public_evidence] if published else [],
        "related": related,
        "published_at": dt(claim.published_at),
        "public_changed_at": dt(claim.public_changed_at),
        "retracted_at": dt(claim.retracted_at),
        "retraction_note": claim.retraction_note,
    }
