"""ClaimReview import: what lands, what is refused and why, and the export → import → export
round trip."""

import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from claims import services as claim_services
from claims.claimreview import validate_claim_review
from claims.models import Claim, Claimant, RatingScale, Verdict
from factcheck.errors import DomainError
from newsroom import exports
from newsroom.importing import IMPORT_APPROVER, IMPORT_AUTHOR, import_claim_reviews, import_claim_reviews_text
from newsroom.models import ImportedReview
from sources.models import Source
from tests.api_helpers import published_claim
from tests.factories import ClaimantFactory


def review(n: int, **overrides) -> dict:
    doc = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"https://checker.example.net/checks/{n}",
        "claimReviewed": f"Armenia left the CSTO in 202{n}.",
        "datePublished": "2024-03-0" + str(n % 9 + 1),
        "inLanguage": "hy",
        "author": {"@type": "Organization", "name": "Checker Network"},
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 2,
            "worstRating": 1,
            "bestRating": 10,
            "alternateName": "Largely wrong",
        },
        "itemReviewed": {
            "@type": "Claim",
            "author": {"@type": "Person", "name": "A. Politician", "jobTitle": "Deputy"},
            "datePublished": "2024-02-01",
            "firstAppearance": {
                "@type": "CreativeWork",
                "url": f"https://news.example.am/story/{n}",
                "headline": "A story",
            },
        },
    }
    doc.update(overrides)
    return doc


def feed(*items) -> dict:
    return {"@context": "https://schema.org", "@type": "DataFeed", "dataFeedElement": list(items)}


@pytest.mark.django_db
def test_feed_imports_usable_items_and_reports_the_rest():
    media = review(2, **{"@type": "MediaReview"})
    no_rating = review(3)
    del no_rating["reviewRating"]
    bad_date = review(4, datePublished="last Tuesday")
    bad_numbers = review(
        5,
        reviewRating={
            "@type": "Rating",
            "ratingValue": 11,
            "worstRating": 1,
            "bestRating": 10,
            "alternateName": "Off the scale",
        },
    )
    summary = import_claim_reviews(feed(review(1), media, no_rating, bad_date, bad_numbers))

    assert summary.imported == ["https://checker.example.net/checks/1"]
    reasons = dict(summary.skipped)
    assert "MediaReview is not a ClaimReview" in reasons[2]
    assert "reviewRating" in reasons[3]
    assert "datePublished" in reasons[4]
    assert "ratingValue (11)" in reasons[5]
    # Nothing of the skipped items was written.
    assert Claim.objects.count() == Source.objects.count() == Verdict.objects.count() == 1

    claim = Claim.objects.get()
    verdict = claim.verdicts.get()
    assert claim.status == "published" and claim.statement == "Armenia left the CSTO in 2021."
    assert verdict.original_rating_text == "Largely wrong" and verdict.rating.value == 2
    assert verdict.author.username == IMPORT_AUTHOR
    assert verdict.reviews.get().reviewer.username == IMPORT_APPROVER
    assert claim.snapshot.source.language == "hy"
    assert claim.claimant.name == "A. Politician" and claim.claimant.description == "Deputy"
    assert claim.published_at.date().isoformat() == "2024-03-02"
    imported = ImportedReview.objects.get()
    assert imported.claim == claim and imported.document["reviewRating"]["alternateName"] == "Largely wrong"


@pytest.mark.django_db
def test_numeric_ratings_map_onto_a_scale_per_publisher():
    other = review(
        2,
        author={"@type": "Organization", "name": "Other Checks"},
        reviewRating={
            "@type": "Rating",
            "ratingValue": "4",
            "worstRating": "1",
            "bestRating": "5",
            "alternateName": "Mostly accurate",
        },
    )
    same_value = review(
        3,
        reviewRating={
            "@type": "Rating",
            "ratingValue": 2,
            "worstRating": 1,
            "bestRating": 10,
            "alternateName": "Wrong-ish",
        },
    )
    words_only = review(4, reviewRating={"@type": "Rating", "alternateName": "Needs context"})
    summary = import_claim_reviews([review(1), other, same_value, words_only])
    assert len(summary.imported) == 4, summary

    checker = RatingScale.objects.get(slug="imported-checker-network")
    assert {(r.label, r.value) for r in checker.ratings.all()} == {
        ("Largely wrong", 2),
        ("1 (worst)", 1),
        ("10 (best)", 10),
        ("Needs context", None),
    }
    assert {r.value for r in RatingScale.objects.get(slug="imported-other-checks").ratings.all()} == {1, 4, 5}
    # The same number on the same scale is the same label; the publisher's wording is kept.
    texts = set(
        Verdict.objects.filter(rating__scale=checker, rating__value=2).values_list(
            "original_rating_text", flat=True
        )
    )
    assert texts == {"Largely wrong", "Wrong-ish"}


@pytest.mark.django_db
def test_an_item_that_fails_half_way_leaves_nothing(monkeypatch):
    real_publish = claim_services.claim_publish

    def publish_refusing_second(*, actor, claim, reason=""):
        if claim.statement.endswith("2022."):
            raise DomainError("refused for the test")
        return real_publish(actor=actor, claim=claim, reason=reason)

    monkeypatch.setattr(claim_services, "claim_publish", publish_refusing_second)
    summary = import_claim_reviews([review(1), review(2), review(3)])
    assert len(summary.imported) == 2 and summary.skipped == [(2, "refused: refused for the test")]
    assert not Claim.objects.filter(statement__endswith="2022.").exists()
    assert not Source.objects.filter(url="https://news.example.am/story/2").exists()
    assert Claim.objects.count() == 2


@pytest.mark.django_db
def test_the_same_review_is_imported_once():
    import_claim_reviews(review(1))
    again = import_claim_reviews(review(1))
    assert again.imported == [] and "already imported" in again.skipped[0][1]
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_not_json_is_a_clear_error():
    with pytest.raises(DomainError) as refused:
        import_claim_reviews_text("{not json")
    assert refused.value.field == "file"


@pytest.mark.django_db
def test_management_command(tmp_path, capsys):
    path = tmp_path / "reviews.json"
    path.write_text(json.dumps([review(1), review(2, **{"@type": "MediaReview"})]))
    call_command("import_claimreview", str(path))
    out = capsys.readouterr()
    assert "1 imported, 1 skipped of 2 items." in out.out and "item 2: a MediaReview" in out.out


@pytest.mark.django_db
def test_admin_upload(client, administrator, tmp_path):
    client.force_login(administrator)
    url = reverse("admin:newsroom_importedreview_upload")
    upload = tmp_path / "feed.json"
    upload.write_text(json.dumps(feed(review(1), review(2, **{"@type": "MediaReview"}))))
    with upload.open("rb") as handle:
        response = client.post(url, {"file": handle})
    assert response.status_code == 200
    page = response.content.decode()
    assert "1 imported, 1 skipped" in page and "MediaReview" in page
    assert Claim.objects.count() == 1


@pytest.mark.django_db
def test_admin_upload_needs_the_publish_permission(client, reviewer):
    client.force_login(reviewer)
    assert client.get(reverse("admin:newsroom_importedreview_upload")).status_code == 403


# --- Round trip -----------------------------------------------------------------------------

DOMAIN_TABLES = [
    "sources_source",
    "sources_snapshot",
    "sources_citation",
    "claims_claimant",
    "claims_topic",
    "claims_claim",
    "claims_evidence",
    "claims_verdict",
    "claims_review",
    "newsroom_publicchange",
    "newsroom_importedreview",
]


def feed_items() -> list[dict]:
    items = json.loads("".join(exports.data_feed_chunks()))["dataFeedElement"]
    for item in items:
        assert validate_claim_review(item, require_context=False).ok
    return items


@pytest.mark.django_db(transaction=True, reset_sequences=True)
def test_export_import_export_gives_the_same_documents(reviewer, editor):
    published_claim(reviewer, editor, rating="false")
    published_claim(reviewer, editor, rating="misleading", made_on="2020-10-01")
    published_claim(
        reviewer,
        editor,
        rating="true",
        claimant=ClaimantFactory(
            kind="organization", name="Ministry of Defence", same_as="https://www.wikidata.org/wiki/Q1"
        ),
    )
    before = feed_items()
    assert len(before) == 3

    # An empty database (the accounts stay: the import makes its own system users).
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(DOMAIN_TABLES)} RESTART IDENTITY CASCADE")
    assert not Claim.objects.exists() and not Claimant.objects.exists()

    summary = import_claim_reviews(json.loads(json.dumps({"@type": "DataFeed", "dataFeedElement": before})))
    assert len(summary.imported) == 3, summary
    after = feed_items()
    assert after == before
