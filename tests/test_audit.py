"""The audit trail: written by the database for every path, and nobody can rewrite it."""

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from claims import services
from claims.models import Claim, Claimant, Verdict
from claims.selectors import claim_history, event_model_for, object_history
from factcheck.audit import audit_context
from factcheck.errors import DomainError
from sources.models import Source
from tests.factories import ClaimantFactory, ClaimFactory, SnapshotFactory, SourceFactory, default_rating

pytestmark = pytest.mark.django_db

ClaimantEvent = event_model_for(Claimant)
SourceEvent = event_model_for(Source)


def labels(model, obj_id):
    return list(
        event_model_for(model)
        .objects.filter(pgh_obj_id=obj_id)
        .order_by("pgh_id")
        .values_list("pgh_label", flat=True)
    )


def test_save_and_delete_are_captured_with_actor_and_reason(reviewer):
    with audit_context(reviewer, "typo in name"):
        claimant = ClaimantFactory(name="Nikol Pashinian")
        claimant.name = "Nikol Pashinyan"
        claimant.save(update_fields=["name"])
    pk = claimant.pk
    claimant.delete()
    assert labels(Claimant, pk) == ["insert", "update", "delete"]
    update = ClaimantEvent.objects.get(pgh_obj_id=pk, pgh_label="update")
    assert update.pgh_context.metadata["user"] == reviewer.pk
    assert update.pgh_context.metadata["reason"] == "typo in name"


def test_queryset_update_bulk_create_bulk_update_and_raw_sql_are_captured():
    sources = Source.objects.bulk_create([Source(title=f"S{i}") for i in range(3)])
    ids = [s.pk for s in sources]
    Source.objects.filter(pk__in=ids).update(publisher="Bulk Publisher")
    for s in sources:
        s.language = "ru"
    Source.objects.bulk_update(sources, ["language"])
    with connection.cursor() as cursor:
        cursor.execute("UPDATE sources_source SET notes = 'raw' WHERE id = %s", [ids[0]])
        cursor.execute("DELETE FROM sources_source WHERE id = %s", [ids[1]])
    assert labels(Source, ids[0]) == ["insert", "update", "update", "update"]
    assert labels(Source, ids[1]) == ["insert", "update", "update", "delete"]
    assert SourceEvent.objects.filter(pgh_obj_id=ids[0], notes="raw").exists()


@pytest.mark.parametrize("statement", ["UPDATE {table} SET pgh_label = 'x'", "DELETE FROM {table}"])
def test_events_cannot_be_edited_or_deleted(statement):
    SourceFactory()
    table = SourceEvent._meta.db_table
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=table))
    assert SourceEvent.objects.count() == 1


def test_event_orm_update_is_refused_too():
    SourceFactory()
    with pytest.raises(DatabaseError), transaction.atomic():
        SourceEvent.objects.update(title="rewritten")


def test_failed_service_call_leaves_neither_rows_nor_events(reviewer):
    snapshot = SnapshotFactory()
    claim_events_before = event_model_for(Claim).objects.count()
    with pytest.raises(DomainError):
        services.claim_create(
            actor=reviewer,
            snapshot=snapshot,
            exact="not in the text",
            start=0,
            end=15,
            statement="x",
            claimant=ClaimantFactory(),
        )
    assert not Claim.objects.exists()
    assert event_model_for(Claim).objects.count() == claim_events_before


def test_rollback_of_a_half_done_write_discards_its_events(reviewer):
    claim = ClaimFactory()
    verdict = services.verdict_propose(actor=reviewer, claim=claim, rating=default_rating(), rationale="r")
    before = event_model_for(Verdict).objects.count()
    with pytest.raises(IntegrityError), transaction.atomic():
        Verdict.objects.filter(pk=verdict.pk).update(status="published")  # no published_at
    assert event_model_for(Verdict).objects.count() == before


def test_claim_history_gathers_claim_evidence_verdicts_and_reviews(reviewer, editor):
    claim = ClaimFactory()
    services.verdict_submit(
        actor=reviewer,
        verdict=services.verdict_propose(actor=reviewer, claim=claim, rating=default_rating(), rationale="r"),
    )
    verdict = claim.verdicts.get()
    services.verdict_approve(actor=editor, verdict=verdict, comment="good")
    history = claim_history(claim)
    models_seen = {e.model for e in history}
    assert {"claim", "verdict", "review"} <= models_seen
    assert history == sorted(history, key=lambda e: (e.at, e.event_id))
    approval = next(
        e for e in history if e.model == "verdict" and e.changes.get("status") == ("in_review", "approved")
    )
    assert approval.actor_name == editor.username and approval.reason == "good"
    rating_change = next(e for e in history if e.model == "verdict" and e.action == "created")
    assert rating_change.changes["rating"] == (None, "Mostly false")


def test_history_queries_do_not_grow_with_events(reviewer, django_assert_max_num_queries):
    claim = ClaimFactory()
    for i in range(5):
        with audit_context(reviewer, f"edit {i}"):
            Claim.objects.filter(pk=claim.pk).update(statement=f"statement {i}")
    with django_assert_max_num_queries(12):
        history = object_history(claim)
    assert [e.reason for e in history if e.action == "changed"] == [f"edit {i}" for i in range(5)]


def test_each_service_call_keeps_its_own_actor_and_reason_inside_one_request_context(reviewer, editor):
    """Two workflow steps by two people inside one outer context (a request, a command) must not
    share a context row: each event keeps who did it and why."""
    import pghistory

    claim = ClaimFactory()
    with pghistory.context(url="/admin/some/view/"):
        verdict = services.verdict_propose(
            actor=reviewer, claim=claim, rating=default_rating(), rationale="r", reason="first look"
        )
        services.verdict_submit(actor=reviewer, verdict=verdict, reason="ready")
        services.verdict_approve(actor=editor, verdict=verdict, comment="checked the figures")
    events = list(
        event_model_for(Verdict)
        .objects.filter(pgh_obj_id=verdict.pk)
        .order_by("pgh_id")
        .select_related("pgh_context")
    )
    metadata = [(e.pgh_context.metadata["username"], e.pgh_context.metadata["reason"]) for e in events]
    assert metadata == [
        (reviewer.username, "first look"),
        (reviewer.username, "ready"),
        (editor.username, "checked the figures"),
    ]
    assert all(e.pgh_context.metadata["url"] == "/admin/some/view/" for e in events)
