"""The ClaimReview builder and Google's rules in the validator."""

import copy

import pytest

from claims.claimreview import (
    claim_review,
    to_jsonld,
    validate_claim_review,
    validate_page_jsonld,
)
from tests.factories import ClaimFactory
from tests.publishing import publish

VALID = {
    "@context": "https://schema.org",
    "@type": "ClaimReview",
    "url": "https://factcheck.example.org/claims/1-belarus/",
    "claimReviewed": "Belarus was Azerbaijan's second-largest arms supplier.",
    "datePublished": "2024-05-01",
    "author": {"@type": "Organization", "name": "factcheck"},
    "reviewRating": {
        "@type": "Rating",
        "alternateName": "Mostly false",
        "ratingValue": 2,
        "worstRating": 1,
        "bestRating": 5,
    },
    "itemReviewed": {
        "@type": "Claim",
        "author": {"@type": "Person", "name": "A. Writer"},
        "datePublished": "2020-10-01",
        "appearance": [{"@type": "CreativeWork", "url": "https://news.example.org/a"}],
    },
}


def with_changes(path: str, value=None, *, delete: bool = False) -> dict:
    doc = copy.deepcopy(VALID)
    *parents, last = path.split(".")
    node = doc
    for key in parents:
        node = node[key]
    if delete:
        del node[last]
    else:
        node[last] = value
    return doc


def test_a_complete_document_is_valid_without_warnings():
    result = validate_claim_review(VALID)
    assert result.errors == [] and result.warnings == []


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("claimReviewed", "claimReviewed is required"),
        ("reviewRating", "reviewRating is required"),
        ("reviewRating.alternateName", "alternateName is required"),
        ("url", "url is required"),
    ],
)
def test_required_properties(path, message):
    result = validate_claim_review(with_changes(path, delete=True))
    assert any(message in e for e in result.errors), result.errors


@pytest.mark.parametrize(
    ("rating", "message"),
    [
        ({"ratingValue": "two"}, "ratingValue must be a number"),
        ({"worstRating": 0, "ratingValue": 1}, "at least 1"),
        ({"worstRating": 5, "bestRating": 5}, "less than bestRating"),
        ({"worstRating": 4, "bestRating": 2, "ratingValue": 3}, "less than bestRating"),
        ({"ratingValue": 6}, "must lie between"),
        ({"ratingValue": 0.5}, "must lie between"),
        ({"bestRating": None}, "bestRating must be a number"),
        ({"ratingValue": True}, "ratingValue must be a number"),
    ],
)
def test_rating_numbers(rating, message):
    doc = copy.deepcopy(VALID)
    doc["reviewRating"].update(rating)
    result = validate_claim_review(doc)
    assert any(message in e for e in result.errors), result.errors


def test_numeric_strings_parse_and_text_ratings_need_no_numbers():
    doc = copy.deepcopy(VALID)
    doc["reviewRating"].update(ratingValue="3", worstRating="1", bestRating="5")
    assert validate_claim_review(doc).ok
    doc["reviewRating"] = {"@type": "Rating", "alternateName": "Misleading"}
    assert validate_claim_review(doc).ok


def test_long_claim_reviewed_is_a_warning_not_an_error():
    result = validate_claim_review(with_changes("claimReviewed", "x" * 76))
    assert result.ok
    assert any("Google advises under 75" in w for w in result.warnings)


@pytest.mark.parametrize(
    ("path", "warning"),
    [
        ("itemReviewed.author", "itemReviewed.author is recommended"),
        ("itemReviewed.datePublished", "itemReviewed.datePublished is recommended"),
        ("itemReviewed.appearance", "appearance or firstAppearance is recommended"),
        ("itemReviewed", "itemReviewed is recommended"),
        ("author", "author is recommended"),
    ],
)
def test_recommended_properties_warn(path, warning):
    result = validate_claim_review(with_changes(path, delete=True))
    assert result.ok, result.errors
    assert any(warning in w for w in result.warnings), result.warnings


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("url", "/claims/1/", "absolute http(s) URL"),
        ("datePublished", "yesterday", "ISO 8601"),
        ("itemReviewed.datePublished", "32/13/2020", "ISO 8601"),
        ("@type", "MediaReview", "@type must be ClaimReview"),
    ],
)
def test_malformed_values(path, value, message):
    result = validate_claim_review(with_changes(path, value))
    assert any(message in e for e in result.errors), result.errors


def test_not_an_object():
    assert not validate_claim_review(["a list"]).ok


def page(*blocks: str) -> str:
    scripts = "".join(f'<script type="application/ld+json">{b}</script>' for b in blocks)
    return f"<!doctype html><html><head>{scripts}</head><body><p>hi</p></body></html>"


def test_page_with_exactly_one_claim_review():
    assert validate_page_jsonld(page(to_jsonld(VALID))).ok
    breadcrumbs = to_jsonld({"@context": "https://schema.org", "@type": "BreadcrumbList"})
    assert validate_page_jsonld(page(to_jsonld(VALID), breadcrumbs)).ok


def test_page_with_none_or_two_claim_reviews_fails():
    assert any("found 0" in e for e in validate_page_jsonld(page()).errors)
    two = validate_page_jsonld(page(to_jsonld(VALID), to_jsonld(VALID)))
    assert any("found 2" in e for e in two.errors)
    graph = validate_page_jsonld(page(to_jsonld({"@graph": [VALID, VALID]})))
    assert any("found 2" in e for e in graph.errors)


def test_page_with_broken_json_fails():
    result = validate_page_jsonld(page("{not json"))
    assert any("not valid JSON" in e for e in result.errors)


def test_to_jsonld_cannot_close_the_script_element():
    doc = dict(VALID, claimReviewed="</script><script>alert(1)</script> & <!--")
    text = to_jsonld(doc)
    assert "<" not in text and ">" not in text and "&" not in text
    result = validate_page_jsonld(page(text))
    assert result.ok, result.errors


@pytest.mark.django_db
def test_builder_output_validates(reviewer, editor):
    claim = ClaimFactory(made_on=None)
    verdict = publish(claim, author=reviewer, editor=editor, rating="mostly-false")
    doc = claim_review(claim, verdict=verdict, request_or_base_url="https://fc.example.org/")
    result = validate_claim_review(doc)
    assert result.errors == [] and result.warnings == []
    assert doc["url"] == f"https://fc.example.org/claims/{claim.pk}-{claim.slug}/"
    assert doc["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Mostly false",
        "ratingValue": 2,
        "worstRating": 1,
        "bestRating": 5,
    }
    assert doc["itemReviewed"]["author"]["name"] == claim.claimant.name
    assert doc["itemReviewed"]["datePublished"] == "2024-04-01"  # the source's date
    assert doc["itemReviewed"]["appearance"][0]["url"] == claim.snapshot.source.url
    # No reviewer identity in the document.
    assert reviewer.username not in to_jsonld(doc) and editor.username not in to_jsonld(doc)


@pytest.mark.django_db
def test_builder_non_ordinal_rating_and_original_wording(reviewer, editor):
    claim = ClaimFactory()
    verdict = publish(claim, author=reviewer, editor=editor, rating="misleading")
    doc = claim_review(claim, verdict=verdict, request_or_base_url="https://fc.example.org")
    assert doc["reviewRating"] == {"@type": "Rating", "alternateName": "Misleading"}
    assert validate_claim_review(doc).ok
    verdict.original_rating_text = "Pants on fire"
    assert claim_review(claim, verdict=verdict)["reviewRating"]["alternateName"] == "Pants on fire"
