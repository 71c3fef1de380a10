"""The public site is fast: fixed query counts, conditional GET, cache headers, fresh after
publication."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services
from claims.models import Stance
from tests.factories import ClaimFactory, EvidenceFactory
from tests.publishing import correct, publish

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_page_cache():
    # Rendered pages are cached by ETag; each test measures a cold render unless it says not.
    cache.clear()
    yield
    cache.clear()


def published_with_evidence(n: int, reviewer, editor):
    claim = ClaimFactory()
    stances = [Stance.SUPPORTS, Stance.CONTRADICTS, Stance.CONTEXT]
    for i in range(n):
        EvidenceFactory(claim=claim, stance=stances[i % 3])
    publish(claim, author=reviewer, editor=editor)
    return claim


def queries_for(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries)


def test_claim_page_queries_do_not_grow_with_evidence(client, reviewer, editor, django_assert_num_queries):
    one = published_with_evidence(1, reviewer, editor)
    fifty = published_with_evidence(50, reviewer, editor)
    expected = queries_for(client, one.get_absolute_url())
    assert expected <= 8, "the claim page should stay a small, fixed number of queries"
    cache.clear()
    with django_assert_num_queries(expected):
        body = client.get(fifty.get_absolute_url()).content.decode()
    assert body.count('class="evidence__note"') == 50


def test_claim_page_queries_do_not_grow_with_corrections(client, reviewer, editor, second_editor):
    once = published_with_evidence(2, reviewer, editor)
    correct(once, author=reviewer, approver=second_editor, editor=editor, rating="false", public_note="n")
    thrice = published_with_evidence(2, reviewer, editor)
    for rating in ("false", "half-true", "misleading"):
        correct(
            thrice, author=reviewer, approver=second_editor, editor=editor, rating=rating, public_note="n"
        )
    assert queries_for(client, once.get_absolute_url()) == queries_for(client, thrice.get_absolute_url())


@pytest.mark.parametrize("params", [{}, {"q": "Belarus"}, {"rating": "mostly-false"}, {"topic": ""}])
def test_list_and_search_queries_do_not_grow_with_page_size(client, reviewer, editor, params):
    for _ in range(12):
        published_with_evidence(0, reviewer, editor)
    url = reverse("public:claim-list")
    counts = {
        size: queries_for(
            client, url + "?" + "&".join([f"per_page={size}", *(f"{k}={v}" for k, v in params.items())])
        )
        for size in (10, 50)
    }
    assert counts[10] == counts[50] <= 6, counts


def test_entity_pages_queries_are_fixed(client, reviewer, editor):
    claims = [published_with_evidence(1, reviewer, editor) for _ in range(3)]
    first = claims[0]
    pages = [
        "/",
        first.snapshot.source.get_absolute_url(),
        first.claimant.get_absolute_url(),
        reverse("public:feed-atom"),
    ]
    small = {url: queries_for(client, url) for url in pages}
    for _ in range(5):
        # More claims on the same source, by the same claimant, each with evidence.
        more = ClaimFactory(snapshot=first.snapshot, claimant=first.claimant)
        EvidenceFactory(claim=more)
        publish(more, author=reviewer, editor=editor)
    assert {url: queries_for(client, url) for url in pages} == small


def test_conditional_get_answers_304_without_rendering(client, reviewer, editor, django_assert_num_queries):
    claim = published_with_evidence(2, reviewer, editor)
    url = claim.get_absolute_url()
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert "max-age=60" in first["Cache-Control"] and "s-maxage=300" in first["Cache-Control"]
    with django_assert_num_queries(1):
        response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 304 and response.content == b""
    with django_assert_num_queries(1):
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    # The cached path: an unconditional request for an unchanged page does not render either.
    with django_assert_num_queries(1):
        again = client.get(url)
    assert again.status_code == 200 and again.content == first.content


def test_a_correction_changes_the_etag_and_the_page_at_once(client, reviewer, editor, second_editor):
    claim = published_with_evidence(1, reviewer, editor)
    url = claim.get_absolute_url()
    first = client.get(url)
    list_first = client.get(reverse("public:claim-list"))
    correct(
        claim, author=reviewer, approver=second_editor, editor=editor, rating="false", public_note="Lowered."
    )
    second = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert second.status_code == 200 and second["ETag"] != first["ETag"]
    assert "Lowered." in second.content.decode()
    list_second = client.get(reverse("public:claim-list"), HTTP_IF_NONE_MATCH=list_first["ETag"])
    assert list_second.status_code == 200 and list_second["ETag"] != list_first["ETag"]

    services.claim_retract(actor=editor, claim=claim, public_note="Gone.", reason="r")
    third = client.get(url, HTTP_IF_NONE_MATCH=second["ETag"])
    assert third.status_code == 200 and "This fact-check was retracted" in third.content.decode()


def test_list_304(client, reviewer, editor, django_assert_num_queries):
    published_with_evidence(0, reviewer, editor)
    url = reverse("public:claim-list") + "?q=Belarus"
    etag = client.get(url)["ETag"]
    with django_assert_num_queries(1):
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304


def test_uncorrected_log_matches_the_audit_history(client, reviewer, editor, settings):
    """The one-line log of a never-corrected claim says what the audit history says."""
    from claims.selectors import public_claim_detail, public_correction_log

    settings.PUBLIC_SHOW_REVIEWER_NAMES = True
    claim = published_with_evidence(1, reviewer, editor)
    short = public_correction_log(public_claim_detail(claim.pk))
    from_history = public_correction_log(claim)  # a plain claim: read from the history
    assert (
        [(e.kind, e.rating, e.actor_name) for e in short]
        == [(e.kind, e.rating, e.actor_name) for e in from_history]
        == [("published", "Mostly false", reviewer.username)]
    )
    assert abs((short[0].at - from_history[0].at).total_seconds()) < 1


def test_a_publication_shows_at_once_on_cached_lists(client, reviewer, editor):
    published_with_evidence(0, reviewer, editor)
    home = client.get("/")
    fresh = ClaimFactory(statement="A brand new fact-check about tank imports.")
    publish(fresh, author=reviewer, editor=editor)
    again = client.get("/", HTTP_IF_NONE_MATCH=home["ETag"])
    assert again.status_code == 200 and again["ETag"] != home["ETag"]
    assert "A brand new fact-check about tank imports." in again.content.decode()


def test_not_found_pages_carry_the_security_headers(client, db):
    response = client.get("/claims/12345-nothing/")
    assert response.status_code == 404
    assert "unsafe-inline" not in response["Content-Security-Policy"]
