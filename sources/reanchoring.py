"""Moving claim and evidence quotes into a source's new snapshot.

Called by ``sources.services.snapshot_record`` whenever a source's current snapshot changes.
Each quote anchored in the previous current snapshot (and each quote of the source already
flagged orphaned, which gets another chance) is looked for in the new text with
``sources.anchoring.find_quote``: exact text, then prefix/suffix context, then a fuzzy match
at or above ``ANCHOR_FUZZY_THRESHOLD``.

- Found: snapshot, offsets, exact text and context move together (the database trigger checks
  that ``exact`` is the snapshot's text at ``start:end``), ``anchor_method`` says how.
- Not found: the quote keeps its old snapshot and offsets, so pages can still show it as it
  was, and ``is_orphaned`` asks a reviewer to look. Nothing is moved silently or dropped.
"""

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from claims.models import PUBLIC_CLAIM_STATUSES, Claim, Evidence
from sources.anchoring import Anchor, find_quote
from sources.models import AnchoredQuote, Snapshot, Source

ANCHOR_FIELDS = ["snapshot", "start", "end", "exact", "prefix", "suffix", "anchor_method", "is_orphaned"]


@dataclass
class ReanchorSummary:
    snapshot_id: int
    previous_snapshot_id: int | None
    moved: list[dict[str, Any]] = field(default_factory=list)
    orphaned: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshot_id": self.snapshot_id,
            "previous_snapshot_id": self.previous_snapshot_id,
            "moved": self.moved,
            "orphaned": self.orphaned,
        }

    @property
    def counts(self) -> str:
        return f"{len(self.moved)} moved, {len(self.orphaned)} orphaned"


def _quotes_to_reanchor(model: type[AnchoredQuote], source: Source, previous_id: int | None, new: Snapshot):
    scope = Q(is_orphaned=True)
    if previous_id is not None:
        scope |= Q(snapshot_id=previous_id)
    return (
        model.objects.filter(scope, snapshot__source=source)
        .exclude(Q(snapshot=new) & Q(is_orphaned=False))
        .order_by("pk")
    )


def _locate(quote: AnchoredQuote, new: Snapshot, threshold: float) -> tuple[Anchor, dict[str, Any]] | None:
    """Where ``quote`` is in ``new``, and the record of how it was found; None if it is not."""
    # No offsets: in a different text the old offsets prove nothing, and the words at the same
    # place may be another occurrence of the quote. Context decides between occurrences.
    anchor = find_quote(
        new.text,
        exact=quote.exact,
        prefix=quote.prefix,
        suffix=quote.suffix,
        fuzzy_threshold=threshold,
    )
    if anchor is None:
        return None
    method = anchor.method
    return anchor, {
        "from": [quote.snapshot_id, quote.start, quote.end],
        "to": [new.pk, anchor.start, anchor.end],
        "method": str(method),
        "score": round(anchor.score, 1),
        "text_changed": anchor.exact != quote.exact,
    }


def _move(quote: AnchoredQuote, new: Snapshot, anchor: Anchor, method: str) -> None:
    # All anchor fields change together: the trigger checks exact == text[start:end].
    quote.snapshot = new
    quote.start, quote.end, quote.exact = anchor.start, anchor.end, anchor.exact
    quote.prefix, quote.suffix = anchor.prefix, anchor.suffix
    quote.anchor_method = method
    quote.is_orphaned = False


def reanchor_source(*, source: Source, new: Snapshot, previous_id: int | None) -> ReanchorSummary:
    """Re-anchor the source's quotes in ``new``. The caller holds the transaction, the source's
    row lock and the audit context."""
    threshold = float(settings.ANCHOR_FUZZY_THRESHOLD)
    summary = ReanchorSummary(snapshot_id=new.pk, previous_snapshot_id=previous_id)
    now = timezone.now()
    public_claims_changed: set[int] = set()

    claims = list(_quotes_to_reanchor(Claim, source, previous_id, new).select_for_update(of=("self",)))
    for claim in claims:
        item = {"model": "claim", "id": claim.pk, "label": str(claim)}
        found = _locate(claim, new, threshold)
        if found is None:
            claim.is_orphaned = True
            summary.orphaned.append(item)
        else:
            anchor, record = found
            _move(claim, new, anchor, record["method"])
            summary.moved.append({**item, **record})
            if record["text_changed"] and claim.status in PUBLIC_CLAIM_STATUSES:
                public_claims_changed.add(claim.pk)
        claim.updated_at = now
    if claims:
        Claim.objects.bulk_update(claims, [*ANCHOR_FIELDS, "updated_at"])

    evidence = list(
        _quotes_to_reanchor(Evidence, source, previous_id, new)
        .select_related("claim")
        .select_for_update(of=("self",))
    )
    # Two passages of the same claim may land on the same words of the new text; the second
    # would break evidence_unique_passage, so it stays where it was and a reviewer decides.
    taken = set(
        Evidence.objects.filter(snapshot=new, claim_id__in={e.claim_id for e in evidence}).values_list(
            "claim_id", "start", "end"
        )
    )
    for passage in evidence:
        item = {"model": "evidence", "id": passage.pk, "label": str(passage), "claim_id": passage.claim_id}
        found = _locate(passage, new, threshold)
        if found is not None and (passage.claim_id, found[0].start, found[0].end) in taken:
            found = None
            item["why"] = "the same passage is already evidence for this claim"
        if found is None:
            passage.is_orphaned = True
            summary.orphaned.append(item)
        else:
            anchor, record = found
            _move(passage, new, anchor, record["method"])
            taken.add((passage.claim_id, anchor.start, anchor.end))
            summary.moved.append({**item, **record})
            if record["text_changed"] and passage.claim.status in PUBLIC_CLAIM_STATUSES:
                public_claims_changed.add(passage.claim_id)
        passage.updated_at = now
    if evidence:
        Evidence.objects.bulk_update(evidence, [*ANCHOR_FIELDS, "updated_at"])

    if public_claims_changed:
        # The words readers see changed: caches, feeds and incremental sync must notice.
        Claim.objects.filter(pk__in=public_claims_changed).update(public_changed_at=now)
    return summary
