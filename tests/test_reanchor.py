"""Re-anchoring: a source's new snapshot takes its claims and evidence along, or flags them."""

import pytest

from claims.models import Claim, ClaimStatus, Evidence
from claims.selectors import event_model_for
from sources.anchoring import context_of
from sources.models import AnchorMethod
from sources.services import snapshot_add, snapshot_record
from tests.factories import TEXT, ClaimFactory, EvidenceFactory, SnapshotFactory

pytestmark = pytest.mark.django_db

QUOTE = "Belarus was the second-largest arms supplier to Azerbaijan after Israel"
OTHER_QUOTE = "Russia supplied almost two-thirds of Azerbaijan's major arms"


def with_context(quote):
    """Give a factory-made quote the prefix/suffix the services record."""
    quote.prefix, quote.suffix = context_of(quote.snapshot.text, quote.start, quote.end)
    type(quote).objects.filter(pk=quote.pk).update(prefix=quote.prefix, suffix=quote.suffix)
    return quote


@pytest.fixture
def claim() -> Claim:
    return with_context(ClaimFactory(quote=QUOTE))


def new_text(claim: Claim, text: str):
    result = snapshot_record(actor=None, source=claim.snapshot.source, text=text, origin="fetch")
    claim.refresh_from_db()
    return result


def test_exact_match_moves_the_quote_with_its_new_offsets(claim):
    old_snapshot = claim.snapshot
    result = new_text(claim, "Updated on 3 May: a correction was appended below.\n\n" + TEXT)
    assert result.created and result.reanchor is not None
    assert claim.snapshot == result.snapshot and claim.snapshot != old_snapshot
    assert claim.snapshot.text[claim.start : claim.end] == QUOTE == claim.exact
    assert claim.start > 0 and claim.anchor_method == AnchorMethod.EXACT and not claim.is_orphaned
    assert claim.prefix.endswith("\n\n") and claim.suffix.startswith(", accounting")
    assert [m["id"] for m in result.reanchor.moved] == [claim.pk] and not result.reanchor.orphaned
    old_snapshot.refresh_from_db()  # the old snapshot stays, unchanged
    assert old_snapshot.text == TEXT


def test_repeated_words_are_told_apart_by_their_context(claim):
    # The quote now occurs twice; only the second occurrence keeps the old suffix.
    text = QUOTE + " (a claim we check below).\n\n" + TEXT
    new_text(claim, text)
    assert claim.anchor_method == AnchorMethod.CONTEXT
    assert claim.start == text.rindex(QUOTE)
    assert claim.suffix.startswith(", accounting")


def test_slightly_reworded_quote_is_found_by_similarity(claim):
    reworded = TEXT.replace("second-largest arms supplier", "second largest arms-supplier")
    result = new_text(claim, reworded)
    assert not claim.is_orphaned
    assert claim.anchor_method in (AnchorMethod.CONTEXT, AnchorMethod.FUZZY)
    assert claim.exact.startswith("Belarus was the second largest arms-supplier")
    assert result.reanchor.moved[0]["text_changed"] and result.reanchor.moved[0]["score"] >= 85


def test_reworded_quote_in_new_surroundings_is_found_fuzzily(claim):
    reworded = (
        "In a changed lead paragraph, Minsk is named: Belarus was the second largest arms supplier of "
        "Azerbaijan after Israel - as the institute wrote in its report."
    )
    new_text(claim, reworded)
    assert not claim.is_orphaned and claim.anchor_method == AnchorMethod.FUZZY
    assert claim.snapshot.text[claim.start : claim.end] == claim.exact
    assert "Belarus was the second largest arms supplier" in claim.exact


def test_quote_that_is_gone_is_orphaned_and_keeps_its_old_anchor(claim):
    old = (claim.snapshot_id, claim.start, claim.end, claim.exact)
    result = new_text(claim, "The page now says something else entirely about trade and the weather.")
    assert claim.is_orphaned
    assert (claim.snapshot_id, claim.start, claim.end, claim.exact) == old
    assert [o["id"] for o in result.reanchor.orphaned] == [claim.pk] and not result.reanchor.moved


def test_fuzzy_threshold_setting_decides(claim, settings):
    reworded = TEXT.replace("second-largest arms supplier to Azerbaijan", "runner-up weapons vendor for Baku")
    settings.ANCHOR_FUZZY_THRESHOLD = 99
    new_text(claim, reworded)
    assert claim.is_orphaned


def test_orphan_is_found_again_when_the_text_comes_back(claim):
    original = claim.snapshot
    new_text(claim, "Nothing of the quote here at all, only other words.")
    assert claim.is_orphaned and claim.snapshot == original
    result = new_text(claim, TEXT)  # the same content: the old snapshot is current again
    assert not result.created and result.snapshot == original
    assert not claim.is_orphaned and claim.snapshot == original


def test_orphan_gets_another_chance_in_each_later_snapshot(claim):
    new_text(claim, "A version without the quote.")
    assert claim.is_orphaned
    new_text(claim, "A third version. " + TEXT)
    assert not claim.is_orphaned and claim.snapshot.text.startswith("A third version.")


def test_evidence_moves_too_and_other_sources_are_untouched():
    evidence = EvidenceFactory()
    untouched = evidence.claim
    before = (untouched.snapshot_id, untouched.start)
    snapshot_add(actor=None, source=evidence.snapshot.source, text="Preface.\n\n" + TEXT)
    evidence.refresh_from_db()
    untouched.refresh_from_db()
    assert evidence.snapshot.text.startswith("Preface.")
    assert evidence.snapshot.text[evidence.start : evidence.end] == OTHER_QUOTE
    assert (untouched.snapshot_id, untouched.start) == before


def test_two_passages_landing_on_the_same_words_do_not_collide():
    snapshot = SnapshotFactory(text=TEXT + " " + OTHER_QUOTE + ".")
    first = EvidenceFactory(snapshot=snapshot)
    claim = first.claim
    second_start = snapshot.text.rindex(OTHER_QUOTE)
    second = Evidence.objects.create(
        claim=claim,
        snapshot=snapshot,
        exact=OTHER_QUOTE,
        start=second_start,
        end=second_start + len(OTHER_QUOTE),
        stance="supports",
    )
    result = snapshot_record(actor=None, source=snapshot.source, text="Intro. " + TEXT)
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.is_orphaned and first.snapshot == result.snapshot
    assert second.is_orphaned and second.snapshot == snapshot
    assert result.reanchor.orphaned[0]["why"] == "the same passage is already evidence for this claim"


def test_reanchoring_is_audited_with_its_reason(claim):
    result = new_text(claim, "Intro. " + TEXT)
    event = event_model_for(Claim).objects.filter(pgh_obj_id=claim.pk).order_by("-pgh_id").first()
    assert event.pgh_context.metadata["reason"] == f"re-anchored in snapshot {result.snapshot.pk}"
    assert event.start == claim.start


def test_public_claims_whose_words_changed_tell_readers_caches(claim):
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.PUBLISHED, published_at="2024-01-01T00:00Z")
    new_text(claim, "Intro. " + TEXT)
    assert claim.public_changed_at is None  # same words, only the offsets moved
    new_text(claim, TEXT.replace("second-largest arms supplier", "second largest arms-supplier"))
    assert claim.public_changed_at is not None


def test_reanchoring_many_quotes_takes_a_fixed_number_of_queries(django_assert_max_num_queries):
    snapshot = SnapshotFactory()
    for _ in range(8):
        ClaimFactory(snapshot=snapshot)
        EvidenceFactory(snapshot=snapshot)
    with django_assert_max_num_queries(20):
        result = snapshot_record(actor=None, source=snapshot.source, text="Intro. " + TEXT)
    assert len(result.reanchor.moved) == 16
