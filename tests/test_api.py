"""The newsroom API's read endpoints: what is shown, what is not, filters, paging, errors."""

import pytest
from django.urls import reverse

from claims import services as claim_services
from claims.models import ClaimRelation, RelationKind
from tests.api_helpers import api, keyed_client, published_claim
from tests.factories import ClaimFactory, SourceFactory
from tests.publishing import correct

pytestmark = pytest.mark.django_db


@pytest.fixture
def key():
    return keyed_client()[1]


def test_claim_detail_shows_the_published_record(key, reviewer, editor, second_editor):
    claim = published_claim(reviewer, editor, evidence=2)
    other = published_claim(reviewer, editor)
    ClaimRelation.objects.create(from_claim=claim, to_claim=other, kind=RelationKind.CONTRADICTS)
    correct(
        claim, author=reviewer, approver=second_editor, editor=editor, rating="false", public_note="Lowered."
    )

    body = api(key).get(reverse("api:claim-detail", args=[claim.pk])).json()

    assert body["id"] == claim.pk and body["status"] == "published"
    assert body["public_url"].endswith(claim.get_absolute_url())
    assert body["quote"]["exact"] == claim.exact
    assert body["quote"]["selector"][0]["type"] == "TextQuoteSelector"
    assert body["quote"]["selector"][1] == {
        "type": "TextPositionSelector",
        "start": claim.start,
        "end": claim.end,
    }
    assert body["claimant"]["name"] == claim.claimant.name
    assert body["source"]["id"] == claim.snapshot.source_id
    assert len(body["topics"]) == 1
    verdict = body["verdict"]
    assert verdict["rating"]["slug"] == "false" and verdict["public_note"] == "Lowered."
    assert verdict["claim_review_rating"] == {
        "alternateName": "False",
        "ratingValue": 1,
        "worstRating": 1,
        "bestRating": 5,
    }
    assert {e["stance"] for e in body["evidence"]} == {"contradicts"} and len(body["evidence"]) == 2
    assert body["evidence"][0]["quote"]["exact"].startswith("Russia supplied")
    assert body["related"] == [
        {
            "id": other.pk,
            "kind": "contradicts",
            "direction": "outgoing",
            "statement": other.statement,
            "public_url": body["related"][0]["public_url"],
        }
    ]


def test_unpublished_claims_are_never_visible(key, reviewer):
    draft = ClaimFactory()
    response = api(key).get(reverse("api:claim-detail", args=[draft.pk]))
    assert response.status_code == 404
    assert api(key).get(reverse("api:claim-list")).json()["results"] == []
    # Nor their sources or claimants.
    assert api(key).get(reverse("api:source-list")).json()["results"] == []
    assert api(key).get(reverse("api:claimant-detail", args=[draft.claimant.slug])).status_code == 404


def test_retracted_claim_detail_is_a_tombstone(key, reviewer, editor):
    claim = published_claim(reviewer, editor)
    claim_services.claim_retract(actor=editor, claim=claim, public_note="Misquoted.", reason="Misquoted")
    body = api(key).get(reverse("api:claim-detail", args=[claim.pk])).json()
    assert body["status"] == "retracted" and body["retraction_note"] == "Misquoted."
    assert body["verdict"] is None and body["evidence"] == [] and body["related"] == []
    # The list of published claims leaves it out.
    assert api(key).get(reverse("api:claim-list")).json()["results"] == []


def test_list_filters(key, reviewer, editor):
    source = SourceFactory()
    a = published_claim(reviewer, editor, rating="false", snapshot__source=source)
    b = published_claim(reviewer, editor, rating="true")
    url = reverse("api:claim-list")

    def ids(**params):
        response = api(key).get(url, params)
        assert response.status_code == 200, response.json()
        return [c["id"] for c in response.json()["results"]]

    assert ids() == [a.pk, b.pk]
    assert ids(rating="false") == [a.pk]
    assert ids(topic=b.topics.get().slug) == [b.pk]
    assert ids(claimant=a.claimant.slug) == [a.pk]
    assert ids(source=source.pk) == [a.pk]
    assert ids(published_since="2999-01-01") == []
    assert ids(published_since="2000-01-01T00:00:00Z") == [a.pk, b.pk]
    assert ids(q="Belarus") == [a.pk, b.pk]
    assert ids(q="penguins") == []


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("updated_since", "yesterday"),
        ("updated_since", "2024-13-45"),
        ("published_since", "2024-01-01T25:00:00"),
        ("source", "abc"),
        ("source", "-1"),
        ("page_size", "0"),
        ("page_size", "100000"),
        ("cursor", "not-a-cursor"),
        ("rating", "has space"),
        ("q", "nul\x00byte"),
    ],
)
def test_bad_parameters_are_400_naming_the_parameter(key, param, value):
    response = api(key).get(reverse("api:claim-list"), {param: value})
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [param]
    assert param in body["detail"]


def test_cursor_from_another_listing_is_refused(key, reviewer, editor):
    for _ in range(3):
        published_claim(reviewer, editor)
    first = api(key).get(reverse("api:claim-list"), {"page_size": 1}).json()
    token = first["next"].split("cursor=")[1].split("&")[0]
    response = api(key).get(reverse("api:source-list"), {"cursor": token})
    assert response.status_code == 400 and list(response.json()["errors"]) == ["cursor"]


def test_cursor_pages_cover_everything_once(key, reviewer, editor):
    claims = [published_claim(reviewer, editor, evidence=0, topics=0) for _ in range(7)]
    seen, url = [], reverse("api:claim-list") + "?page_size=3"
    while url:
        body = api(key).get(url).json()
        seen += [c["id"] for c in body["results"]]
        url = body["next"]
    assert seen == [c.pk for c in claims]


def _list_queries(key, django_assert_max_num_queries, size: int) -> int:
    client = api(key)
    client.get(reverse("api:claim-list"))  # warm up: last_used_at is written at most once a minute
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("api:claim-list"), {"page_size": size})
    assert response.status_code == 200 and len(response.json()["results"]) == min(size, 12)
    return len(captured.captured_queries)


def test_list_query_count_does_not_grow_with_page_size(key, reviewer, editor, django_assert_max_num_queries):
    for _ in range(12):
        published_claim(reviewer, editor, evidence=2, topics=2)
    small = _list_queries(key, django_assert_max_num_queries, 10)
    large = _list_queries(key, django_assert_max_num_queries, 100)
    assert small == large
    # key lookup, watermark, claims, verdicts, scale ratings, topics, evidence, relations ×2
    assert small == 9


def test_detail_query_count(key, reviewer, editor, django_assert_num_queries):
    claim = published_claim(reviewer, editor, evidence=3, topics=2)
    client = api(key)
    client.get(reverse("api:claim-detail", args=[claim.pk]))
    with django_assert_num_queries(8):
        client.get(reverse("api:claim-detail", args=[claim.pk]))


def test_sources_claimants_topics_and_scales(key, reviewer, editor):
    claim = published_claim(reviewer, editor, evidence=1)
    client = api(key)
    sources = client.get(reverse("api:source-list")).json()["results"]
    # The claim's source and its evidence's source; never internal notes.
    assert len(sources) == 2 and "notes" not in sources[0]
    assert client.get(reverse("api:source-detail", args=[claim.snapshot.source_id])).status_code == 200
    claimants = client.get(reverse("api:claimant-list")).json()["results"]
    assert [c["slug"] for c in claimants] == [claim.claimant.slug]
    topic = claim.topics.get()
    assert client.get(reverse("api:topic-detail", args=[topic.slug])).json()["name"] == topic.name
    scales = client.get(reverse("api:rating-scale-list")).json()
    assert scales[0]["is_default"] and [r["value"] for r in scales[0]["ratings"]][:5] == [1, 2, 3, 4, 5]


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get(reverse("api:schema"))
    assert schema.status_code == 200 and b"/api/v1/claims/" in schema.content
    docs = client.get(reverse("api:docs")).content.decode()
    assert "swagger-ui" in docs and "cdn" not in docs.lower() and "jsdelivr" not in docs
    redoc = client.get(reverse("api:redoc")).content.decode()
    assert "redoc" in redoc and "cdn.redoc" not in redoc
