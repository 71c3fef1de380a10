"""Reads of claims used by the admin, the public site and the API."""

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from claims.models import (
    PUBLIC_CLAIM_STATUSES,
    Claim,
    Claimant,
    ClaimRelation,
    ClaimTopic,
    Evidence,
    Review,
    Topic,
    Verdict,
    VerdictEvidence,
)

# Bookkeeping columns that change on every save and tell a reader nothing.
_UNINTERESTING = {"updated_at", "search_vector"}
_ACTIONS = {"insert": "created", "update": "changed", "delete": "deleted"}
# Relations a model's __str__ reads, loaded with it so that naming N objects stays one query.
_STR_USES: dict[type[models.Model], tuple[str, ...]] = {Verdict: ("rating",)}


@dataclass
class HistoryEntry:
    """One audit event, as a reader sees it."""

    at: dt.datetime
    model: str
    object_id: int
    action: str  # "created" | "changed" | "deleted"
    actor_id: int | None
    actor_name: str
    reason: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    row: dict[str, Any] = field(default_factory=dict)
    event_id: int = 0


def event_model_for(model: type[models.Model]) -> type[models.Model]:
    """The pghistory event model that records ``model`` (e.g. Claim → ClaimEvent)."""
    return apps.get_model(model._meta.app_label, f"{model.__name__}Event")


def _tracked_fields(model: type[models.Model]) -> list[models.Field]:
    """The model's fields its event table records (a model may keep some out: search vectors,
    uploaded bytes), less bookkeeping."""
    recorded = {f.name for f in event_model_for(model)._meta.concrete_fields}
    return [
        f
        for f in model._meta.concrete_fields
        if f.name in recorded and f.name not in _UNINTERESTING and not f.primary_key
    ]


def _display_values(model: type[models.Model], events: list) -> dict[tuple[str, Any], str]:
    """Readable names for foreign-key values (a rating's label, a claimant's name), one query
    per related model."""
    names: dict[tuple[str, Any], str] = {}
    for f in _tracked_fields(model):
        if not f.is_relation:
            continue
        ids = {getattr(e, f.attname) for e in events} - {None}
        if not ids:
            continue
        related = f.related_model._default_manager.select_related(*_STR_USES.get(f.related_model, ()))
        for pk, obj in related.in_bulk(ids).items():
            names[(f.attname, pk)] = str(obj)
    return names


def _entries(model: type[models.Model], events: list) -> list[HistoryEntry]:
    fields = _tracked_fields(model)
    names = _display_values(model, events)
    previous: dict[int, dict[str, Any]] = {}
    entries = []
    for event in sorted(events, key=lambda e: e.pgh_id):
        row = {}
        for f in fields:
            value = getattr(event, f.attname)
            row[f.verbose_name] = names.get((f.attname, value), value) if f.is_relation else value
        before = previous.get(event.pgh_obj_id)
        if event.pgh_label == "insert" or before is None:
            changes = {k: (None, v) for k, v in row.items() if v not in (None, "")}
        elif event.pgh_label == "delete":
            changes = {k: (v, None) for k, v in row.items() if v not in (None, "")}
        else:
            changes = {k: (before.get(k), v) for k, v in row.items() if before.get(k) != v}
        previous[event.pgh_obj_id] = row
        metadata = event.pgh_context.metadata if event.pgh_context_id else {}
        entries.append(
            HistoryEntry(
                at=event.pgh_created_at,
                model=str(model._meta.verbose_name),
                object_id=event.pgh_obj_id,
                action=_ACTIONS.get(event.pgh_label, event.pgh_label),
                actor_id=metadata.get("user"),
                actor_name=metadata.get("username", ""),
                reason=metadata.get("reason", ""),
                changes=changes,
                row=row,
                event_id=event.pgh_id,
            )
        )
    return entries


def _fill_actor_names(entries: list[HistoryEntry]) -> None:
    # Writes made through the admin's middleware carry only the user id.
    missing = {e.actor_id for e in entries if e.actor_id and not e.actor_name}
    if missing:
        users = get_user_model()._default_manager.in_bulk(missing)
        for e in entries:
            if e.actor_id in users and not e.actor_name:
                e.actor_name = users[e.actor_id].get_username()


def _history(sources: list[tuple[type[models.Model], models.Q]]) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    for model, condition in sources:
        events = list(event_model_for(model).objects.filter(condition).select_related("pgh_context"))
        entries.extend(_entries(model, events))
    _fill_actor_names(entries)
    entries.sort(key=lambda e: (e.at, e.event_id))
    return entries


def object_history(obj: models.Model) -> list[HistoryEntry]:
    """Every audit event of one object, oldest first."""
    return _history([(type(obj), models.Q(pgh_obj_id=obj.pk))])


def claim_history(claim: Claim) -> list[HistoryEntry]:
    """The whole history of a claim: the claim, its topics, relations, evidence, verdicts, the
    evidence they rest on and their reviews, oldest first. Deleted rows are included: the
    event tables keep them."""
    verdict_ids = event_model_for(Verdict).objects.filter(claim_id=claim.pk).values("pgh_obj_id")
    return _history(
        [
            (Claim, models.Q(pgh_obj_id=claim.pk)),
            (ClaimTopic, models.Q(claim_id=claim.pk)),
            (ClaimRelation, models.Q(from_claim_id=claim.pk) | models.Q(to_claim_id=claim.pk)),
            (Evidence, models.Q(claim_id=claim.pk)),
            (Verdict, models.Q(claim_id=claim.pk)),
            (VerdictEvidence, models.Q(verdict_id__in=verdict_ids)),
            (Review, models.Q(verdict_id__in=verdict_ids)),
        ]
    )


# --- Public site ----------------------------------------------------------------------------
# Reads for readers: only public claims (published or retracted) and only their published
# verdict. Nothing here selects internal columns (Source.notes, review comments, reasons).

# Characters of snapshot text shown around a quote; cut in the database so that a page never
# loads a whole document to show a sentence.
PUBLIC_CONTEXT_CHARS = 240
# Markers ts_headline puts around matched words; the view escapes the snippet, then turns the
# markers into <mark>. Private-use characters, removed from the text first, so no user text
# can forge one.
HEADLINE_START, HEADLINE_STOP = "\ue000", "\ue001"


@dataclass
class PublicFilters:
    """What a reader asked of the claim list (validated by claims.views.ClaimFilterForm)."""

    q: str = ""
    rating: str = ""
    topic: str = ""
    claimant: str = ""
    source: int | None = None
    published_from: dt.date | None = None
    published_to: dt.date | None = None


@dataclass
class PublicLogEntry:
    """One line of a claim's public correction log."""

    at: dt.datetime
    kind: str  # "published" | "corrected" | "retracted"
    rating: str = ""
    previous_rating: str = ""
    note: str = ""
    actor_name: str = ""


def _context_annotations(prefix: str = "") -> dict[str, Any]:
    from django.db.models import F, Value
    from django.db.models.functions import Greatest, Substr

    text = F(f"{prefix}snapshot__text")
    start, end = F(f"{prefix}start"), F(f"{prefix}end")
    begin = Greatest(start - PUBLIC_CONTEXT_CHARS, Value(0))
    return {
        "context_before": Substr(text, begin + 1, start - begin),
        "context_after": Substr(text, end + 1, Value(PUBLIC_CONTEXT_CHARS)),
    }


def public_claims() -> models.QuerySet[Claim]:
    """Claims the public may see, with what a list card shows, in one query: the claimant,
    the source, and the published verdict's rating (joined, at most one row per claim)."""
    from django.db.models import F, FilteredRelation, Q

    from claims.models import PUBLIC_CLAIM_STATUSES, VerdictStatus

    return (
        Claim.objects.filter(status__in=PUBLIC_CLAIM_STATUSES)
        .annotate(
            pv=FilteredRelation("verdicts", condition=Q(verdicts__status=VerdictStatus.PUBLISHED)),
            rating_label=F("pv__rating__label"),
            rating_slug=F("pv__rating__slug"),
            rating_value=F("pv__rating__value"),
            rating_original=F("pv__original_rating_text"),
        )
        .select_related("claimant", "snapshot__source")
        .defer(
            "search_vector",
            "snapshot__text",
            "snapshot__extraction",
            "snapshot__source__notes",
        )
    )


def public_claim_list(filters: PublicFilters) -> models.QuerySet[Claim]:
    """Public claims matching ``filters``: ranked by full-text relevance when there is a query
    (``websearch_to_tsquery``: the reader's text is text, never syntax), else newest public
    change first. Matches carry a ``headline`` with marked words."""
    from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    qs = _filtered(public_claims(), filters, rating_lookup="pv__rating__slug")
    q = _search_text(filters.q)
    if not q:
        return qs.order_by("-public_changed_at", "-id")
    query = SearchQuery(q, search_type="websearch", config="english")
    return (
        qs.filter(search_vector=query)
        .annotate(
            rank=SearchRank(F("search_vector"), query),
            headline=SearchHeadline(
                Concat("statement", Value(" — "), "exact", output_field=models.TextField()),
                query,
                config="english",
                start_sel=HEADLINE_START,
                stop_sel=HEADLINE_STOP,
                max_words=40,
                min_words=20,
            ),
        )
        .order_by("-rank", "-public_changed_at", "-id")
    )


def _search_text(q: str) -> str:
    return q.replace(HEADLINE_START, "").replace(HEADLINE_STOP, "").strip()


def _filtered(
    qs: models.QuerySet[Claim], filters: PublicFilters, *, rating_lookup: str
) -> models.QuerySet[Claim]:
    if filters.rating:
        qs = qs.filter(**{rating_lookup: filters.rating})
    if filters.topic:
        qs = qs.filter(topics__slug=filters.topic)
    if filters.claimant:
        qs = qs.filter(claimant__slug=filters.claimant)
    if filters.source:
        qs = qs.filter(snapshot__source_id=filters.source)
    if filters.published_from:
        qs = qs.filter(published_at__date__gte=filters.published_from)
    if filters.published_to:
        qs = qs.filter(published_at__date__lte=filters.published_to)
    return qs


def public_claim_count(filters: PublicFilters) -> int:
    """How many public claims ``public_claim_list(filters)`` holds, counted without its
    display joins (the paginator's count: a third of the time at 100k claims)."""
    from django.contrib.postgres.search import SearchQuery

    from claims.models import PUBLIC_CLAIM_STATUSES, VerdictStatus

    qs = Claim.objects.filter(status__in=PUBLIC_CLAIM_STATUSES)
    if filters.rating:
        # One filter() call: both conditions on the same verdict row.
        qs = qs.filter(verdicts__status=VerdictStatus.PUBLISHED, verdicts__rating__slug=filters.rating)
    qs = _filtered(qs, replace(filters, rating=""), rating_lookup="")
    q = _search_text(filters.q)
    if q:
        qs = qs.filter(search_vector=SearchQuery(q, search_type="websearch", config="english"))
    return qs.count()


def public_latest(*, limit: int = 10) -> list[Claim]:
    return list(public_claims().order_by("-public_changed_at", "-id")[:limit])


def public_recently_corrected(*, limit: int = 5) -> list[Claim]:
    """Published claims whose published verdict corrects an earlier one, latest first."""
    from claims.models import ClaimStatus

    return list(
        public_claims()
        .filter(status=ClaimStatus.PUBLISHED, pv__corrects__isnull=False)
        .order_by("-public_changed_at", "-id")[:limit]
    )


def public_state(claim_id: int) -> tuple[str, dt.datetime | None] | None:
    """(slug, public_changed_at) of a public claim, or None: the cheap query behind the claim
    page's ETag, Last-Modified and slug redirect."""
    from claims.models import PUBLIC_CLAIM_STATUSES

    return (
        Claim.objects.filter(pk=claim_id, status__in=PUBLIC_CLAIM_STATUSES)
        .values_list("slug", "public_changed_at")
        .first()
    )


def public_last_change() -> dt.datetime | None:
    """When anything public last changed (one index scan: claim_public_changed_idx)."""
    from django.db.models import Max

    from claims.models import PUBLIC_CLAIM_STATUSES

    return Claim.objects.filter(status__in=PUBLIC_CLAIM_STATUSES).aggregate(at=Max("public_changed_at"))["at"]


def public_claim_detail(claim_id: int) -> Claim | None:
    """A public claim with everything its page shows, in a fixed number of queries whatever
    the amount of evidence: ``published_verdict`` (None when retracted), ``public_evidence``,
    ``public_topics``, ``public_relations`` and ``provenance``."""
    from django.db.models import Exists, OuterRef, Prefetch, Q

    from claims.models import PUBLIC_CLAIM_STATUSES, ClaimStatus, Rating, Topic, VerdictStatus

    show_author = _show_reviewer_names()
    verdicts = Verdict.objects.filter(status=VerdictStatus.PUBLISHED).select_related(
        "rating__scale", "corrects__rating", *(["author"] if show_author else [])
    )
    ordinal = Rating.objects.filter(scale=OuterRef("rating__scale"), value__isnull=False)
    verdicts = verdicts.annotate(
        scale_worst=models.Subquery(ordinal.order_by("value").values("value")[:1]),
        scale_best=models.Subquery(ordinal.order_by("-value").values("value")[:1]),
    )
    claim = (
        Claim.objects.filter(pk=claim_id, status__in=PUBLIC_CLAIM_STATUSES)
        .select_related("claimant", "snapshot__source")
        .defer("search_vector", "snapshot__text", "snapshot__extraction", "snapshot__source__notes")
        .annotate(**_context_annotations())
        .prefetch_related(
            Prefetch("verdicts", queryset=verdicts, to_attr="published_verdicts"),
            Prefetch("topics", queryset=Topic.objects.order_by("name"), to_attr="public_topics"),
        )
        .first()
    )
    if claim is None:
        return None
    published = claim.published_verdicts[0] if claim.published_verdicts else None
    if claim.status == ClaimStatus.RETRACTED:
        published = None
    claim.published_verdict = published

    claim.public_evidence = []
    if published is not None:
        # The evidence the published verdict rests on, and what was attached before it was
        # published: never evidence gathered since for a correction nobody approved yet.
        rests_on = VerdictEvidence.objects.filter(verdict_id=published.pk, evidence_id=OuterRef("pk"))
        claim.public_evidence = list(
            Evidence.objects.filter(claim_id=claim.pk)
            .filter(Q(Exists(rests_on)) | Q(created_at__lte=published.published_at))
            .select_related("snapshot__source")
            .defer("snapshot__text", "snapshot__extraction", "snapshot__source__notes", "added_by")
            .annotate(**_context_annotations())
            .order_by("id")
        )

    claim.public_relations = _public_relations(claim)
    source_ids = {claim.snapshot.source_id} | {e.snapshot.source_id for e in claim.public_evidence}
    claim.provenance = public_provenance(source_ids)
    return claim


def _show_reviewer_names() -> bool:
    from django.conf import settings

    return bool(getattr(settings, "PUBLIC_SHOW_REVIEWER_NAMES", False))


_RELATION_LABELS = {
    # kind: (label from the claim's side, label from the other side)
    "same_as": ("Same assertion as", "Same assertion as"),
    "contradicts": ("Contradicts", "Contradicted by"),
    "depends_on": ("Depends on", "Supports the premise of"),
}


def _public_relations(claim: Claim) -> list[tuple[str, Claim]]:
    """(label, other claim) for each relation whose other end is public, one query."""
    from django.db.models import Q

    from claims.models import PUBLIC_CLAIM_STATUSES

    relations = (
        ClaimRelation.objects.filter(
            Q(from_claim_id=claim.pk, to_claim__status__in=PUBLIC_CLAIM_STATUSES)
            | Q(to_claim_id=claim.pk, from_claim__status__in=PUBLIC_CLAIM_STATUSES)
        )
        .select_related("from_claim", "to_claim")
        .defer("from_claim__search_vector", "to_claim__search_vector")
        .order_by("kind", "id")
    )
    result = []
    for relation in relations:
        outgoing = relation.from_claim_id == claim.pk
        label = _RELATION_LABELS.get(relation.kind, (relation.kind, relation.kind))[0 if outgoing else 1]
        result.append((label, relation.to_claim if outgoing else relation.from_claim))
    return result


def public_provenance(source_ids: set[int], *, depth: int = 5) -> list[Any]:
    """The citation chains starting at ``source_ids`` (what each source cites, and what those
    cite, up to ``depth`` links), as Citation rows with both sources, one query."""
    from django.db.models.expressions import RawSQL

    from sources.models import Citation

    if not source_ids:
        return []
    reachable = RawSQL(
        """
        WITH RECURSIVE chain(id, cited_id, depth) AS (
            SELECT c.id, c.cited_id, 1 FROM sources_citation c WHERE c.citing_id = ANY(%s)
            UNION
            SELECT c.id, c.cited_id, chain.depth + 1
            FROM sources_citation c JOIN chain ON c.citing_id = chain.cited_id
            WHERE chain.depth < %s
        )
        SELECT id FROM chain
        """,
        (sorted(source_ids), depth),
    )
    return list(
        Citation.objects.filter(id__in=reachable)
        .select_related("citing", "cited")
        .defer("citing__notes", "cited__notes")
        .order_by("citing_id", "id")
    )


def public_correction_log(claim: Claim) -> list[PublicLogEntry]:
    """The public history of a claim: publication, each correction (rating before and after,
    the public note) and a retraction (its public note). Built from the audit history of the
    claim and its verdicts only; internal reasons, review comments and (unless
    ``PUBLIC_SHOW_REVIEWER_NAMES``) names stay out.

    A claim from ``public_claim_detail`` that was never corrected nor retracted has a log of
    one line, read from its published verdict: the audit history is only read when there is
    more to tell."""
    from claims.models import ClaimStatus

    verdict = getattr(claim, "published_verdict", None)
    if claim.status == ClaimStatus.PUBLISHED and verdict is not None and verdict.corrects_id is None:
        author = verdict.author.get_username() if _show_reviewer_names() else ""
        return [
            PublicLogEntry(
                at=verdict.published_at, kind="published", rating=verdict.rating.label, actor_name=author
            )
        ]
    entries = _history(
        [
            (Claim, models.Q(pgh_obj_id=claim.pk)),
            (Verdict, models.Q(claim_id=claim.pk)),
        ]
    )
    show_names = _show_reviewer_names()
    claim_model = str(Claim._meta.verbose_name)
    log: list[PublicLogEntry] = []
    last_rating = ""
    for entry in entries:
        status = entry.changes.get("status")
        if status is None or status[0] == status[1]:
            continue
        if entry.model == claim_model:
            if status[1] == "retracted":
                log.append(
                    PublicLogEntry(at=entry.at, kind="retracted", note=entry.row.get("retraction note", ""))
                )
            continue
        if status[1] != "published":
            continue
        corrects = entry.row.get("corrects")
        rating = str(entry.row.get("rating", ""))
        log.append(
            PublicLogEntry(
                at=entry.at,
                kind="corrected" if corrects else "published",
                rating=rating,
                previous_rating=last_rating if corrects else "",
                note=entry.row.get("public note", "") if corrects else "",
                actor_name=str(entry.row.get("author", "")) if show_names else "",
            )
        )
        last_rating = rating
    return log


def _with_public_claims(queryset: models.QuerySet, claim_field: str, slug: str) -> Any:
    """The row with ``slug`` if at least one public claim refers to it through ``claim_field``;
    claimants and topics of drafts only are not public."""
    public = Claim.objects.filter(**{claim_field: models.OuterRef("pk")}, status__in=PUBLIC_CLAIM_STATUSES)
    return queryset.filter(models.Exists(public), slug=slug).first()


def public_claimant(slug: str) -> Claimant | None:
    return _with_public_claims(Claimant.objects.all(), "claimant", slug)


def public_topic(slug: str) -> Topic | None:
    return _with_public_claims(Topic.objects.all(), "topics", slug)
