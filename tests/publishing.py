"""Helpers for tests of the public site: claims taken through the real workflow services."""

from claims import services
from claims.models import Claim, Verdict
from tests.factories import EvidenceFactory, default_rating


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
