"""Reads behind the newsroom API and the bulk exports: what the public may see, with every
related row fetched in a fixed number of queries per page (or per export chunk)."""

import datetime as dt
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery
from django.db import models
from django.db.models import Exists, Max, OuterRef, Prefetch, Q

from claims.models import (
    PUBLIC_CLAIM_STATUSES,
    Claim,
    Claimant,
    ClaimRelation,
    ClaimStatus,
    Evidence,
    Rating,
    RatingScale,
    Topic,
    Verdict,
    VerdictStatus,
)
from newsroom.models import PublicChange
from sources.models import Source

# Columns never shown outside the desk, or too big for a list (a snapshot's full text).
_CLAIM_DEFER = (
    "search_vector",
    "created_by",
    "snapshot__text",
    "snapshot__extraction",
    "snapshot__created_by",
    "snapshot__source__notes",
    "snapshot__source__created_by",
)


@dataclass
class ClaimFilters:
    """Validated query parameters of the claim list (claims.api.filters.ClaimFilterSerializer)."""

    updated_since: dt.datetime | None = None
    published_since: dt.datetime | None = None
    rating: str = ""
    topic: str = ""
    claimant: str = ""
    source: int | None = None
    q: str = ""


def _public_evidence() -> models.QuerySet[Evidence]:
    """Evidence the public may see: what the published verdict rests on, and what was attached
    before it was published (never evidence gathered since for an unapproved correction)."""
    published = Verdict.objects.filter(claim_id=OuterRef("claim_id"), status=VerdictStatus.PUBLISHED).filter(
        Q(published_at__gte=OuterRef("created_at")) | Q(verdictevidence__evidence_id=OuterRef("pk"))
    )
    return (
        Evidence.objects.filter(Exists(published))
        .select_related("snapshot__source")
        .defer(
            "added_by",
            "snapshot__text",
            "snapshot__extraction",
            "snapshot__created_by",
            "snapshot__source__notes",
        )
        .order_by("id")
    )


def _public_relations(field: str, other: str) -> models.QuerySet[ClaimRelation]:
    return (
        ClaimRelation.objects.filter(**{f"{other}__status": ClaimStatus.PUBLISHED})
        .select_related(other)
        .only(
            "id", "kind", field, f"{other}__id", f"{other}__statement", f"{other}__slug", f"{other}__status"
        )
        .order_by("id")
    )


def with_claim_details(qs: models.QuerySet[Claim]) -> models.QuerySet[Claim]:
    """Everything the API shows of a claim: seven queries per page, whatever its size."""
    verdicts = (
        Verdict.objects.filter(status=VerdictStatus.PUBLISHED)
        .select_related("rating__scale")
        .prefetch_related(Prefetch("rating__scale__ratings", queryset=Rating.objects.order_by("position")))
    )
    return (
        qs.select_related("claimant", "snapshot__source")
        .defer(*_CLAIM_DEFER)
        .prefetch_related(
            Prefetch("verdicts", queryset=verdicts, to_attr="published_verdicts"),
            Prefetch("topics", queryset=Topic.objects.order_by("name"), to_attr="public_topics"),
            Prefetch("evidence", queryset=_public_evidence(), to_attr="public_evidence"),
            Prefetch(
                "relations_out", queryset=_public_relations("from_claim", "to_claim"), to_attr="public_out"
            ),
            Prefetch(
                "relations_in", queryset=_public_relations("to_claim", "from_claim"), to_attr="public_in"
            ),
        )
    )


def published_claims() -> models.QuerySet[Claim]:
    """Claims that are published now (retracted ones appear only as tombstones in sync)."""
    return Claim.objects.filter(status=ClaimStatus.PUBLISHED, public_changed_at__isnull=False)


def public_claim(claim_id: int) -> Claim | None:
    """A published claim, or a retracted one (shown as a tombstone)."""
    return with_claim_details(Claim.objects.filter(pk=claim_id, status__in=PUBLIC_CLAIM_STATUSES)).first()


def sync_watermark() -> dt.datetime | None:
    """The commit time of the latest change visible now. Every change committed at or before it
    is visible (see PublicChange), so the next sync asks for changes after it."""
    return PublicChange.objects.filter(seq__isnull=False).aggregate(at=Max("committed_at"))["at"]


def claim_list(filters: ClaimFilters) -> models.QuerySet[Claim]:
    """Published claims matching ``filters`` (paged by (public_changed_at, id)); without
    ``updated_since``. See ``changed_claims`` for sync."""
    qs = published_claims()
    if filters.published_since:
        qs = qs.filter(published_at__gte=filters.published_since)
    return _filter(qs, filters)


def _filter(qs: models.QuerySet[Claim], filters: ClaimFilters) -> models.QuerySet[Claim]:
    if filters.rating:
        qs = qs.filter(
            Exists(
                Verdict.objects.filter(
                    claim_id=OuterRef("pk"), status=VerdictStatus.PUBLISHED, rating__slug=filters.rating
                )
            )
        )
    if filters.topic:
        qs = qs.filter(Exists(Topic.objects.filter(claims=OuterRef("pk"), slug=filters.topic)))
    if filters.claimant:
        qs = qs.filter(claimant__slug=filters.claimant)
    if filters.source:
        qs = qs.filter(snapshot__source_id=filters.source)
    if filters.q:
        qs = qs.filter(search_vector=SearchQuery(filters.q, search_type="websearch", config="english"))
    return qs


def latest_changes(filters: ClaimFilters, *, until: dt.datetime) -> models.QuerySet[PublicChange]:
    """For each claim whose latest public change committed in (updated_since, until], that
    change (one row per claim), to page by ``seq``.

    A claim changed again after ``until`` is left out of this pass: its newer change commits
    after the watermark, so the next sync returns it. So within a pass no claim comes twice,
    and across passes no change is missed, however late its transaction committed. Retracted
    claims are included (the API shows them as tombstones).
    """
    later = PublicChange.objects.filter(claim_id=OuterRef("claim_id"), seq__gt=OuterRef("seq"))
    latest = PublicChange.objects.filter(seq__isnull=False, committed_at__lte=until).filter(~Exists(later))
    if filters.updated_since:
        latest = latest.filter(committed_at__gt=filters.updated_since)
    narrowed = _filter(Claim.objects.filter(status__in=PUBLIC_CLAIM_STATUSES), filters)
    if filters.published_since:
        narrowed = narrowed.filter(published_at__gte=filters.published_since)
    if any(
        (filters.rating, filters.topic, filters.claimant, filters.source, filters.q, filters.published_since)
    ):
        latest = latest.filter(claim__in=narrowed.values("pk"))
    return latest


def claims_by_id(ids: list[int]) -> list[Claim]:
    """Public claims (tombstones included) with their details, in the order of ``ids``."""
    found = {
        c.pk: c
        for c in with_claim_details(Claim.objects.filter(pk__in=ids, status__in=PUBLIC_CLAIM_STATUSES))
    }
    return [found[pk] for pk in ids if pk in found]


def change_feed(*, after: int) -> models.QuerySet[PublicChange]:
    """Every public change committed after sequence number ``after``, in commit order."""
    return PublicChange.objects.filter(seq__gt=after).order_by("seq")


# --- Sources, claimants, topics, scales -----------------------------------------------------


def public_sources() -> models.QuerySet[Source]:
    """Sources a published claim quotes or a published claim's evidence cites."""
    quoted = Claim.objects.filter(snapshot__source=OuterRef("pk"), status=ClaimStatus.PUBLISHED)
    cited = Evidence.objects.filter(snapshot__source=OuterRef("pk"), claim__status=ClaimStatus.PUBLISHED)
    return Source.objects.filter(Exists(quoted) | Exists(cited)).defer("notes", "created_by")


def public_claimants() -> models.QuerySet[Claimant]:
    return Claimant.objects.filter(
        Exists(Claim.objects.filter(claimant=OuterRef("pk"), status=ClaimStatus.PUBLISHED))
    )


def public_topics() -> models.QuerySet[Topic]:
    return Topic.objects.filter(
        Exists(Claim.objects.filter(topics=OuterRef("pk"), status=ClaimStatus.PUBLISHED))
    )


def rating_scales() -> models.QuerySet[RatingScale]:
    return RatingScale.objects.prefetch_related(
        Prefetch("ratings", queryset=Rating.objects.order_by("position", "id"))
    ).order_by("-is_default", "name")
