"""schema.org ClaimReview: one builder and one validator, shared by the public pages and the API.

The builder turns a published claim and its published verdict into the ClaimReview document
Google's Fact Check tools read. The validator implements Google's rules for that document
(https://developers.google.com/search/docs/appearance/structured-data/factcheck):

- required: ``claimReviewed``, ``reviewRating`` with ``alternateName``, ``url``;
- numbers, when present, parse and satisfy 1 <= worstRating < bestRating and
  worstRating <= ratingValue <= bestRating;
- ``claimReviewed`` should be short (Google advises under about 75 characters): a warning;
- recommended: ``author``, ``datePublished``, ``itemReviewed`` as a ``Claim`` with ``author``,
  ``datePublished`` and ``appearance`` or ``firstAppearance``: warnings when missing;
- a page carries exactly one ClaimReview (``validate_page_jsonld``).

Errors make Google drop the item; warnings only weaken it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Max, Min
from django.http import HttpRequest

if TYPE_CHECKING:
    from claims.models import Claim, Rating, Verdict

SCHEMA_CONTEXT = "https://schema.org"
# Google: "we recommend that claimReviewed be shorter than 75 characters".
CLAIM_REVIEWED_ADVISED_LENGTH = 75
# schema.org's defaults when a Rating gives a value but no bounds.
DEFAULT_WORST, DEFAULT_BEST = 1, 5


# --- Builder --------------------------------------------------------------------------------


def absolute_url(path: str, request_or_base_url: HttpRequest | str | None = None) -> str:
    """``path`` made absolute against the request's host, a base URL, or ``settings.SITE_URL``."""
    if isinstance(request_or_base_url, HttpRequest):
        return request_or_base_url.build_absolute_uri(path)
    base = (request_or_base_url or settings.SITE_URL).rstrip("/")
    return f"{base}{path}"


def scale_bounds(rating: Rating) -> tuple[int, int] | None:
    """(worst, best) ClaimReview numbers of the rating's scale; None when the scale has no
    ordinal labels. Uses prefetched ``scale.ratings`` when the caller prefetched them (bulk
    exports), else one aggregate query."""
    scale = rating.scale
    prefetched = getattr(scale, "_prefetched_objects_cache", {}).get("ratings")
    if prefetched is not None:
        values = [r.value for r in prefetched if r.value is not None]
        return (min(values), max(values)) if values else None
    bounds = scale.ratings.filter(value__isnull=False).aggregate(worst=Min("value"), best=Max("value"))
    if bounds["worst"] is None:
        return None
    return bounds["worst"], bounds["best"]


def _date(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return value.isoformat()


def _drop_empty(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if v not in (None, "", [], {})}


def review_rating(verdict: Verdict, *, bounds: tuple[int, int] | None = None) -> dict[str, Any]:
    """The ``reviewRating`` of a verdict. Ordinal ratings carry numbers; non-ordinal ones
    (misleading, unverifiable) only their wording, as Google allows."""
    rating = verdict.rating
    doc: dict[str, Any] = {
        "@type": "Rating",
        # The publisher's own wording wins: imported fact-checks keep it.
        "alternateName": verdict.original_rating_text or rating.label,
    }
    if rating.value is not None:
        worst, best = bounds or scale_bounds(rating) or (rating.value, rating.value)
        if worst < best:
            doc.update(ratingValue=rating.value, worstRating=worst, bestRating=best)
    return doc


def claim_review(
    claim: Claim,
    *,
    verdict: Verdict,
    request_or_base_url: HttpRequest | str | None = None,
    bounds: tuple[int, int] | None = None,
) -> dict[str, Any]:
    """One schema.org ClaimReview for ``claim`` judged by ``verdict`` (its published verdict).

    Reads ``claim.claimant``, ``claim.snapshot.source`` and ``verdict.rating.scale``: select
    them with the claim to avoid extra queries. ``bounds`` (worst, best) saves the scale query
    when the caller knows them.
    """
    source = claim.snapshot.source
    claimant = claim.claimant
    claimant_doc = _drop_empty(
        {
            "@type": "Organization" if claimant.kind == "organization" else "Person",
            "name": claimant.name,
            "jobTitle": claimant.description if claimant.kind != "organization" else None,
            "sameAs": claimant.same_as or None,
        }
    )
    appearance = _drop_empty(
        {
            "@type": "CreativeWork",
            "url": source.url or None,
            "headline": source.title,
            "datePublished": _date(source.published_on),
            "publisher": _drop_empty({"@type": "Organization", "name": source.publisher}) or None,
            "author": [{"@type": "Person", "name": name} for name in source.author_list] or None,
        }
    )
    item_reviewed = _drop_empty(
        {
            "@type": "Claim",
            "author": claimant_doc,
            "datePublished": _date(claim.made_on or source.published_on),
            "firstAppearance": appearance,
            "appearance": [appearance],
        }
    )
    published = claim.published_at or verdict.published_at
    doc = {
        "@context": SCHEMA_CONTEXT,
        "@type": "ClaimReview",
        "url": absolute_url(claim.get_absolute_url(), request_or_base_url),
        "claimReviewed": claim.statement,
        "datePublished": _date(published),
        "dateModified": verdict.published_at.isoformat() if verdict.published_at else None,
        "author": {
            "@type": "Organization",
            "name": settings.PUBLISHER_NAME,
            "url": absolute_url("/", request_or_base_url),
        },
        "reviewRating": review_rating(verdict, bounds=bounds),
        "itemReviewed": item_reviewed,
        "inLanguage": source.language or None,
    }
    return _drop_empty(doc)


def to_jsonld(doc: dict[str, Any] | list[Any]) -> str:
    """JSON safe to place inside ``<script type="application/ld+json">``: ``<``, ``>`` and ``&``
    become \\u escapes, so no user text can close the script element or open a comment."""
    text = json.dumps(doc, ensure_ascii=False, indent=None, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# --- Validator ------------------------------------------------------------------------------


@dataclass
class ValidationResult:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def extend(self, other: ValidationResult, prefix: str = "") -> None:
        self.errors.extend(prefix + e for e in other.errors)
        self.warnings.extend(prefix + w for w in other.warnings)


def _types(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    value = node.get("@type", [])
    values = value if isinstance(value, list) else [value]
    # "schema:ClaimReview" and "https://schema.org/ClaimReview" name the same type.
    return [str(v).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values]


def _is_type(node: Any, name: str) -> bool:
    return name in _types(node)


def _number(value: Any) -> float | None:
    """A rating number as Google reads it: a JSON number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if number == number and abs(number) != float("inf") else None
    return None


def _valid_date(value: Any) -> bool:
    if not isinstance(value, str) or not value.strip():
        return False
    text = value.strip()
    try:
        dt.date.fromisoformat(text)
        return True
    except ValueError:
        pass
    try:
        dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def _valid_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value.strip())
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _nonempty_text(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _name_of(node: Any) -> bool:
    """An author/publisher given as a name, or as an object with a name."""
    if isinstance(node, list):
        return bool(node) and all(_name_of(n) for n in node)
    if isinstance(node, str):
        return bool(node.strip())
    return isinstance(node, dict) and _nonempty_text(node.get("name"))


def _validate_rating(rating: Any, result: ValidationResult) -> None:
    if not isinstance(rating, dict):
        result.errors.append("reviewRating is required and must be a Rating object.")
        return
    if not _nonempty_text(rating.get("alternateName")):
        result.errors.append("reviewRating.alternateName is required (the rating in words).")
    present = {k: rating[k] for k in ("ratingValue", "bestRating", "worstRating") if k in rating}
    numbers: dict[str, float] = {}
    for key, raw in present.items():
        number = _number(raw)
        if number is None:
            result.errors.append(f"reviewRating.{key} must be a number, got {raw!r}.")
        else:
            numbers[key] = number
    if len(numbers) != len(present) or not numbers:
        return
    if "ratingValue" in numbers and ("bestRating" not in numbers or "worstRating" not in numbers):
        result.warnings.append(
            "reviewRating.ratingValue without bestRating and worstRating: "
            f"readers assume {DEFAULT_WORST} to {DEFAULT_BEST}."
        )
    worst = numbers.get("worstRating", DEFAULT_WORST)
    best = numbers.get("bestRating", DEFAULT_BEST)
    if worst < 1:
        result.errors.append(f"reviewRating.worstRating must be at least 1, got {worst:g}.")
    if not worst < best:
        result.errors.append(f"reviewRating.worstRating ({worst:g}) must be less than bestRating ({best:g}).")
    if "ratingValue" in numbers and not worst <= numbers["ratingValue"] <= best:
        result.errors.append(
            f"reviewRating.ratingValue ({numbers['ratingValue']:g}) must lie between "
            f"worstRating ({worst:g}) and bestRating ({best:g})."
        )


def _validate_item_reviewed(item: Any, result: ValidationResult) -> None:
    if item is None:
        result.warnings.append("itemReviewed is recommended: the Claim that was checked.")
        return
    if not isinstance(item, dict):
        result.errors.append("itemReviewed must be an object (a Claim).")
        return
    if not _is_type(item, "Claim"):
        result.warnings.append(f"itemReviewed should be a Claim, got {item.get('@type')!r}.")
    if "author" not in item:
        result.warnings.append("itemReviewed.author is recommended: who made the claim.")
    elif not _name_of(item["author"]):
        result.errors.append("itemReviewed.author must have a name.")
    if "datePublished" not in item:
        result.warnings.append("itemReviewed.datePublished is recommended: when the claim was made.")
    elif not _valid_date(item["datePublished"]):
        result.errors.append(
            f"itemReviewed.datePublished must be an ISO 8601 date, got {item['datePublished']!r}."
        )
    appearances = [item[k] for k in ("appearance", "firstAppearance") if k in item]
    if not appearances:
        result.warnings.append(
            "itemReviewed.appearance or firstAppearance is recommended: where the claim appeared."
        )
    for value in appearances:
        for work in value if isinstance(value, list) else [value]:
            if isinstance(work, str):
                if not _valid_url(work):
                    result.errors.append(f"An appearance given as text must be a URL, got {work!r}.")
            elif not isinstance(work, dict):
                result.errors.append("An appearance must be a CreativeWork object or a URL.")
            elif "url" in work and not _valid_url(work["url"]):
                result.errors.append(f"appearance.url must be an absolute URL, got {work['url']!r}.")


def validate_claim_review(doc: Any, *, require_context: bool = True) -> ValidationResult:
    """Check one ClaimReview object against Google's rules. ``require_context=False`` for
    items inside a DataFeed, which inherit the feed's ``@context``."""
    result = ValidationResult()
    if not isinstance(doc, dict):
        result.errors.append("A ClaimReview must be a JSON object.")
        return result
    if not _is_type(doc, "ClaimReview"):
        result.errors.append(f"@type must be ClaimReview, got {doc.get('@type')!r}.")
    if require_context and "schema.org" not in str(doc.get("@context", "")):
        result.warnings.append('@context should be "https://schema.org".')

    claim_reviewed = doc.get("claimReviewed")
    if not _nonempty_text(claim_reviewed):
        result.errors.append("claimReviewed is required: the claim, in a short sentence.")
    elif len(claim_reviewed.strip()) > CLAIM_REVIEWED_ADVISED_LENGTH:
        result.warnings.append(
            f"claimReviewed is {len(claim_reviewed.strip())} characters; Google advises under "
            f"{CLAIM_REVIEWED_ADVISED_LENGTH}."
        )

    _validate_rating(doc.get("reviewRating"), result)

    if "url" not in doc:
        result.errors.append("url is required: the page of the fact-check.")
    elif not _valid_url(doc["url"]):
        result.errors.append(f"url must be an absolute http(s) URL, got {doc['url']!r}.")

    if "author" not in doc:
        result.warnings.append("author is recommended: the publisher of the fact-check.")
    elif not _name_of(doc["author"]):
        result.errors.append("author must have a name.")
    if "datePublished" not in doc:
        result.warnings.append("datePublished is recommended: when the fact-check was published.")
    elif not _valid_date(doc["datePublished"]):
        result.errors.append(f"datePublished must be an ISO 8601 date, got {doc['datePublished']!r}.")

    _validate_item_reviewed(doc.get("itemReviewed"), result)
    return result


class _JsonLdCollector(HTMLParser):
    """Collects the text of every ``<script type="application/ld+json">`` in a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            kind = (dict(attrs).get("type") or "").split(";")[0].strip().lower()
            self._inside = kind == "application/ld+json"
            if self._inside:
                self.blocks.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.blocks[-1] += data


def jsonld_blocks(html: str) -> list[str]:
    collector = _JsonLdCollector()
    collector.feed(html)
    collector.close()
    return collector.blocks


def _top_level_nodes(value: Any) -> list[Any]:
    if isinstance(value, list):
        return [node for item in value for node in _top_level_nodes(item)]
    if isinstance(value, dict) and "@graph" in value:
        return _top_level_nodes(value["@graph"])
    return [value]


def validate_page_jsonld(html: str) -> ValidationResult:
    """Check a whole HTML page: every JSON-LD block parses, and exactly one ClaimReview is
    present and valid."""
    result = ValidationResult()
    reviews: list[dict[str, Any]] = []
    for n, block in enumerate(jsonld_blocks(html), start=1):
        try:
            data = json.loads(block)
        except ValueError as exc:
            result.errors.append(f"JSON-LD block {n} is not valid JSON: {exc}.")
            continue
        reviews.extend(node for node in _top_level_nodes(data) if _is_type(node, "ClaimReview"))
    if len(reviews) != 1:
        result.errors.append(f"A page must carry exactly one ClaimReview; found {len(reviews)}.")
    for review in reviews:
        result.extend(validate_claim_review(review))
    return result
