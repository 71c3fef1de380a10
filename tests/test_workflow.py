"""The claim workflow, legal and illegal transitions, through the services."""

import pytest
from django.db import IntegrityError, transaction

from claims import services
from claims.models import ClaimStatus, Review, Verdict, VerdictStatus
from factcheck.errors import DomainError, PermissionDenied
from tests.factories import ClaimantFactory, EditorFactory, EvidenceFactory, SnapshotFactory, default_rating

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot():
    return SnapshotFactory()


@pytest.fixture
def claim(reviewer, snapshot):
    text = snapshot.text
    quote = "Belarus was the second-largest arms supplier to Azerbaijan after Israel"
    start = text.index(quote)
    return services.claim_create(
        actor=reviewer,
        snapshot=snapshot,
        exact=quote,
        start=start,
        end=start + len(quote),
        statement="Belarus was Azerbaijan's second-largest arms supplier.",
        claimant=ClaimantFactory(),
    )


def propose_and_submit(author, claim, slug="mostly-false"):
    verdict = services.verdict_propose(
        actor=author, claim=claim, rating=default_rating(slug), rationale="Per SIPRI."
    )
    return services.verdict_submit(actor=author, verdict=verdict)


def publish(claim, author, editor):
    verdict = propose_and_submit(author, claim)
    services.verdict_approve(actor=editor, verdict=verdict, comment="Sound.")
    return services.claim_publish(actor=editor, claim=claim), verdict


def test_full_life_of_a_claim(claim, reviewer, editor, second_editor):
    claim, first = publish(claim, reviewer, editor)
    assert claim.status == ClaimStatus.PUBLISHED and claim.published_at and claim.public_changed_at
    first.refresh_from_db()
    assert first.status == VerdictStatus.PUBLISHED

    correction = propose_and_submit(reviewer, claim, "false")
    services.verdict_approve(actor=second_editor, verdict=correction)
    services.verdict_correct(
        actor=editor, verdict=correction, public_note="Rating lowered.", reason="New SIPRI data"
    )
    first.refresh_from_db()
    correction.refresh_from_db()
    assert first.status == VerdictStatus.SUPERSEDED
    assert correction.status == VerdictStatus.PUBLISHED and correction.corrects == first

    services.claim_retract(actor=editor, claim=claim, public_note="Withdrawn.", reason="Quote misread")
    claim.refresh_from_db()
    correction.refresh_from_db()
    assert claim.status == ClaimStatus.RETRACTED and claim.retraction_note == "Withdrawn."
    assert correction.status == VerdictStatus.RETRACTED


def test_nobody_approves_their_own_verdict(claim, editor):
    verdict = propose_and_submit(editor, claim)
    with pytest.raises(PermissionDenied, match="own verdict"):
        services.verdict_approve(actor=editor, verdict=verdict)
    verdict.refresh_from_db()
    assert verdict.status == VerdictStatus.IN_REVIEW
    assert not Review.objects.exists()


def test_database_refuses_self_review_whatever_the_path(claim, editor):
    verdict = propose_and_submit(editor, claim)
    with pytest.raises(IntegrityError, match="reviewed by its author"), transaction.atomic():
        Review.objects.create(verdict=verdict, reviewer=editor, decision="approve")


def test_reviewer_cannot_approve_or_publish(claim, reviewer, editor):
    verdict = propose_and_submit(editor, claim)
    with pytest.raises(PermissionDenied):
        services.verdict_approve(actor=reviewer, verdict=verdict)
    services.verdict_approve(actor=EditorFactory(), verdict=verdict)
    with pytest.raises(PermissionDenied):
        services.claim_publish(actor=reviewer, claim=claim)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_outsider_can_do_nothing(claim, outsider):
    with pytest.raises(PermissionDenied):
        services.verdict_propose(actor=outsider, claim=claim, rating=default_rating(), rationale="x")
    assert not Verdict.objects.exists()


def test_send_back_needs_a_comment_and_returns_to_draft(claim, reviewer, editor):
    verdict = propose_and_submit(reviewer, claim)
    with pytest.raises(DomainError, match="reason"):
        services.verdict_send_back(actor=editor, verdict=verdict, comment="  ")
    services.verdict_send_back(actor=editor, verdict=verdict, comment="Cite SIPRI directly.")
    verdict.refresh_from_db()
    claim.refresh_from_db()
    assert verdict.status == VerdictStatus.DRAFT and claim.status == ClaimStatus.DRAFT
    assert verdict.reviews.get().decision == "send_back"


@pytest.mark.parametrize("step", ["publish_draft", "approve_draft", "correct_unpublished", "retract_draft"])
def test_illegal_transitions_write_nothing(claim, reviewer, editor, step):
    verdict = services.verdict_propose(
        actor=reviewer, claim=claim, rating=default_rating(), rationale="Per SIPRI."
    )
    with pytest.raises(DomainError):
        if step == "publish_draft":
            services.claim_publish(actor=editor, claim=claim)
        elif step == "approve_draft":
            services.verdict_approve(actor=editor, verdict=verdict)
        elif step == "correct_unpublished":
            services.verdict_correct(actor=editor, verdict=verdict, public_note="n", reason="r")
        else:
            services.claim_retract(actor=editor, claim=claim, public_note="n", reason="r")
    claim.refresh_from_db()
    verdict.refresh_from_db()
    assert claim.status == ClaimStatus.DRAFT and verdict.status == VerdictStatus.DRAFT
    assert not Review.objects.exists()


def test_correction_requires_note_and_reason(claim, reviewer, editor, second_editor):
    publish(claim, reviewer, editor)
    correction = propose_and_submit(reviewer, claim, "false")
    services.verdict_approve(actor=second_editor, verdict=correction)
    with pytest.raises(DomainError, match="public note"):
        services.verdict_correct(actor=editor, verdict=correction, public_note="", reason="why")
    with pytest.raises(DomainError, match="reason"):
        services.verdict_correct(actor=editor, verdict=correction, public_note="note", reason="")


def test_one_verdict_in_progress_per_claim(claim, reviewer):
    services.verdict_propose(actor=reviewer, claim=claim, rating=default_rating(), rationale="a")
    with pytest.raises(DomainError, match="in progress"):
        services.verdict_propose(actor=reviewer, claim=claim, rating=default_rating(), rationale="b")


def test_evidence_must_come_from_another_source(claim, reviewer):
    with pytest.raises(DomainError, match="another source"):
        services.evidence_add(
            actor=reviewer,
            claim=claim,
            snapshot=claim.snapshot,
            exact=claim.exact,
            start=claim.start,
            end=claim.end,
            stance="supports",
        )
    evidence = EvidenceFactory.build(claim=claim)
    other = SnapshotFactory()
    added = services.evidence_add(
        actor=reviewer,
        claim=claim,
        snapshot=other,
        exact=evidence.exact,
        start=other.text.index(evidence.exact),
        end=other.text.index(evidence.exact) + len(evidence.exact),
        stance="contradicts",
        note="SIPRI",
    )
    assert added.prefix and added.suffix
