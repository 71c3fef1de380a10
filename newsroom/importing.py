"""ClaimReview import: JSON-LD (one object, a list, a DataFeed or an @graph) into sources,
claimants, claims and published verdicts, through the workflow services.

Each item is imported in its own savepoint: an item either lands whole (source, claimant,
claim, verdict, publication, provenance) or not at all, and the summary says why. Unusable
items (a MediaReview, no rating, a bad date, Google's rules broken) are reported, never fatal.

Who signs imported verdicts: the workflow requires an author and a *different* approving
editor. Imports use two system accounts, ``claimreview-import`` (Reviewer) and
``claimreview-import-approver`` (Editor), created on first use with unusable passwords; the
person who ran the import is named in the audit reason. Their verdicts are therefore visibly
machine-made in every history.
"""

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify

from claims import services as claim_services
from claims.claimreview import _is_type, _number, validate_claim_review
from claims.models import Claim, Claimant, Rating, RatingScale, Verdict
from claims.roles import EDITOR, REVIEWER
from factcheck.audit import audit_context
from factcheck.errors import DomainError
from newsroom.models import ImportedReview
from sources import services as source_services
from sources.models import SnapshotOrigin, Source, SourceKind

IMPORT_AUTHOR, IMPORT_APPROVER = "claimreview-import", "claimreview-import-approver"


@dataclass
class ImportSummary:
    imported: list[str] = field(default_factory=list)  # urls
    skipped: list[tuple[int, str]] = field(default_factory=list)  # (item number, reason)

    @property
    def total(self) -> int:
        return len(self.imported) + len(self.skipped)

    def __str__(self) -> str:
        lines = [f"{len(self.imported)} imported, {len(self.skipped)} skipped of {self.total} items."]
        lines += [f"  item {n}: {reason}" for n, reason in self.skipped]
        return "\n".join(lines)


class Unusable(Exception):
    """This item cannot be imported; the message says why."""


def items_of(data: Any) -> list[Any]:
    """The review items of a JSON-LD document: one object, a list, a DataFeed, an @graph."""
    if isinstance(data, list):
        return [item for node in data for item in items_of(node)]
    if isinstance(data, dict):
        if "@graph" in data:
            return items_of(data["@graph"])
        if _is_type(data, "DataFeed"):
            elements = data.get("dataFeedElement", [])
            return items_of(elements if isinstance(elements, list) else [elements])
        if _is_type(data, "DataFeedItem") and "item" in data:
            return items_of(data["item"])
    return [data]


def _system_user(username: str, role: str) -> AbstractBaseUser:
    user, created = get_user_model()._default_manager.get_or_create(
        username=username, defaults={"is_active": True, "is_staff": False}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
    return user


def _parse_date(value: Any, what: str) -> dt.datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise Unusable(f"{what} is not a date: {value!r}")
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        try:
            parsed = dt.datetime.combine(dt.date.fromisoformat(text), dt.time.min)
        except ValueError:
            raise Unusable(f"bad date in {what}: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _name(node: Any) -> str:
    if isinstance(node, list):
        node = node[0] if node else None
    if isinstance(node, str):
        return node.strip()
    if isinstance(node, dict):
        return str(node.get("name") or "").strip()
    return ""


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value


def _scale_for(publisher: str) -> RatingScale:
    slug = slugify(f"imported-{publisher}")[:120] or "imported"
    scale, _ = RatingScale.objects.get_or_create(
        slug=slug,
        defaults={
            "name": f"{publisher} (imported)"[:120],
            "description": f"Ratings imported from {publisher}.",
        },
    )
    return scale


def _rating_for(scale: RatingScale, rating: dict[str, Any]) -> Rating:
    """The scale's label for this rating, created on first sight. Whole numbers ≥ 1 become
    ordinal labels with the publisher's own number; the scale's end points (worst, best) are
    kept as labels too, so that exported numbers keep the publisher's range."""
    text = str(rating.get("alternateName") or "").strip()
    value, worst, best = (_number(rating.get(k)) for k in ("ratingValue", "worstRating", "bestRating"))
    ordinal = value is not None and value == int(value) and value >= 1
    if ordinal:
        found = scale.ratings.filter(value=int(value)).first()
        if found:
            return found
        for end in {worst, best} - {None, value}:
            if end == int(end) and end >= 1 and not scale.ratings.filter(value=int(end)).exists():
                label = f"{int(end)} ({'worst' if end == worst else 'best'})"
                Rating.objects.create(
                    scale=scale,
                    label=label,
                    slug=slugify(label),
                    value=int(end),
                    position=int(end),
                    description="End of the publisher's scale (no review used it yet).",
                )
    label = text or f"{value:g}"
    existing = scale.ratings.filter(label=label).first()
    if existing and (existing.value == (int(value) if ordinal else None)):
        return existing
    if existing:
        label = f"{label} ({value:g})" if value is not None else f"{label} (text)"
    position = int(value) if ordinal else 1000 + (scale.ratings.aggregate(n=Max("position"))["n"] or 0)
    return Rating.objects.create(
        scale=scale,
        label=label[:120],
        slug=slugify(label)[:120] or f"rating-{scale.ratings.count() + 1}",
        value=int(value) if ordinal else None,
        position=position,
    )


def _source_for(actor: AbstractBaseUser, appearance: Any, language: str) -> Source:
    work = (
        appearance
        if isinstance(appearance, dict)
        else {"url": appearance}
        if isinstance(appearance, str)
        else {}
    )
    url = str(work.get("url") or "").strip()
    if url:
        existing = Source.objects.filter(url=source_services.normalize_url(url)).first()
        if existing:
            return existing
    published = _parse_date(work.get("datePublished"), "appearance.datePublished")
    authors = work.get("author") or []
    authors = authors if isinstance(authors, list) else [authors]
    return source_services.source_create(
        actor=actor,
        title=str(work.get("headline") or work.get("name") or url or "Unnamed source")[:500],
        kind=SourceKind.ARTICLE,
        url=url,
        publisher=_name(work.get("publisher")),
        authors=", ".join(filter(None, (_name(a) for a in authors))),
        published_on=published.date() if published else None,
        language=language or "en",
        reason="imported from ClaimReview",
    )


def _claimant_for(actor: AbstractBaseUser, author: Any) -> Claimant:
    node = _first(author)
    name = _name(node) or "Unknown"
    kind = "organization" if _is_type(node, "Organization") else "person"
    same_as = str(_first(node.get("sameAs")) or "").strip() if isinstance(node, dict) else ""
    if not same_as.lower().startswith(("http://", "https://")):
        same_as = ""  # only a web address becomes a link; a javascript: or data: one is dropped
    existing = Claimant.objects.filter(name=name, same_as=same_as).first()
    if existing:
        return existing
    description = str(node.get("jobTitle") or "") if isinstance(node, dict) else ""
    return claim_services.claimant_create(
        actor=actor, name=name, kind=kind, description=description[:500], same_as=same_as
    )


def import_item(doc: Any, *, importer: AbstractBaseUser | None) -> Claim:
    """Import one ClaimReview; raises Unusable (or DomainError) and writes nothing if it
    cannot. Call inside a savepoint."""
    if not isinstance(doc, dict):
        raise Unusable("not a JSON object")
    if not _is_type(doc, "ClaimReview"):
        raise Unusable(f"a {doc.get('@type') or 'untyped object'} is not a ClaimReview")
    if not isinstance(doc.get("reviewRating"), dict):
        raise Unusable("missing reviewRating")
    result = validate_claim_review(doc, require_context=False)
    if result.errors:
        raise Unusable("; ".join(result.errors))
    url = doc["url"].strip()
    if ImportedReview.objects.filter(url=url).exists():
        raise Unusable(f"already imported: {url}")
    published = _parse_date(doc.get("datePublished"), "datePublished") or timezone.now()
    modified = _parse_date(doc.get("dateModified"), "dateModified") or published
    item = doc.get("itemReviewed") if isinstance(doc.get("itemReviewed"), dict) else {}
    made = _parse_date(item.get("datePublished"), "itemReviewed.datePublished")
    language = str(_first(doc.get("inLanguage")) or "").strip()[:16]
    publisher = _name(doc.get("author")) or "Unknown publisher"

    author = _system_user(IMPORT_AUTHOR, REVIEWER)
    approver = _system_user(IMPORT_APPROVER, EDITOR)
    reason = f"ClaimReview import by {importer.get_username() if importer else 'command line'}"
    with audit_context(importer or author, reason):
        source = _source_for(author, _first(item.get("firstAppearance") or item.get("appearance")), language)
        statement = doc["claimReviewed"].strip()
        snapshot, _ = source_services.snapshot_add(
            actor=author, source=source, text=statement, origin=SnapshotOrigin.EXCERPT, reason=reason
        )
        claim = claim_services.claim_create(
            actor=author,
            snapshot=snapshot,
            exact=statement,
            start=0,
            end=len(statement),
            statement=statement,
            claimant=_claimant_for(author, item.get("author")),
            made_on=made.date() if made else None,
            reason=reason,
        )
        rating = doc["reviewRating"]
        verdict = claim_services.verdict_propose(
            actor=author,
            claim=claim,
            rating=_rating_for(_scale_for(publisher), rating),
            original_rating_text=str(rating.get("alternateName") or "").strip()[:300],
            rationale=str(doc.get("reviewBody") or doc.get("description") or f"Imported from {url}"),
            reason=reason,
        )
        claim_services.verdict_submit(actor=author, verdict=verdict, reason=reason)
        claim_services.verdict_approve(actor=approver, verdict=verdict, comment=reason)
        claim_services.claim_publish(actor=approver, claim=claim, reason=reason)
        # The publisher's dates, not the import's: the review was published when it says.
        Claim.objects.filter(pk=claim.pk).update(published_at=published)
        Verdict.objects.filter(pk=verdict.pk).update(published_at=modified)
        ImportedReview.objects.create(
            url=url,
            publisher=publisher,
            language=language,
            claim=claim,
            document=doc,
            imported_by=importer if importer and importer.pk else None,
        )
    return claim


def import_claim_reviews(data: Any, *, importer: AbstractBaseUser | None = None) -> ImportSummary:
    """Import every item of ``data`` (parsed JSON-LD), each in its own savepoint."""
    summary = ImportSummary()
    for number, doc in enumerate(items_of(data), start=1):
        try:
            with transaction.atomic():
                import_item(doc, importer=importer)
        except Unusable as exc:
            summary.skipped.append((number, str(exc)))
        except DomainError as exc:
            summary.skipped.append((number, f"refused: {exc.message}"))
        except IntegrityError as exc:
            summary.skipped.append((number, f"refused by the database: {str(exc).splitlines()[0]}"))
        else:
            summary.imported.append(doc["url"].strip())
    return summary


def import_claim_reviews_text(
    text: str | bytes, *, importer: AbstractBaseUser | None = None
) -> ImportSummary:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DomainError(f"The file is not JSON: {exc}", field="file") from exc
    return import_claim_reviews(data, importer=importer)
