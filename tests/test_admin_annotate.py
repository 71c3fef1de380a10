"""The annotation view of a source: offsets that map exactly, highlights, and the clear
refusals for bad selections; the similar-claims suggestions."""

import html
import re

import pytest
from django.db import connection
from django.urls import reverse

from claims.models import Claim, ClaimEvent, ClaimRelation, Evidence, RelationKind
from claims.workspace import similar
from claims.workspace.annotate import Annotation, render_text
from tests.factories import ClaimantFactory, ClaimFactory, EvidenceFactory, SnapshotFactory, TopicFactory

pytestmark = pytest.mark.django_db

TEXT = (
    "The CSTO did not intervene in 2022.\n\n"
    "Armenia asked for help under Article 4, and the request was declined.\r\n"
    "Emoji 🎯 and accents: café — after them the offsets must still count code points."
)
SPAN = re.compile(r'<span class="([^"]*)" data-offset="(\d+)"[^>]*>(.*?)</span>', re.S)


def _spans(page: str) -> list[tuple[str, int, str]]:
    body = page.split('id="fc-text"', 1)[1].split("</article>", 1)[0]
    return [(cls, int(off), html.unescape(txt)) for cls, off, txt in SPAN.findall(body)]


@pytest.fixture
def snapshot():
    return SnapshotFactory(text=TEXT)


def _selection(snapshot, quote: str, prefix: str) -> dict:
    start = snapshot.text.index(quote)
    return {
        f"{prefix}-snapshot_id": snapshot.pk,
        f"{prefix}-sha256": snapshot.sha256,
        f"{prefix}-start": start,
        f"{prefix}-end": start + len(quote),
        f"{prefix}-exact": quote,
    }


def _url(snapshot) -> str:
    return reverse("admin:sources_source_annotate", args=[snapshot.source_id])


def test_rendered_spans_map_exactly_to_snapshot_offsets():
    text = TEXT
    quote = "Emoji 🎯 and accents: café"
    start = text.index(quote)
    rendered = str(
        render_text(
            text,
            [
                Annotation(
                    "c1", "claim", start, start + len(quote), "hl-claim hl-claim-draft", "◆ claim 1", None
                )
            ],
        )
    )
    spans = _spans(f'<article id="fc-text">{rendered}</article>')
    assert "".join(t for _, _, t in spans) == text
    for _, offset, content in spans:
        assert text[offset : offset + len(content)] == content
    # The carriage return has a span of its own (the HTML parser turns it into a line feed).
    assert any(content == "\r" for _, _, content in spans)
    highlighted = [t for cls, _, t in spans if "hl-claim" in cls]
    assert "".join(highlighted) == quote


def test_annotation_view_highlights_claims_and_evidence(client, reviewer, snapshot):
    claim = ClaimFactory(snapshot=snapshot, quote="The CSTO did not intervene in 2022.")
    other = ClaimFactory()
    EvidenceFactory(claim=other, snapshot=snapshot, quote="the request was declined", stance="contradicts")
    client.force_login(reviewer)
    response = client.get(_url(snapshot))
    assert response.status_code == 200
    page = response.content.decode()
    spans = _spans(page)
    assert "".join(t for _, _, t in spans) == TEXT
    assert [t for c, _, t in spans if "hl-claim-draft" in c] == ["The CSTO did not intervene in 2022."]
    assert [t for c, _, t in spans if "hl-ev-contradicts" in c] == ["the request was declined"]
    assert f'data-label="◆ claim {claim.pk} · draft"' in page
    assert f"✗ contradicts claim {other.pk}" in page
    assert 'id="fc-ranges"' in page and 'id="fc-raw-text"' in page
    assert "Legend" in page


def test_annotation_view_query_count_is_bounded(client, reviewer, snapshot, django_assert_max_num_queries):
    for quote in ("The CSTO", "Armenia asked", "Emoji"):
        ClaimFactory(snapshot=snapshot, quote=quote)
        EvidenceFactory(snapshot=snapshot, quote=quote)
    client.force_login(reviewer)
    with django_assert_max_num_queries(15):
        assert client.get(_url(snapshot)).status_code == 200


def test_create_claim_from_a_selection(client, reviewer, snapshot):
    existing = ClaimFactory(statement="The CSTO refused to help Armenia in 2022.")
    topic = TopicFactory(name="CSTO")
    client.force_login(reviewer)
    quote = "Armenia asked for help under Article 4"
    response = client.post(
        _url(snapshot),
        {
            "op": "claim",
            **_selection(snapshot, quote, "claim"),
            "claim-statement": "Armenia invoked Article 4 of the CSTO treaty.",
            "claim-new_claimant": "Nikol Pashinyan",
            "claim-topics": [topic.pk],
            "claim-new_topics": "Armenia, Treaties",
            "claim-same_as": [existing.pk],
        },
    )
    assert response.status_code == 302, response.context["claim_form"].errors
    claim = Claim.objects.get(statement__startswith="Armenia invoked")
    assert (claim.exact, claim.start) == (quote, TEXT.index(quote))
    assert claim.claimant.name == "Nikol Pashinyan" and claim.created_by == reviewer
    assert claim.made_on == snapshot.source.published_on
    assert sorted(t.name for t in claim.topics.all()) == ["Armenia", "CSTO", "Treaties"]
    assert ClaimRelation.objects.filter(
        from_claim=claim, to_claim=existing, kind=RelationKind.SAME_AS
    ).exists()
    event = ClaimEvent.objects.get(pgh_obj_id=claim.pk, pgh_label="insert")
    assert event.pgh_context.metadata["user"] == reviewer.pk


def test_selection_offsets_after_an_emoji_count_code_points(client, reviewer, snapshot):
    client.force_login(reviewer)
    quote = "after them the offsets must still count code points"
    response = client.post(
        _url(snapshot),
        {
            "op": "claim",
            **_selection(snapshot, quote, "claim"),
            "claim-statement": "Offsets count code points.",
            "claim-claimant": ClaimantFactory().pk,
        },
    )
    assert response.status_code == 302
    assert Claim.objects.get().start == TEXT.index(quote)


def _refused(client, snapshot, data: dict, message: str) -> None:
    claims, evidence, events = Claim.objects.count(), Evidence.objects.count(), ClaimEvent.objects.count()
    response = client.post(_url(snapshot), data)
    assert response.status_code == 200
    form = response.context["claim_form" if data["op"] == "claim" else "evidence_form"]
    assert message in str(form.errors)
    assert (Claim.objects.count(), Evidence.objects.count(), ClaimEvent.objects.count()) == (
        claims,
        evidence,
        events,
    )


@pytest.fixture
def claim_data(snapshot):
    def make(quote: str, **overrides) -> dict:
        data = {
            "op": "claim",
            **_selection(snapshot, quote, "claim"),
            "claim-statement": "Something checkable.",
            "claim-claimant": ClaimantFactory().pk,
        }
        data.update(overrides)
        return data

    return make


def test_empty_selection(client, reviewer, snapshot, claim_data):
    client.force_login(reviewer)
    data = claim_data("The CSTO", **{"claim-start": "", "claim-end": "", "claim-exact": ""})
    _refused(client, snapshot, data, "Select a passage in the text first")


def test_selection_spanning_paragraphs(client, reviewer, snapshot, claim_data):
    client.force_login(reviewer)
    _refused(client, snapshot, claim_data("in 2022.\n\nArmenia asked"), "more than one paragraph")


def test_selection_overlapping_a_claim(client, reviewer, snapshot, claim_data):
    existing = ClaimFactory(snapshot=snapshot, quote="Armenia asked for help")
    client.force_login(reviewer)
    _refused(client, snapshot, claim_data("asked for help under Article 4"), f"overlaps claim {existing.pk}")


def test_snapshot_changed_since_the_page_loaded(client, reviewer, snapshot, claim_data):
    client.force_login(reviewer)
    data = claim_data("The CSTO", **{"claim-sha256": "0" * 64})
    _refused(client, snapshot, data, "changed since you loaded the page")
    SnapshotFactory(source=snapshot.source, text=TEXT + "\n\nUpdated.")  # now the current one
    _refused(client, snapshot, claim_data("The CSTO"), "changed since you loaded the page")


def test_quote_that_does_not_match_the_offsets(client, reviewer, snapshot, claim_data):
    client.force_login(reviewer)
    _refused(client, snapshot, claim_data("The CSTO", **{"claim-exact": "The NATO"}), "do not match the text")


def test_no_claimant(client, reviewer, snapshot, claim_data):
    client.force_login(reviewer)
    _refused(client, snapshot, claim_data("The CSTO", **{"claim-claimant": ""}), "Pick who makes the claim")


def test_attach_evidence_and_same_source_refusal(client, reviewer, snapshot):
    claim = ClaimFactory()
    client.force_login(reviewer)
    quote = "the request was declined"
    data = {
        "op": "evidence",
        **_selection(snapshot, quote, "evidence"),
        "evidence-claim": claim.pk,
        "evidence-stance": "contradicts",
        "evidence-note": "The CSTO said no.",
    }
    response = client.post(_url(snapshot), data)
    assert response.status_code == 302
    evidence = Evidence.objects.get()
    assert (evidence.claim, evidence.exact, evidence.stance, evidence.added_by) == (
        claim,
        quote,
        "contradicts",
        reviewer,
    )

    own = ClaimFactory(snapshot=snapshot, quote="The CSTO did not intervene")
    _refused(client, snapshot, {**data, "evidence-claim": own.pk}, "another source")
    _refused(client, snapshot, data, "already evidence")


def test_outsider_and_anonymous_cannot_annotate(client, outsider, snapshot, claim_data):
    url = _url(snapshot)
    assert client.get(url).status_code == 302  # to the login page
    client.force_login(outsider)
    assert client.get(url).status_code == 403
    assert client.post(url, claim_data("The CSTO")).status_code == 403
    assert not Claim.objects.exists()


def test_source_without_text(client, reviewer):
    source = SnapshotFactory(make_current=False).source
    client.force_login(reviewer)
    response = client.get(reverse("admin:sources_source_annotate", args=[source.pk]))
    assert response.status_code == 200
    assert "has no text yet" in response.content.decode()


# --- Similar claims ------------------------------------------------------------------------


def test_similar_claims_by_full_text(client, reviewer, monkeypatch):
    monkeypatch.setattr(similar, "trigram_available", lambda: False)
    match = ClaimFactory(statement="Russia supplied most of Azerbaijan's arms imports.")
    ClaimFactory(statement="The weather in Yerevan was mild.")
    client.force_login(reviewer)
    response = client.get(
        reverse("admin:claims_claim_similar"), {"q": "Which country supplied Azerbaijan arms?"}
    )
    data = response.json()
    assert data["method"] == "fulltext"
    # Both share words of the default quote; the statement's words weigh more.
    assert data["results"][0]["id"] == match.pk


def test_similar_claims_by_trigram_when_pg_trgm_is_installed(client, reviewer):
    with connection.cursor() as cursor:
        cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")  # rolled back with the test
    match = ClaimFactory(statement="Belarus was Azerbaijan's second largest arms supplier.")
    ClaimFactory(statement="The weather in Yerevan was mild.")
    client.force_login(reviewer)
    data = client.get(
        reverse("admin:claims_claim_similar"), {"q": "Belarus was Azerbaijans 2nd-largest arms suplier"}
    ).json()
    assert data["method"] == "trigram"
    assert data["results"][0]["id"] == match.pk
    assert all(r["id"] != match.pk or r["score"] > 0.3 for r in data["results"])


def test_similar_claims_bad_input_and_permissions(client, reviewer, outsider):
    client.force_login(reviewer)
    bad = client.get(reverse("admin:claims_claim_similar"), {"q": "x", "exclude": "1,abc"})
    assert bad.status_code == 400 and bad.json()["field"] == "exclude"
    assert client.get(reverse("admin:claims_claim_similar")).json()["results"] == []
    client.force_login(outsider)
    assert client.get(reverse("admin:claims_claim_similar"), {"q": "arms"}).status_code == 403
