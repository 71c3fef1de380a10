"""A reviewer and an editor take a claim from a passage of a source to a published verdict,
in Debian's Chromium driven by Playwright against the live server."""

from pathlib import Path

import pytest
from django.urls import reverse

from claims.models import Claim, ClaimStatus, Evidence, VerdictStatus
from tests.factories import SnapshotFactory, SourceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

ARTICLE = (
    "Why the CSTO stayed out of the Karabakh war\n\n"
    "The Collective Security Treaty Organisation was built as Russia's answer to NATO. Its members "
    "promise to defend each other, and Yerevan has long counted on that promise.\n\n"
    "Belarus was the second-largest arms supplier to Azerbaijan after Israel, accounting for about "
    "7.1% of its arms imports between 2011 and 2020. Minsk therefore had little interest in a "
    "CSTO mission against Baku.\n\n"
    "When fighting broke out, the organisation said the clashes took place outside Armenia's "
    "internationally recognised territory, so Article 4 did not apply."
)
REPORT = (
    "SIPRI Fact Sheet: Trends in International Arms Transfers\n\n"
    "Russia accounted for 60% of Azerbaijan's imports of major arms in 2011–2020, and Israel for "
    "27%. Belarus accounted for 2.6%.\n\n"
    "Transfers to Armenia came almost entirely from Russia (94%)."
)
CLAIM_QUOTE = "Belarus was the second-largest arms supplier to Azerbaijan after Israel"
EVIDENCE_QUOTE = (
    "Russia accounted for 60% of Azerbaijan's imports of major arms in 2011–2020, and Israel for 27%."
)


def _login(browser, base: str, username: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{base}{reverse('admin:login')}")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-for-tests-only")
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")
    return context, page


def _select_with_a_dom_range(page, quote: str) -> None:
    """Select ``quote`` as a mouse would: a DOM Range over the rendered text nodes."""
    page.evaluate(
        """(quote) => {
            const root = document.getElementById("fc-text");
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            const nodes = [];
            let all = "";
            while (walker.nextNode()) { nodes.push([walker.currentNode, all.length]); all += walker.currentNode.data; }
            const at = all.indexOf(quote);
            const locate = (i) => { let hit = nodes[0];
                for (const n of nodes) { if (n[1] <= i) hit = n; else break; }
                return [hit[0], i - hit[1]]; };
            const [sn, so] = locate(at);
            const [en, eo] = locate(at + quote.length);
            const range = document.createRange();
            range.setStart(sn, so); range.setEnd(en, eo);
            const sel = window.getSelection(); sel.removeAllRanges(); sel.addRange(range);
            root.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
        }""",
        quote,
    )


def _do_action(page, label: str) -> None:
    page.click(f"details.fc-action summary:has-text('{label}')")
    page.click(f"details.fc-action[open] button[type=submit]:has-text('{label}')")
    page.wait_for_selector(".messagelist .success")


def test_reviewer_and_editor_take_a_passage_to_a_published_verdict(browser, live_server, reviewer, editor):
    article = SnapshotFactory(
        source=SourceFactory(title="Why the CSTO stayed out", publisher="European Correspondent"),
        text=ARTICLE,
    ).source
    report = SnapshotFactory(
        source=SourceFactory(title="SIPRI arms transfers fact sheet", publisher="SIPRI"), text=REPORT
    ).source
    base = live_server.url

    # --- The reviewer: a claim from a passage -------------------------------------------
    context, page = _login(browser, base, reviewer.username)
    page.goto(f"{base}{reverse('admin:sources_source_annotate', args=[article.pk])}")
    _select_with_a_dom_range(page, CLAIM_QUOTE)
    assert page.input_value("#id_claim-exact") == CLAIM_QUOTE
    page.fill("#id_claim-statement", "Belarus was Azerbaijan's second-largest arms supplier in 2011–2020.")
    page.fill("#id_claim-new_claimant", "European Correspondent")
    page.fill("#id_claim-new_topics", "Arms trade, CSTO")
    page.click("#fc-create-claim")
    page.wait_for_selector(".messagelist .success")
    claim = Claim.objects.get()
    assert (claim.exact, claim.start) == (CLAIM_QUOTE, ARTICLE.index(CLAIM_QUOTE))
    assert page.locator(f"#ann-c{claim.pk}").count() == 1  # highlighted in the text
    # A second passage selected, with the similar-claims suggestions, for the screenshot.
    _select_with_a_dom_range(page, "so Article 4 did not apply")
    page.fill("#id_claim-statement", "Belarus supplied arms to Azerbaijan, so the CSTO kept out.")
    page.wait_for_selector("#fc-similar-list li")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "admin-annotate.png"), full_page=True)

    # --- Contradicting evidence from another source, found with the keyboard -------------
    page.goto(f"{base}{reverse('admin:sources_source_annotate', args=[report.pk])}")
    page.fill("#fc-find-input", EVIDENCE_QUOTE)
    page.press("#fc-find-input", "Enter")
    page.click("#tab-evidence")
    assert page.input_value("#id_evidence-exact") == EVIDENCE_QUOTE
    page.click(".fc-field-claim .select2-selection")
    page.fill(".select2-dropdown .select2-search__field", "Belarus")
    page.click(".select2-results__option:has-text('Belarus was Azerbaijan')")
    page.check("#panel-evidence input[value=contradicts]")
    page.fill("#id_evidence-note", "SIPRI puts Belarus at 2.6%, far behind Russia and Israel.")
    page.click("#fc-attach-evidence")
    page.wait_for_selector(".messagelist .success")
    evidence = Evidence.objects.get()
    assert (evidence.claim_id, evidence.stance, evidence.exact) == (claim.pk, "contradicts", EVIDENCE_QUOTE)

    # --- Propose a verdict resting on it, and submit ---------------------------------------
    page.goto(f"{base}{reverse('admin:claims_claim_change', args=[claim.pk])}")
    page.click("details.fc-action summary:has-text('Propose verdict')")
    page.select_option("#workflow select[name=rating]", label="False (1)")
    page.fill("#workflow textarea[name=rationale]", "SIPRI's data put Belarus far behind Russia and Israel.")
    page.check(f"#workflow input[name=evidence][value='{evidence.pk}']")
    page.click("details.fc-action[open] button[type=submit]")
    page.wait_for_selector(".messagelist .success")
    _do_action(page, "Submit for review")
    verdict = claim.verdicts.get()
    assert verdict.status == VerdictStatus.IN_REVIEW and list(verdict.evidence.all()) == [evidence]
    context.close()

    # --- The editor: approve and publish ---------------------------------------------------
    context, page = _login(browser, base, editor.username)
    page.goto(f"{base}{reverse('admin:claims_desk')}")
    page.click(f"#content-main a[href$='/claims/claim/{claim.pk}/change/#workflow']")
    _do_action(page, "Approve")
    _do_action(page, "Publish")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PUBLISHED
    page.screenshot(path=str(SCREENSHOTS / "admin-claim.png"), full_page=True)

    page.goto(f"{base}{reverse('admin:claims_claim_changelist')}?status__exact=published")
    row = page.locator("#result_list tbody tr").first
    assert "Published" in row.inner_text() and "Belarus" in row.inner_text()

    # The history names both people and what they did.
    page.goto(f"{base}{reverse('admin:claims_claim_history', args=[claim.pk])}")
    history = page.inner_text("#change-history")
    assert "rita-reviewer" in history and "ed-editor" in history and "claim published" in history
    context.close()
