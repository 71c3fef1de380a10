"""Every rule the database enforces, broken once: the write fails whatever path it takes."""

import pytest
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from claims.models import (
    Claim,
    ClaimRelation,
    ClaimTopic,
    Evidence,
    Rating,
    RatingScale,
    Review,
    Verdict,
    VerdictEvidence,
)
from sources.models import Citation, Snapshot, Source
from tests.factories import (
    ClaimantFactory,
    ClaimFactory,
    EditorFactory,
    EvidenceFactory,
    ReviewerFactory,
    SnapshotFactory,
    SourceFactory,
    TopicFactory,
    VerdictFactory,
)

pytestmark = pytest.mark.django_db


def raw_refused(match: str, error: type[Exception] = IntegrityError):
    return pytest.raises(error, match=match)


def test_source_url_unique_when_present_but_many_may_have_none():
    SourceFactory(url="https://example.org/a")
    Source.objects.create(title="no url 1")
    Source.objects.create(title="no url 2")
    with raw_refused("source_url_unique_when_present"), transaction.atomic():
        Source.objects.create(title="dup", url="https://example.org/a")


def test_source_needs_a_title():
    with raw_refused("source_title_not_empty"), transaction.atomic():
        Source.objects.create(title="")


def test_snapshot_rules():
    snapshot = SnapshotFactory()
    with raw_refused("snapshot_unique_content"), transaction.atomic():
        Snapshot.objects.create(
            source=snapshot.source,
            text=snapshot.text,
            sha256=snapshot.sha256,
            origin="paste",
            retrieved_at=timezone.now(),
        )
    with raw_refused("snapshot_text_not_empty"), transaction.atomic():
        Snapshot.objects.create(
            source=snapshot.source, text="", sha256="0" * 64, origin="paste", retrieved_at=timezone.now()
        )
    with raw_refused("snapshot_sha256_hex"), transaction.atomic():
        Snapshot.objects.create(
            source=snapshot.source, text="x", sha256="not-a-hash", origin="paste", retrieved_at=timezone.now()
        )


def test_snapshot_text_never_changes():
    snapshot = SnapshotFactory()
    with raw_refused("snapshot_is_immutable", DatabaseError), transaction.atomic():
        Snapshot.objects.filter(pk=snapshot.pk).update(text="rewritten")
    snapshot.refresh_from_db()
    assert snapshot.sha256 == Snapshot.hash_text(snapshot.text)


def test_citation_rules():
    a, b = SourceFactory(), SourceFactory()
    Citation.objects.create(citing=a, cited=b)
    with raw_refused("citation_unique_pair"), transaction.atomic():
        Citation.objects.create(citing=a, cited=b)
    with raw_refused("citation_not_self"), transaction.atomic():
        Citation.objects.create(citing=a, cited=a)


def test_claimant_needs_a_name():
    with raw_refused("claimant_name_not_empty"), transaction.atomic():
        ClaimantFactory(name="")


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"start": 10, "end": 5}, "claim_anchor_span"),
        ({"exact": "", "start": 0, "end": 0}, "claim_anchor_exact_not_empty|claim_anchor_span"),
        ({"exact": "Belarus was the", "start": 1, "end": 16}, "anchor does not match snapshot"),
        ({"statement": ""}, "claim_statement_not_empty"),
    ],
)
def test_claim_anchor_and_statement_rules(change, match):
    base = ClaimFactory.build(snapshot=SnapshotFactory(), claimant=ClaimantFactory())
    for key, value in change.items():
        setattr(base, key, value)
    with raw_refused(match), transaction.atomic():
        base.save()


def test_anchor_trigger_also_guards_updates_and_evidence():
    claim = ClaimFactory()
    with raw_refused("anchor does not match snapshot"), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(start=claim.start + 1)
    evidence = EvidenceFactory()
    with raw_refused("anchor does not match snapshot"), transaction.atomic():
        Evidence.objects.filter(pk=evidence.pk).update(exact="Something else entirely said")


def test_public_claims_carry_their_dates():
    claim = ClaimFactory()
    with raw_refused("claim_public_has_published_at"), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status="published")
    with raw_refused("claim_retracted_has_retracted_at"), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status="retracted", published_at=timezone.now())


def test_claim_topic_and_relation_rules():
    claim, other, topic = ClaimFactory(), ClaimFactory(), TopicFactory()
    ClaimTopic.objects.create(claim=claim, topic=topic)
    with raw_refused("claim_topic_unique"), transaction.atomic():
        ClaimTopic.objects.create(claim=claim, topic=topic)
    ClaimRelation.objects.create(from_claim=claim, to_claim=other, kind="same_as")
    with raw_refused("claim_relation_unique"), transaction.atomic():
        ClaimRelation.objects.create(from_claim=claim, to_claim=other, kind="same_as")
    with raw_refused("claim_relation_not_self"), transaction.atomic():
        ClaimRelation.objects.create(from_claim=claim, to_claim=claim, kind="contradicts")


def test_evidence_passage_is_unique_per_claim():
    evidence = EvidenceFactory()
    with raw_refused("evidence_unique_passage"), transaction.atomic():
        EvidenceFactory(claim=evidence.claim, snapshot=evidence.snapshot)


def test_rating_rules():
    scale = RatingScale.objects.get(is_default=True)
    with raw_refused("rating_scale_one_default"), transaction.atomic():
        RatingScale.objects.create(name="Another", slug="another", is_default=True)
    with raw_refused("rating_unique_label"), transaction.atomic():
        Rating.objects.create(scale=scale, label="False", slug="false-2")
    with raw_refused("rating_unique_slug"), transaction.atomic():
        Rating.objects.create(scale=scale, label="Falsish", slug="false")
    with raw_refused("rating_unique_value"), transaction.atomic():
        Rating.objects.create(scale=scale, label="Pants on fire", slug="pof", value=1)
    with raw_refused("rating_value_at_least_1"), transaction.atomic():
        Rating.objects.create(scale=scale, label="Zero", slug="zero", value=0)
    # Non-ordinal labels may be many.
    Rating.objects.create(scale=scale, label="Satire", slug="satire", value=None)


def test_one_published_verdict_per_claim():
    first = VerdictFactory(status="published", published_at=timezone.now())
    with raw_refused("verdict_one_published_per_claim"), transaction.atomic():
        VerdictFactory(claim=first.claim, status="published", published_at=timezone.now())
    # Superseded and draft verdicts may be many.
    VerdictFactory(claim=first.claim, status="superseded", published_at=timezone.now())
    VerdictFactory(claim=first.claim)


def test_verdict_rules():
    with raw_refused("verdict_rationale_not_empty"), transaction.atomic():
        VerdictFactory(rationale="")
    previous = VerdictFactory(status="superseded", published_at=timezone.now())
    with raw_refused("verdict_correction_has_public_note"), transaction.atomic():
        VerdictFactory(claim=previous.claim, corrects=previous, public_note="")
    with raw_refused("verdict_published_has_published_at"), transaction.atomic():
        VerdictFactory(status="published")


def test_verdict_author_and_claim_are_fixed():
    verdict = VerdictFactory()
    with raw_refused("verdict_author_is_fixed", DatabaseError), transaction.atomic():
        Verdict.objects.filter(pk=verdict.pk).update(author=EditorFactory())


def test_verdict_evidence_is_unique():
    verdict = VerdictFactory()
    evidence = EvidenceFactory(claim=verdict.claim)
    VerdictEvidence.objects.create(verdict=verdict, evidence=evidence)
    with raw_refused("verdict_evidence_unique"), transaction.atomic():
        VerdictEvidence.objects.create(verdict=verdict, evidence=evidence)


def test_review_rules():
    verdict = VerdictFactory(author=ReviewerFactory())
    with raw_refused("reviewed by its author"), transaction.atomic():
        Review.objects.create(verdict=verdict, reviewer=verdict.author, decision="approve")
    with raw_refused("review_send_back_has_comment"), transaction.atomic():
        Review.objects.create(verdict=verdict, reviewer=EditorFactory(), decision="send_back", comment="")
    review = Review.objects.create(verdict=verdict, reviewer=EditorFactory(), decision="approve")
    with raw_refused("review_is_immutable", DatabaseError), transaction.atomic():
        Review.objects.filter(pk=review.pk).update(decision="send_back", comment="changed my mind")
