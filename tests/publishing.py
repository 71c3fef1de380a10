"""Helpers for tests of the public site: claims taken through the real workflow services."""

from claims import services
from claims.models import Claim, Stance, Verdict
from sources.models import Citation, SnapshotOrigin
from tests.factories import (
    ClaimantFactory,
    ClaimFactory,
    EvidenceFactory,
    SnapshotFactory,
    SourceFactory,
    TopicFactory,
    default_rating,
)

# Strings that exist only in private places; no public response may contain any of them.
SECRETS = {
    "source note": "SECRET-SOURCE-NOTE",
    "draft claim": "SECRET-DRAFT-CLAIM",
    "draft rationale": "SECRET-DRAFT-RATIONALE",
    "review comment": "SECRET-REVIEW-COMMENT",
    "internal reason": "SECRET-INTERNAL-REASON",
    "unpublished correction evidence": "SECRET-LATE-EVIDENCE",
    "draft topic": "SECRET-DRAFT-TOPIC",
    "draft claimant": "SECRET-DRAFT-CLAIMANT",
}


def publish(
    claim: Claim, *, author, editor, rating: str = "mostly-false", rationale: str = "Per SIPRI."
) -> Verdict:
    """Propose, submit, approve (by ``editor``) and publish a verdict on ``claim``."""
    verdict = services.verdict_propose(
        actor=author, claim=claim, rating=default_rating(rating), rationale=rationale
    )
    services.verdict_submit(actor=author, verdict=verdict)
    services.verdict_approve(actor=editor, verdict=verdict, comment="Sound.")
    services.claim_publish(actor=editor, claim=claim)
    verdict.refresh_from_db()
    claim.refresh_from_db()
    return verdict


def correct(
    claim: Claim, *, author, approver, editor, rating: str, public_note: str, reason: str = "New data"
) -> Verdict:
    verdict = services.verdict_propose(
        actor=author, claim=claim, rating=default_rating(rating), rationale="Corrected rationale."
    )
    services.verdict_submit(actor=author, verdict=verdict)
    services.verdict_approve(actor=approver, verdict=verdict)
    services.verdict_correct(actor=editor, verdict=verdict, public_note=public_note, reason=reason)
    verdict.refresh_from_db()
    claim.refresh_from_db()
    return verdict


def add_evidence(claim: Claim, n: int, **kwargs) -> list:
    """``n`` evidence items on ``claim``, each from its own source."""
    return [EvidenceFactory(claim=claim, **kwargs) for _ in range(n)]


def build_site(reviewer, editor, second_editor) -> dict:
    """A small public site: a published and corrected claim with evidence of every stance,
    a retracted claim, a draft claim, and a correction still in review."""
    topic = TopicFactory(name="Arms trade", slug="arms-trade")
    source = SourceFactory(title="Arms imports of Azerbaijan", notes=SECRETS["source note"])
    snapshot = SnapshotFactory(source=source)
    claim = ClaimFactory(snapshot=snapshot, claimant=ClaimantFactory(name="Ilham Example", slug="ilham"))
    claim.topics.add(topic)
    sipri = SourceFactory(title="SIPRI Arms Transfers Database", publisher="SIPRI")
    Citation.objects.create(citing=source, cited=sipri, note="import shares")
    evidence = [
        EvidenceFactory(claim=claim, stance=Stance.CONTRADICTS, note="Russia first."),
        EvidenceFactory(claim=claim, stance=Stance.SUPPORTS, note="Belarus was a supplier."),
        EvidenceFactory(
            claim=claim,
            stance=Stance.CONTEXT,
            note="Shares vary by year.",
            snapshot=SnapshotFactory(origin=SnapshotOrigin.EXCERPT, source=sipri),
        ),
    ]
    publish(claim, author=reviewer, editor=editor, rating="mostly-false", rationale="**SIPRI** data.")
    correct(
        claim,
        author=reviewer,
        approver=second_editor,
        editor=editor,
        rating="false",
        public_note="Rating lowered after SIPRI's 2021 update.",
        reason=SECRETS["internal reason"],
    )
    # A correction in progress: its rationale, evidence and review comment stay private.
    EvidenceFactory(claim=claim, stance=Stance.SUPPORTS, note=SECRETS["unpublished correction evidence"])
    pending = services.verdict_propose(
        actor=reviewer, claim=claim, rating=default_rating("true"), rationale=SECRETS["draft rationale"]
    )
    services.verdict_submit(actor=reviewer, verdict=pending)
    services.verdict_send_back(actor=editor, verdict=pending, comment=SECRETS["review comment"])

    retracted = ClaimFactory(statement="Azerbaijan bought no arms from Israel.")
    publish(retracted, author=reviewer, editor=editor, rating="true")
    services.claim_retract(
        actor=editor, claim=retracted, public_note="We misread the quote.", reason=SECRETS["internal reason"]
    )
    retracted.refresh_from_db()

    draft = ClaimFactory(
        statement=SECRETS["draft claim"],
        claimant=ClaimantFactory(name=SECRETS["draft claimant"], slug="draft-claimant"),
    )
    draft.topics.add(TopicFactory(name=SECRETS["draft topic"], slug="draft-topic"))
    services.claim_relate(actor=reviewer, from_claim=claim, to_claim=draft, kind="contradicts")
    services.claim_relate(actor=reviewer, from_claim=claim, to_claim=retracted, kind="same_as")
    claim.refresh_from_db()
    return {
        "claim": claim,
        "retracted": retracted,
        "draft": draft,
        "source": source,
        "sipri": sipri,
        "evidence": evidence,
        "topic": topic,
    }
