"""The claim workflow: one function per verb, each transactional, audited and role-checked.

draft → in review → approved → published → (corrected)* → retracted

The admin, the API and Celery tasks all come through here. Each function checks its rule
before it writes; an illegal transition raises ``DomainError`` (or ``PermissionDenied``) and
writes nothing. Side effects that leave the database are enqueued with
``transaction.on_commit``.
"""

import datetime as dt
from collections.abc import Iterable

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from claims.models import (
    Claim,
    Claimant,
    ClaimRelation,
    ClaimStatus,
    ClaimTopic,
    Evidence,
    Rating,
    RelationKind,
    Review,
    ReviewDecision,
    Stance,
    Topic,
    Verdict,
    VerdictEvidence,
    VerdictStatus,
)
from claims.signals import public_change
from factcheck.audit import audit_context
from factcheck.errors import DomainError, PermissionDenied
from sources.anchoring import context_of, validate_anchor
from sources.models import Snapshot

OPEN_VERDICT_STATUSES = (VerdictStatus.DRAFT, VerdictStatus.IN_REVIEW, VerdictStatus.APPROVED)


def _require(actor: AbstractBaseUser, perm: str, doing: str) -> None:
    if not (actor and actor.is_authenticated and actor.is_active and actor.has_perm(perm)):
        raise PermissionDenied(f"Your role does not allow you to {doing}.")


def _require_reason(reason: str, doing: str) -> str:
    reason = reason.strip()
    if not reason:
        raise DomainError(f"Give a reason to {doing}.", field="reason")
    return reason


def _lock_claim(claim: Claim) -> Claim:
    return Claim.objects.select_for_update().get(pk=claim.pk)


def _lock_verdict(verdict: Verdict) -> Verdict:
    return Verdict.objects.select_for_update().select_related("claim").get(pk=verdict.pk)


def _announce(claim_id: int, change: str) -> None:
    transaction.on_commit(lambda: public_change.send(sender=Claim, claim_id=claim_id, change=change))


def _unique_slug(model: type, name: str) -> str:
    base = slugify(name)[:100] or "item"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- Claimants and topics -------------------------------------------------------------------


@transaction.atomic
def claimant_create(
    *,
    actor: AbstractBaseUser | None,
    name: str,
    kind: str = "person",
    description: str = "",
    same_as: str = "",
) -> Claimant:
    name = name.strip()
    if not name:
        raise DomainError("A claimant needs a name.", field="name")
    same_as = same_as.strip()
    if same_as:
        # Shown as a link on public pages and sent to newsrooms: a web address, never
        # javascript: or data: (an import brings in whatever the feed says).
        try:
            URLValidator(schemes=["http", "https"])(same_as)
        except ValidationError as exc:
            raise DomainError("Enter a full http(s) address for same_as.", field="same_as") from exc
    with audit_context(actor, "claimant added"):
        return Claimant.objects.create(
            name=name,
            slug=_unique_slug(Claimant, name),
            kind=kind,
            description=description,
            same_as=same_as,
        )


@transaction.atomic
def topic_get_or_create(*, actor: AbstractBaseUser | None, name: str) -> Topic:
    name = name.strip()
    if not name:
        raise DomainError("A topic needs a name.", field="topics")
    existing = Topic.objects.filter(name__iexact=name).first()
    if existing:
        return existing
    with audit_context(actor, "topic added"):
        return Topic.objects.create(name=name, slug=_unique_slug(Topic, name))


# --- Claims and evidence --------------------------------------------------------------------


def _anchor_fields(snapshot: Snapshot, exact: str, start: int, end: int) -> dict:
    validate_anchor(snapshot.text, exact=exact, start=start, end=end)
    prefix, suffix = context_of(snapshot.text, start, end)
    return {
        "snapshot": snapshot,
        "exact": exact,
        "start": start,
        "end": end,
        "prefix": prefix,
        "suffix": suffix,
    }


@transaction.atomic
def claim_create(
    *,
    actor: AbstractBaseUser,
    snapshot: Snapshot,
    exact: str,
    start: int,
    end: int,
    statement: str,
    claimant: Claimant,
    made_on: dt.date | None = None,
    topics: Iterable[Topic] = (),
    reason: str = "",
) -> Claim:
    """Make a claim from a passage of a snapshot. The quote must be the text at start:end."""
    _require(actor, "claims.add_claim", "create claims")
    statement = statement.strip()
    if not statement:
        raise DomainError("Write the claim as one plain, checkable sentence.", field="statement")
    anchor = _anchor_fields(snapshot, exact, start, end)
    with audit_context(actor, reason or "claim created"):
        claim = Claim.objects.create(
            **anchor, statement=statement, claimant=claimant, made_on=made_on, created_by=actor
        )
        ClaimTopic.objects.bulk_create(ClaimTopic(claim=claim, topic=t) for t in topics)
    return claim


@transaction.atomic
def claim_relate(
    *, actor: AbstractBaseUser, from_claim: Claim, to_claim: Claim, kind: str, reason: str = ""
) -> ClaimRelation:
    _require(actor, "claims.add_claimrelation", "relate claims")
    if from_claim.pk == to_claim.pk:
        raise DomainError("A claim cannot be related to itself.", field="to_claim")
    if kind not in RelationKind.values:
        raise DomainError(f"Unknown relation {kind!r}.", field="kind")
    with audit_context(actor, reason or "claims related"):
        relation, _ = ClaimRelation.objects.get_or_create(
            from_claim=from_claim, to_claim=to_claim, kind=kind, defaults={"created_by": actor}
        )
    return relation


@transaction.atomic
def evidence_add(
    *,
    actor: AbstractBaseUser,
    claim: Claim,
    snapshot: Snapshot,
    exact: str,
    start: int,
    end: int,
    stance: str,
    note: str = "",
    reason: str = "",
) -> Evidence:
    """Attach a passage of another source to a claim, with its stance."""
    _require(actor, "claims.add_evidence", "attach evidence")
    if snapshot.source_id == claim.snapshot.source_id:
        raise DomainError("Evidence must come from another source than the claim.", field="snapshot")
    if stance not in Stance.values:
        raise DomainError(f"Unknown stance {stance!r}.", field="stance")
    anchor = _anchor_fields(snapshot, exact, start, end)
    if Evidence.objects.filter(claim=claim, snapshot=snapshot, start=start, end=end).exists():
        raise DomainError("This passage is already evidence for the claim.", field="exact")
    with audit_context(actor, reason or "evidence added"):
        return Evidence.objects.create(
            claim=claim, **anchor, stance=stance, note=note.strip(), added_by=actor
        )


# --- Verdicts -------------------------------------------------------------------------------


@transaction.atomic
def verdict_propose(
    *,
    actor: AbstractBaseUser,
    claim: Claim,
    rating: Rating,
    rationale: str,
    evidence: Iterable[Evidence] = (),
    original_rating_text: str = "",
    reason: str = "",
) -> Verdict:
    """Write a draft verdict. A published claim may get one too: that is how a correction starts."""
    _require(actor, "claims.add_verdict", "propose verdicts")
    claim = _lock_claim(claim)
    if claim.status == ClaimStatus.RETRACTED:
        raise DomainError("This claim is retracted; it takes no new verdicts.")
    if not rationale.strip():
        raise DomainError("A verdict needs a rationale: say why, citing the evidence.", field="rationale")
    if claim.verdicts.filter(status__in=OPEN_VERDICT_STATUSES).exists():
        raise DomainError("This claim already has a verdict in progress; finish or send back that one first.")
    evidence = list(evidence)
    if any(item.claim_id != claim.pk for item in evidence):
        raise DomainError("A verdict can only rest on this claim's evidence.", field="evidence")
    with audit_context(actor, reason or "verdict proposed"):
        verdict = Verdict.objects.create(
            claim=claim,
            rating=rating,
            rationale=rationale.strip(),
            author=actor,
            original_rating_text=original_rating_text,
        )
        VerdictEvidence.objects.bulk_create(
            VerdictEvidence(verdict=verdict, evidence=item) for item in evidence
        )
    return verdict


@transaction.atomic
def verdict_submit(*, actor: AbstractBaseUser, verdict: Verdict, reason: str = "") -> Verdict:
    """Send a draft verdict to the editors."""
    verdict = _lock_verdict(verdict)
    if verdict.author_id != actor.pk:
        _require(actor, "claims.review_verdict", "submit someone else's verdict")
    if verdict.status != VerdictStatus.DRAFT:
        raise DomainError(
            f"Only a draft verdict can be submitted; this one is {verdict.get_status_display().lower()}."
        )
    claim = _lock_claim(verdict.claim)
    now = timezone.now()
    with audit_context(actor, reason or "verdict submitted for review"):
        verdict.status, verdict.submitted_at = VerdictStatus.IN_REVIEW, now
        verdict.save(update_fields=["status", "submitted_at", "updated_at"])
        if claim.status == ClaimStatus.DRAFT:
            claim.status = ClaimStatus.IN_REVIEW
            claim.save(update_fields=["status", "updated_at"])
    return verdict


def _review(actor: AbstractBaseUser, verdict: Verdict, decision: str, comment: str) -> Verdict:
    _require(actor, "claims.review_verdict", "review verdicts")
    verdict = _lock_verdict(verdict)
    if verdict.author_id == actor.pk:
        raise PermissionDenied("Nobody reviews their own verdict: another editor must.")
    if verdict.status != VerdictStatus.IN_REVIEW:
        raise DomainError(
            f"Only a verdict in review can be reviewed; this one is {verdict.get_status_display().lower()}."
        )
    Review.objects.create(verdict=verdict, reviewer=actor, decision=decision, comment=comment)
    return verdict


@transaction.atomic
def verdict_approve(*, actor: AbstractBaseUser, verdict: Verdict, comment: str = "") -> Verdict:
    with audit_context(actor, comment or "verdict approved"):
        verdict = _review(actor, verdict, ReviewDecision.APPROVE, comment.strip())
        claim = _lock_claim(verdict.claim)
        verdict.status, verdict.approved_at = VerdictStatus.APPROVED, timezone.now()
        verdict.save(update_fields=["status", "approved_at", "updated_at"])
        if claim.status in (ClaimStatus.DRAFT, ClaimStatus.IN_REVIEW):
            claim.status = ClaimStatus.APPROVED
            claim.save(update_fields=["status", "updated_at"])
    return verdict


@transaction.atomic
def verdict_send_back(*, actor: AbstractBaseUser, verdict: Verdict, comment: str) -> Verdict:
    comment = _require_reason(comment, "send a verdict back (tell the author what to change)")
    with audit_context(actor, comment):
        verdict = _review(actor, verdict, ReviewDecision.SEND_BACK, comment)
        claim = _lock_claim(verdict.claim)
        verdict.status = VerdictStatus.DRAFT
        verdict.save(update_fields=["status", "updated_at"])
        if claim.status in (ClaimStatus.IN_REVIEW, ClaimStatus.APPROVED):
            claim.status = ClaimStatus.DRAFT
            claim.save(update_fields=["status", "updated_at"])
    return verdict


@transaction.atomic
def verdict_update(
    *,
    actor: AbstractBaseUser,
    verdict: Verdict,
    rating: Rating | None = None,
    rationale: str | None = None,
    reason: str = "",
) -> Verdict:
    """Edit a draft verdict (its author, or an editor). Anything past draft is fixed."""
    verdict = _lock_verdict(verdict)
    if verdict.author_id != actor.pk:
        _require(actor, "claims.review_verdict", "edit someone else's verdict")
    if verdict.status != VerdictStatus.DRAFT:
        raise DomainError("Only a draft verdict can be edited; send it back first.")
    fields = ["updated_at"]
    if rating is not None:
        verdict.rating = rating
        fields.append("rating")
    if rationale is not None:
        if not rationale.strip():
            raise DomainError("A verdict needs a rationale.", field="rationale")
        verdict.rationale = rationale.strip()
        fields.append("rationale")
    with audit_context(actor, reason or "verdict edited"):
        verdict.save(update_fields=fields)
    return verdict


# --- Publication, corrections, retractions --------------------------------------------------


@transaction.atomic
def claim_publish(*, actor: AbstractBaseUser, claim: Claim, reason: str = "") -> Claim:
    """Publish an approved claim with its approved verdict: first publication."""
    _require(actor, "claims.publish_claim", "publish claims")
    claim = _lock_claim(claim)
    if claim.status != ClaimStatus.APPROVED:
        raise DomainError(
            f"Only an approved claim can be published; this one is {claim.get_status_display().lower()}."
            + (
                " Use a correction to change a published verdict."
                if claim.status == ClaimStatus.PUBLISHED
                else ""
            )
        )
    verdict = claim.verdicts.select_for_update().filter(status=VerdictStatus.APPROVED).first()
    if verdict is None:
        raise DomainError("This claim has no approved verdict to publish.")
    now = timezone.now()
    with audit_context(actor, reason or "claim published"):
        verdict.status, verdict.published_at = VerdictStatus.PUBLISHED, now
        verdict.save(update_fields=["status", "published_at", "updated_at"])
        claim.status, claim.published_at, claim.public_changed_at = ClaimStatus.PUBLISHED, now, now
        claim.save(update_fields=["status", "published_at", "public_changed_at", "updated_at"])
    _announce(claim.pk, "published")
    return claim


@transaction.atomic
def verdict_correct(*, actor: AbstractBaseUser, verdict: Verdict, public_note: str, reason: str) -> Verdict:
    """Publish an approved verdict in place of a published one, with a public correction note."""
    _require(actor, "claims.publish_claim", "publish corrections")
    reason = _require_reason(reason, "correct a published verdict")
    public_note = public_note.strip()
    if not public_note:
        raise DomainError(
            "A correction needs a public note telling readers what changed.", field="public_note"
        )
    verdict = _lock_verdict(verdict)
    claim = _lock_claim(verdict.claim)
    if claim.status != ClaimStatus.PUBLISHED:
        raise DomainError("Only a published claim can be corrected.")
    if verdict.status != VerdictStatus.APPROVED:
        raise DomainError("A correction must be approved by an editor other than its author first.")
    previous = claim.verdicts.select_for_update().get(status=VerdictStatus.PUBLISHED)
    now = timezone.now()
    with audit_context(actor, reason):
        previous.status = VerdictStatus.SUPERSEDED
        previous.save(update_fields=["status", "updated_at"])
        verdict.status, verdict.published_at = VerdictStatus.PUBLISHED, now
        verdict.corrects, verdict.public_note = previous, public_note
        verdict.save(update_fields=["status", "published_at", "corrects", "public_note", "updated_at"])
        claim.public_changed_at = now
        claim.save(update_fields=["public_changed_at", "updated_at"])
    _announce(claim.pk, "corrected")
    return verdict


@transaction.atomic
def claim_retract(*, actor: AbstractBaseUser, claim: Claim, public_note: str, reason: str) -> Claim:
    """Withdraw a published fact-check. Readers and the API see the retraction and its note."""
    _require(actor, "claims.publish_claim", "retract claims")
    reason = _require_reason(reason, "retract a claim")
    public_note = public_note.strip()
    if not public_note:
        raise DomainError("A retraction needs a public note for readers.", field="public_note")
    claim = _lock_claim(claim)
    if claim.status != ClaimStatus.PUBLISHED:
        raise DomainError("Only a published claim can be retracted.")
    now = timezone.now()
    with audit_context(actor, reason):
        claim.verdicts.filter(status=VerdictStatus.PUBLISHED).update(
            status=VerdictStatus.RETRACTED, updated_at=now
        )
        claim.status, claim.retracted_at, claim.retraction_note = ClaimStatus.RETRACTED, now, public_note
        claim.public_changed_at = now
        claim.save(
            update_fields=["status", "retracted_at", "retraction_note", "public_changed_at", "updated_at"]
        )
    _announce(claim.pk, "retracted")
    return claim
