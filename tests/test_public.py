"""The public site: pages, redirects, bad input, and that nothing private leaks."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from claims.claimreview import validate_page_jsonld
from claims.models import ClaimStatus
from tests.factories import (
    ClaimantFactory,
    ClaimFactory,
    SourceFactory,
)
from tests.publishing import SECRETS, build_site, publish

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(reviewer, editor, second_editor):
    return build_site(reviewer, editor, second_editor)


def public_urls(site) -> list[str]:
    claim, retracted, source = site["claim"], site["retracted"], site["source"]
    return [
        reverse("public:home"),
        reverse("public:claim-list"),
        reverse("public:claim-list") + "?q=Belarus",
        reverse("public:claim-list") + "?q=SECRET",
        claim.get_absolute_url(),
        retracted.get_absolute_url(),
        source.get_absolute_url(),
        site["sipri"].get_absolute_url(),
        reverse("public:source-snapshot", args=[source.pk, claim.snapshot_id]),
        claim.claimant.get_absolute_url(),
        site["topic"].get_absolute_url(),
        reverse("public:methodology"),
        reverse("public:feed-rss"),
        reverse("public:feed-atom"),
    ]


def test_every_public_page_renders_and_leaks_nothing(client: Client, site, reviewer, editor, second_editor):
    for url in public_urls(site):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        for what, secret in SECRETS.items():
            assert secret not in body, f"{what} leaks on {url}"
        for person in (reviewer, editor, second_editor):
            assert person.username not in body, f"{person.username} named on {url}"
        assert "orphan" not in body.lower(), url
        assert "Content-Security-Policy" in response.headers
        assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
        assert "public" in response.headers["Cache-Control"]


def test_private_claims_and_their_claimants_are_not_found(client: Client, site):
    draft = site["draft"]
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert client.get(draft.claimant.get_absolute_url()).status_code == 404
    assert client.get(reverse("public:topic-detail", args=["draft-topic"])).status_code == 404
    # A source nobody public quotes, uses or cites.
    assert client.get(SourceFactory(notes="x").get_absolute_url()).status_code == 404
    for status in (ClaimStatus.IN_REVIEW, ClaimStatus.APPROVED):
        draft.status = status
        draft.save(update_fields=["status"])
        assert client.get(draft.get_absolute_url()).status_code == 404


def test_reviewer_names_appear_only_when_the_setting_allows(client: Client, site, reviewer, settings):
    url = site["claim"].get_absolute_url()
    assert reviewer.username not in client.get(url).content.decode()
    settings.PUBLIC_SHOW_REVIEWER_NAMES = True
    assert reviewer.username in client.get(url).content.decode()


def test_claim_page_content(client: Client, site):
    claim = site["claim"]
    body = client.get(claim.get_absolute_url()).content.decode()
    # The quote in context, the claimant, the source, the snapshot (excerpt noted).
    assert '<mark class="quote__exact">Belarus was the second-largest arms supplier' in body
    assert "accounting for about 7.1%" in body  # context after the quote
    assert "Ilham Example" in body and "Arms imports of Azerbaijan" in body
    assert "Archived copy" in body and "(excerpt)" in body
    # The verdict badge has words and a shape, the rationale is rendered markdown.
    assert "badge badge--false badge--large" in body and ">False<" in body
    assert "<strong>SIPRI</strong> data." not in body  # superseded rationale gone
    assert "Corrected rationale." in body
    # Evidence grouped by stance, in a fixed order.
    assert body.index("Supports (1)") < body.index("Contradicts (1)") < body.index("Adds context (1)")
    # Provenance, related public claims only, topics.
    assert "SIPRI Arms Transfers Database" in body and "import shares" in body
    assert "Azerbaijan bought no arms from Israel." in body and "(retracted)" in body
    assert 'href="/topics/arms-trade/"' in body
    # The correction log: publication, then the correction with its public note.
    log = body[body.index("Correction log") :]
    assert "Published, rated <strong>Mostly false</strong>" in log
    assert "from <strong>Mostly false</strong> to <strong>False</strong>" in log
    assert "Rating lowered after SIPRI&#x27;s 2021 update." in log
    # Canonical link, Open Graph, one valid ClaimReview.
    assert f'<link rel="canonical" href="http://localhost:8000{claim.get_absolute_url()}">' in body
    assert '<meta property="og:title" content="False: ' in body
    result = validate_page_jsonld(body)
    assert result.errors == [], result.errors


def test_retracted_claim_shows_a_notice_and_no_verdict(client: Client, site):
    body = client.get(site["retracted"].get_absolute_url()).content.decode()
    assert "This fact-check was retracted" in body and "We misread the quote." in body
    assert "Our verdict" not in body
    assert "application/ld+json" not in body
    assert "Retracted." in body[body.index("Correction log") :]


def test_old_slug_redirects_and_unknown_ids_are_404(client: Client, site):
    claim = site["claim"]
    for wrong in ("old-slug", "x"):
        response = client.get(reverse("public:claim-detail", kwargs={"pk": claim.pk, "slug": wrong}))
        assert response.status_code == 301 and response["Location"] == claim.get_absolute_url()
    response = client.get(f"/claims/{claim.pk}/")
    assert response.status_code == 301 and response["Location"] == claim.get_absolute_url()
    for url in (
        "/claims/999999-nothing/",
        f"/claims/{2**70}-big/",
        f"/sources/{2**70}/",
        "/sources/999999/",
        "/claimants/nobody/",
        "/topics/nothing/",
        f"/sources/{site['source'].pk}/snapshots/999999/",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("page=abc", "page"),
        ("published_from=garbage", "published_from"),
        ("published_from=2024-02-30", "published_from"),
        ("rating=unknown", "rating"),
        ("topic=%00", "topic"),
        ("source=abc", "source"),
        ("per_page=100000", "per_page"),
        ("published_from=2024-05-01&published_to=2024-01-01", "published_to"),
    ],
)
def test_malformed_filters_give_a_400_page_naming_the_field(client: Client, site, query, field):
    response = client.get(reverse("public:claim-list") + "?" + query)
    assert response.status_code == 400
    body = response.content.decode()
    assert 'role="alert"' in body
    assert field in body


@pytest.mark.parametrize(
    "text",
    [
        "Belarus & (",
        "'; DROP TABLE claims_claim; --",
        ":*",
        "!!!",
        "<script>alert(1)</script>",
        "a" * 200,
        "\ue000x",
    ],
)
def test_search_text_is_text(client: Client, site, text):
    response = client.get(reverse("public:claim-list"), {"q": text})
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.content.decode()


def test_search_finds_ranks_and_highlights(client: Client, site):
    # Both public claims quote the Belarus sentence; the statement match ranks first.
    body = client.get(reverse("public:claim-list"), {"q": "belarus supplier"}).content.decode()
    assert "2 fact-checks" in body
    assert "<mark>Belarus</mark>" in body
    assert body.index(site["claim"].get_absolute_url()) < body.index(site["retracted"].get_absolute_url())
    # The claimant's name and the published rationale are searchable; a draft rationale is not.
    assert "1 fact-check" in client.get(reverse("public:claim-list"), {"q": "Ilham"}).content.decode()
    assert (
        "1 fact-check"
        in client.get(reverse("public:claim-list"), {"q": "corrected rationale"}).content.decode()
    )
    assert (
        "No fact-checks found"
        in client.get(reverse("public:claim-list"), {"q": "SECRET-DRAFT-RATIONALE"}).content.decode()
    )


def test_filters(client: Client, site):
    url = reverse("public:claim-list")
    claim = site["claim"]

    def count(params: dict) -> int:
        body = client.get(url, params).content.decode()
        return int(re.search(r"(\d+) fact-checks?</p>", body).group(1))

    assert count({}) == 2
    assert count({"rating": "false"}) == 1
    assert count({"rating": "true"}) == 0  # the retracted claim's verdict is withdrawn
    assert count({"topic": "arms-trade"}) == 1
    assert count({"claimant": "ilham"}) == 1
    assert count({"source": claim.snapshot.source_id}) == 1
    day = claim.published_at.date().isoformat()
    assert count({"published_from": day, "published_to": day}) == 2
    assert count({"published_to": "2000-01-01"}) == 0


def test_markdown_rationale_is_sanitised(client: Client, reviewer, editor):
    claim = ClaimFactory()
    publish(
        claim,
        author=reviewer,
        editor=editor,
        rationale="<script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)> *ok*",
    )
    body = client.get(claim.get_absolute_url()).content.decode()
    rationale = body[body.index('class="rationale"') :]
    rationale = rationale[: rationale.index("</div>")]
    assert "<script" not in rationale and "javascript:" not in rationale and "onerror" not in rationale
    assert "<em>ok</em>" in rationale


def test_user_text_is_escaped_everywhere(client: Client, reviewer, editor):
    evil = '</script><script>alert("x")</script>'
    claimant = ClaimantFactory(name=evil)
    claim = ClaimFactory(claimant=claimant, statement=f"Statement {evil}")
    publish(claim, author=reviewer, editor=editor)
    for url in (
        claim.get_absolute_url(),
        "/",
        "/claims/",
        claimant.get_absolute_url(),
        "/feeds/fact-checks.rss",
    ):
        body = client.get(url).content.decode()
        assert '<script>alert("x")' not in body, url
    assert validate_page_jsonld(client.get(claim.get_absolute_url()).content.decode()).ok


def test_methodology_lists_the_scale_and_corrections_policy(client: Client, db):
    body = client.get(reverse("public:methodology")).content.decode()
    for label in ("False", "Mostly false", "Half true", "Mostly true", "True", "Misleading", "Unverifiable"):
        assert f'<span class="badge__label">{label}</span>' in body
    assert "none (given in words only)" in body
    assert "Corrections policy" in body


def test_feeds_hold_published_and_corrected_only(client: Client, site):
    atom = client.get(reverse("public:feed-atom")).content.decode()
    assert "Corrected: False: " in atom and "Rating lowered after SIPRI" in atom
    assert "Azerbaijan bought no arms from Israel." not in atom
    rss = client.get(reverse("public:feed-rss")).content.decode()
    assert site["claim"].get_absolute_url() in rss


def test_public_pages_set_no_cookies_and_refuse_writes(client: Client, site):
    response = client.get(site["claim"].get_absolute_url())
    assert not response.cookies
    assert client.post(site["claim"].get_absolute_url()).status_code == 405
