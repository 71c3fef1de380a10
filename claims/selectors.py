"""Reads of claims used by the admin, the public site and the API."""

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

from claims.models import (
    Claim,
    ClaimRelation,
    ClaimTopic,
    Evidence,
    Review,
    Verdict,
    VerdictEvidence,
)

# Bookkeeping columns that change on every save and tell a reader nothing.
_UNINTERESTING = {"updated_at", "search_vector"}
_ACTIONS = {"insert": "created", "update": "changed", "delete": "deleted"}


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
    return [f for f in model._meta.concrete_fields if f.name not in _UNINTERESTING and not f.primary_key]


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
        for pk, obj in f.related_model._default_manager.in_bulk(ids).items():
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
            row[f.verbose_name] = names.get((f.attname, value), value)
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
