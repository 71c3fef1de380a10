"""Stored XSS in a real browser (Debian's Chromium): payloads in every user-editable field,
taken through the workflow to publication, then every public and admin page that shows them
is opened. On each page: no script ran (``window.__xss`` stays undefined, no dialog opened),
no payload became markup (no event-handler attribute, no executable script carrying it, no
``javascript:`` link), and the payload is there as text. The ClaimReview JSON-LD parses and
carries the payload as a string; the feeds' HTML descriptions are rendered too, as a feed
reader would (without the site's content-security policy to help).

Addresses (source URL, claimant ``same_as``) take ``javascript:`` URLs only where an entry
point lets them: the admin forms must refuse them, and what a ClaimReview import brings in
must never become a link.
"""

import json
from typing import Any

import lxml.etree
import lxml.html
import pytest
from django.test import Client
from django.urls import reverse

from claims import services
from claims.models import Claim, Rating, RatingScale
from factcheck.errors import DomainError
from newsroom import importing
from newsroom import services as newsroom_services
from sources import services as source_services
from sources.models import Source
from tests.factories import SnapshotFactory, SourceFactory, UserFactory, default_rating

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

# Every way out of a text node and an attribute we know of, in one string per field.
MEGA = (
    '<script>window.__xss=1</script>"><img src=x onerror="window.__xss=1">'
    "'><svg onload=window.__xss=1></script><script>window.__xss=1</script>"
)
SHORT = "<script>window.__xss=1</script><svg onload=window.__xss=1>"  # for 120-character fields
JS_URL = "javascript:window.__xss=1"
MARKDOWN_LINKS = '[x](javascript:window.__xss=1) <a href="javascript:window.__xss=1">y</a>'
PAYLOAD_TEXT = "window.__xss=1"  # what a page shows when it shows a payload as text


def p(field: str, short: bool = False) -> str:
    return f"[{field}] {SHORT if short else MEGA}"


# What one page may reveal about itself, read in the page after it loaded.
INSPECT = """() => {
    const bad = [];
    for (const el of document.querySelectorAll("*")) {
        for (const attr of el.attributes) {
            const name = attr.name.toLowerCase();
            if (name.startsWith("on") && attr.value.includes("__xss")) bad.push(`${el.tagName} ${name}=${attr.value}`);
            if (/^\\s*javascript:/i.test(attr.value) && ["href", "src", "action", "formaction", "xlink:href", "data"].includes(name))
                bad.push(`${el.tagName} ${name}=${attr.value}`);
        }
    }
    for (const s of document.querySelectorAll("script")) {
        const type = (s.type || "").toLowerCase();
        const runs = !type || type.includes("javascript") || type === "module";
        if (runs && s.textContent.includes("__xss")) bad.push("executable script: " + s.textContent.slice(0, 80));
    }
    const root = document.body || document.documentElement;
    return {xss: window.__xss === undefined ? null : String(window.__xss), bad, text: root.innerText || root.textContent};
}"""


def _span(text: str, quote: str) -> tuple[int, int]:
    start = text.index(quote)
    return start, start + len(quote)


def build_hostile_world(reviewer: Any, editor: Any, second_editor: Any) -> dict[str, Any]:
    """Every user-editable field holds a payload; the claim is published, corrected, and a
    second one retracted, so that the payloads reach public pages, feeds and JSON-LD."""
    reviewer.first_name, reviewer.last_name = p("reviewer first name", True), p("reviewer last name", True)
    reviewer.save(update_fields=["first_name", "last_name"])
    quote, other_quote, evidence_quote = p("claim quote"), p("retracted quote"), p("evidence quote")
    source = SourceFactory(
        title=p("source title"), publisher=p("publisher"), authors=p("authors"), notes=p("source notes")
    )
    snapshot = SnapshotFactory(
        source=source, text=f"The minister said {quote} at the summit.\nLater {other_quote} too."
    )
    claimant = services.claimant_create(
        actor=reviewer,
        name=p("claimant name"),
        description=p("claimant description"),
        same_as="https://example.org/m",
    )
    topic = services.topic_get_or_create(actor=reviewer, name=p("topic", True))
    start, end = _span(snapshot.text, quote)
    claim = services.claim_create(
        actor=reviewer, snapshot=snapshot, exact=quote, start=start, end=end,
        statement=p("statement"), claimant=claimant, topics=[topic],
    )  # fmt: skip
    evidence_source = SourceFactory(title=p("evidence source title"), publisher=p("evidence publisher"))
    evidence_snapshot = SnapshotFactory(source=evidence_source, text=f"Figures: {evidence_quote} (2021).")
    start, end = _span(evidence_snapshot.text, evidence_quote)
    evidence = services.evidence_add(
        actor=reviewer, claim=claim, snapshot=evidence_snapshot, exact=evidence_quote, start=start, end=end,
        stance="contradicts", note=p("evidence note"),
    )  # fmt: skip
    source_services.citation_add(
        actor=reviewer, citing=source, cited=evidence_source, note=p("citation note")
    )

    verdict = services.verdict_propose(
        actor=reviewer, claim=claim, rating=default_rating(), rationale=f"{p('rationale')}\n\n{MARKDOWN_LINKS}",
        evidence=[evidence],
    )  # fmt: skip
    services.verdict_submit(actor=reviewer, verdict=verdict)
    services.verdict_approve(actor=editor, verdict=verdict, comment=p("approval comment"))
    services.claim_publish(actor=editor, claim=claim, reason=p("publication reason"))
    # A correction to a label an editor wrote, with a description the methodology page shows.
    label = Rating.objects.create(
        scale=RatingScale.objects.get(is_default=True), label=p("rating label", True), slug="hostile",
        description=p("rating description"), position=99,
    )  # fmt: skip
    correction = services.verdict_propose(
        actor=reviewer, claim=claim, rating=label, rationale=p("correction rationale")
    )
    services.verdict_submit(actor=reviewer, verdict=correction)
    services.verdict_approve(actor=second_editor, verdict=correction)
    services.verdict_correct(
        actor=editor, verdict=correction, public_note=p("correction note"), reason=p("correction reason")
    )
    pending = services.verdict_propose(
        actor=reviewer, claim=claim, rating=default_rating(), rationale=p("pending rationale")
    )
    services.verdict_submit(actor=reviewer, verdict=pending)
    services.verdict_send_back(actor=editor, verdict=pending, comment=p("review comment"))

    start, end = _span(snapshot.text, other_quote)
    retracted = services.claim_create(
        actor=reviewer, snapshot=snapshot, exact=other_quote, start=start, end=end,
        statement=p("retracted statement"), claimant=claimant,
    )  # fmt: skip
    first = services.verdict_propose(
        actor=reviewer, claim=retracted, rating=default_rating(), rationale="Ok."
    )
    services.verdict_submit(actor=reviewer, verdict=first)
    services.verdict_approve(actor=editor, verdict=first)
    services.claim_publish(actor=editor, claim=retracted)
    services.claim_retract(
        actor=editor, claim=retracted, public_note=p("retraction note"), reason=p("retraction reason")
    )

    api_client, _ = newsroom_services.client_create(actor=None, name=p("API client name", True))
    pasted = source_services.ingest_paste(actor=editor, text=f"Pasted {MEGA} text.", title=p("pasted title"))
    imported = importing.import_claim_reviews(
        {
            "@context": "https://schema.org",
            "@type": "ClaimReview",
            "url": "https://checker.example.net/checks/hostile",
            "claimReviewed": p("imported claim"),
            "datePublished": "2024-03-01",
            "author": {"@type": "Organization", "name": p("imported publisher", True)},
            "reviewRating": {"@type": "Rating", "alternateName": p("imported rating", True)},
            "itemReviewed": {
                "@type": "Claim",
                "author": {"@type": "Person", "name": p("imported claimant"), "sameAs": JS_URL},
                "datePublished": "2024-02-01",
                "firstAppearance": {
                    "@type": "CreativeWork",
                    "url": "https://news.example.am/story/hostile",
                    "headline": p("imported headline"),
                },
            },
        },
        importer=editor,
    )
    assert imported.imported, f"the hostile ClaimReview was not imported: {imported}"
    imported_claim = Claim.objects.select_related("claimant", "snapshot").get(imported_review__isnull=False)
    for obj in (claim, retracted):
        obj.refresh_from_db()
    return {
        "claim": claim,
        "retracted": retracted,
        "imported": imported_claim,
        "source": source,
        "snapshot": snapshot,
        "evidence_source": evidence_source,
        "evidence": evidence,
        "claimant": claimant,
        "topic": topic,
        "verdict": verdict,
        "pending": pending,
        "api_client": api_client,
        "pasted_job": pasted,
    }


def test_entry_points_refuse_javascript_addresses(editor) -> None:
    """An address typed in the admin, or pasted with a source, must be http(s)."""
    with pytest.raises(DomainError):
        source_services.normalize_url(JS_URL)
    source = SourceFactory(title="Plain")
    client = Client()
    client.force_login(editor)
    response = client.post(
        reverse("admin:sources_source_change", args=[source.pk]),
        {"title": "Plain", "kind": "article", "url": JS_URL, "language": "en", "change_reason": "x",
         "citations_from-TOTAL_FORMS": "0", "citations_from-INITIAL_FORMS": "0"},
    )  # fmt: skip
    assert response.status_code == 200 and "url" in response.context["adminform"].form.errors
    claimant = services.claimant_create(actor=editor, name="Plain Person")
    response = client.post(
        reverse("admin:claims_claimant_change", args=[claimant.pk]),
        {
            "name": "Plain Person",
            "slug": claimant.slug,
            "kind": "person",
            "same_as": JS_URL,
            "change_reason": "x",
        },
    )
    assert response.status_code == 200 and "same_as" in response.context["adminform"].form.errors
    assert not Source.objects.filter(url__startswith="javascript").exists()
    with pytest.raises(DomainError):
        source_services.ingest_paste(actor=editor, text="Some text.", title="T", url=JS_URL)
    # The service itself refuses it, whoever calls (a ClaimReview import drops it first).
    with pytest.raises(DomainError) as refused:
        services.claimant_create(actor=editor, name="Linked Person", same_as=JS_URL)
    assert refused.value.field == "same_as"


def _login(browser: Any, base: str, username: str) -> Any:
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}{reverse('admin:login')}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-only")
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return page


def _submit_selection(page: Any, start: int, end: int, exact: str, statement: str, claimant: str) -> None:
    """Post the annotation view's claim form as the page's script would after a selection."""
    with page.expect_navigation():
        page.evaluate(
            """([start, end, exact, statement, claimant]) => {
                const form = document.getElementById("panel-claim");
                const set = (name, value) => { form.querySelector(`[name='claim-${name}']`).value = value; };
                set("start", start); set("end", end); set("exact", exact);
                set("statement", statement); set("new_claimant", claimant);
                form.submit();
            }""",
            [start, end, exact, statement, claimant],
        )
    page.wait_for_load_state("load")


class Visitor:
    """Opens pages in one browser tab and records what each one did with the payloads."""

    def __init__(self, page: Any, base: str) -> None:
        self.page, self.base = page, base
        self.dialogs: list[str] = []
        self.findings: list[str] = []
        self.visited: list[str] = []
        page.on("dialog", self._dialog)

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{self.page.url}: {dialog.message}")
        dialog.dismiss()

    def visit(self, path: str, *, shows_payload: bool = True) -> dict[str, Any]:
        response = self.page.goto(self.base + path, wait_until="load")
        assert response is not None and response.status == 200, f"{path} -> {response and response.status}"
        return self.inspect(path, shows_payload=shows_payload)

    def inspect(self, label: str, *, shows_payload: bool = True) -> dict[str, Any]:
        self.visited.append(label)
        seen = self.page.evaluate(INSPECT)
        if seen["xss"] is not None:
            self.findings.append(f"{label}: a payload ran (window.__xss = {seen['xss']})")
        self.findings += [f"{label}: {what}" for what in seen["bad"]]
        if shows_payload and PAYLOAD_TEXT not in seen["text"]:
            self.findings.append(f"{label}: no payload shown as text (did the page show the field?)")
        return seen


def public_paths(world: dict[str, Any]) -> list[tuple[str, bool]]:
    claim, imported, source = world["claim"], world["imported"], world["source"]
    return [
        (reverse("public:home"), True),
        (reverse("public:claim-list"), True),
        (reverse("public:claim-list") + "?q=window+xss+script", True),
        (claim.get_absolute_url(), True),
        (world["retracted"].get_absolute_url(), True),
        (imported.get_absolute_url(), True),
        (reverse("public:source-detail", args=[source.pk]), True),
        (reverse("public:source-detail", args=[world["evidence_source"].pk]), True),
        (reverse("public:source-snapshot", args=[source.pk, world["snapshot"].pk]), True),
        (reverse("public:source-detail", args=[imported.snapshot.source_id]), True),
        (reverse("public:claimant-detail", args=[world["claimant"].slug]), True),
        (reverse("public:claimant-detail", args=[imported.claimant.slug]), True),
        (reverse("public:topic-detail", args=[world["topic"].slug]), True),
        (reverse("public:methodology"), True),
    ]


def admin_paths(world: dict[str, Any]) -> list[tuple[str, bool]]:
    def a(name: str, *args: Any) -> str:
        return reverse(f"admin:{name}", args=args)

    source = world["source"]
    paths = [(a("index"), False), (a("claims_desk"), True)]
    for obj_name, changelist, change, history in (
        ("claim", "claims_claim_changelist", "claims_claim_change", "claims_claim_history"),
        ("retracted", None, "claims_claim_change", None),
        ("imported", None, "claims_claim_change", None),
        ("source", "sources_source_changelist", "sources_source_change", "sources_source_history"),
        ("evidence", "claims_evidence_changelist", "claims_evidence_change", "claims_evidence_history"),
        ("verdict", "claims_verdict_changelist", "claims_verdict_change", "claims_verdict_history"),
        ("pending", None, "claims_verdict_change", None),
        ("claimant", "claims_claimant_changelist", "claims_claimant_change", "claims_claimant_history"),
        ("topic", "claims_topic_changelist", "claims_topic_change", "claims_topic_history"),
    ):
        obj = world[obj_name]
        if changelist:
            paths.append((a(changelist), True))
        paths.append((a(change, obj.pk), True))
        if history:
            paths.append((a(history, obj.pk), True))
    paths += [
        (a("claims_claim_changelist") + "?q=window", True),
        (a("claims_review_changelist"), True),
        (a("claims_claimrelation_changelist"), False),
        (a("sources_citation_changelist"), True),
        (a("sources_snapshot_changelist"), True),
        (a("sources_snapshot_change", world["snapshot"].pk), True),
        (a("sources_source_annotate", source.pk), True),
        (a("sources_source_annotate", world["evidence_source"].pk), True),
        (a("sources_job_changelist"), True),
        (a("sources_job_change", world["pasted_job"].pk), True),
        (a("claims_rating_changelist"), True),
        (a("claims_ratingscale_changelist"), True),
        (a("claims_claim_similar") + "?q=window+xss+script", True),
    ]
    return paths


def superuser_paths(world: dict[str, Any]) -> list[tuple[str, bool]]:
    def a(name: str, *args: Any) -> str:
        return reverse(f"admin:{name}", args=args)

    imported = world["imported"]
    return [
        (a("newsroom_newsroomclient_changelist"), True),
        (a("newsroom_newsroomclient_change", world["api_client"].pk), True),
        (a("newsroom_importedreview_changelist"), False),
        (a("newsroom_importedreview_change", imported.imported_review.pk), True),
        (a("auth_user_changelist"), True),
        (a("pghistory_events_changelist"), True),
    ]


def test_no_stored_payload_runs_on_any_page(browser, live_server, reviewer, editor, second_editor) -> None:
    world = build_hostile_world(reviewer, editor, second_editor)
    UserFactory(username="root-xss", is_superuser=True)
    base = live_server.url
    findings, dialogs, visited = [], [], []

    # Public pages, as a reader.
    reader = Visitor(browser.new_context().new_page(), base)
    for path, shows in public_paths(world):
        reader.visit(path, shows_payload=shows)
    # The ClaimReview JSON-LD: valid JSON, the payloads inside as plain strings.
    reader.page.goto(base + world["claim"].get_absolute_url())
    blocks = reader.page.eval_on_selector_all(
        "script[type='application/ld+json']", "els => els.map(e => e.textContent)"
    )
    assert len(blocks) == 1
    review = json.loads(blocks[0])
    assert review["claimReviewed"] == world["claim"].statement
    assert review["reviewRating"]["alternateName"] == p("rating label", True)
    assert review["itemReviewed"]["author"]["name"] == p("claimant name")
    findings += reader.findings
    dialogs += reader.dialogs
    visited += reader.visited

    # The feeds: XML that parses, and item descriptions that a feed reader can show safely.
    feed_reader = Visitor(browser.new_context().new_page(), base)
    client = Client()
    for name in ("public:feed-rss", "public:feed-atom"):
        body = client.get(reverse(name)).content
        tree = lxml.etree.fromstring(body)
        texts = [
            el.text or ""
            for el in tree.iter()
            if isinstance(el.tag, str) and el.tag.split("}")[-1] in ("description", "summary", "content")
        ]
        items = [t for t in texts if PAYLOAD_TEXT in t]
        assert items, f"{name}: no item carries the payload"
        for n, html in enumerate(items):
            feed_reader.page.set_content(
                f"<!doctype html><html><body>{html}</body></html>", wait_until="load"
            )
            feed_reader.inspect(f"{name} item {n}")
    findings += feed_reader.findings
    dialogs += feed_reader.dialogs
    visited += feed_reader.visited

    # The workspace, as an editor, then the pages only a superuser sees.
    desk = Visitor(_login(browser, base, editor.username), base)
    for path, shows in admin_paths(world):
        desk.visit(path, shows_payload=shows)
    # The annotation view's suggestions are built by script from JSON: type to fetch them.
    desk.visit(reverse("admin:sources_source_annotate", args=[world["evidence_source"].pk]))
    desk.page.fill("#id_claim-statement", "window xss script statement")
    desk.page.wait_for_selector("#fc-similar-list li")
    desk.inspect("annotate: similar claims")
    # Messages quote what was typed or stored: a refused selection names the claim it overlaps,
    # a created claim is announced with its statement.
    annotate = reverse("admin:sources_source_annotate", args=[world["source"].pk])
    quote = world["claim"].exact
    start = world["snapshot"].text.index(quote)
    desk.visit(annotate)
    _submit_selection(desk.page, start, start + len(quote), quote, p("new statement"), p("new claimant"))
    assert "overlaps claim" in desk.page.locator("#panel-claim .errorlist").inner_text()
    desk.inspect("annotate: overlap refused")
    desk.visit(annotate)
    _submit_selection(
        desk.page, 0, len("The minister said"), "The minister said", p("new statement"), p("new claimant")
    )
    assert desk.page.locator(".messagelist .success").count() == 1
    desk.inspect("annotate: claim created")
    root = Visitor(_login(browser, base, "root-xss"), base)
    for path, shows in superuser_paths(world):
        root.visit(path, shows_payload=shows)
    for visitor in (desk, root):
        findings += visitor.findings
        dialogs += visitor.dialogs
        visited += visitor.visited

    print(f"\nStored XSS: {len(visited)} pages and feed items checked, 0 executed" if not findings else "")
    assert not dialogs, "dialogs opened:\n" + "\n".join(dialogs)
    assert not findings, "\n".join(findings)
    assert len(visited) >= 55
