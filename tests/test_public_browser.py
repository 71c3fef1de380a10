"""The public site in a real browser (Debian's Chromium): axe-core finds no WCAG violation,
the content-security policy blocks nothing the pages need, keyboard users can skip to the
content, and the claim page fits a 390 px phone.

Screenshots for the docs are written to docs/screenshots/ when SAVE_SCREENSHOTS=1.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from tests.publishing import build_site

SCREENSHOTS = Path(django_settings.BASE_DIR) / "docs" / "screenshots"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def site(reviewer, editor, second_editor):
    return build_site(reviewer, editor, second_editor)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900}, java_script_enabled=True)
    page = context.new_page()
    page.csp_errors = []
    page.on(
        "console",
        lambda msg: page.csp_errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    yield page
    context.close()


def public_pages(site, live_server) -> dict[str, str]:
    base = live_server.url
    return {
        "home": base + reverse("public:home"),
        "list": base + reverse("public:claim-list"),
        "search": base + reverse("public:claim-list") + "?q=Belarus+supplier",
        "claim": base + site["claim"].get_absolute_url(),
        "retracted": base + site["retracted"].get_absolute_url(),
        "source": base + site["source"].get_absolute_url(),
        "methodology": base + reverse("public:methodology"),
        "bad-filter": base + reverse("public:claim-list") + "?published_from=garbage",
        "not-found": base + "/claims/999999-nothing/",
    }


def screenshot(page, name: str, **kwargs) -> None:
    if os.environ.get("SAVE_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"public-{name}.png"), **kwargs)


def test_axe_reports_no_violations_and_csp_blocks_nothing(page, site, live_server):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    failures = {}
    for name, url in public_pages(site, live_server).items():
        response = page.goto(url)
        assert response is not None
        assert response.status in (200, 400, 404), (name, response.status)
        # The stylesheet loaded (the CSP allows 'self'): the skip link is off-screen.
        assert page.eval_on_selector(".skip-link", "el => el.getBoundingClientRect().top < 0"), name
        results = axe.run(page)
        if results.violations_count:
            failures[name] = results.generate_report()
        screenshot(page, name, full_page=True)
    assert not failures, "\n".join(f"{k}:\n{v}" for k, v in failures.items())
    assert page.csp_errors == []


def test_keyboard_skip_link_and_focus(page, site, live_server):
    page.goto(live_server.url + site["claim"].get_absolute_url())
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.eval_on_selector(".skip-link", "el => el.getBoundingClientRect().top >= 0")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_works_without_javascript_and_search_by_form(browser, site, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")
    page.fill("#site-q", "Belarus supplier")
    page.click(".site-search button")
    page.wait_for_load_state()
    assert "q=Belarus+supplier" in page.url
    page.click(f'a[href="{site["claim"].get_absolute_url()}"]')
    page.wait_for_load_state()
    assert page.locator("h1").inner_text().startswith("Belarus was Azerbaijan")
    assert page.locator(".claim__verdict .badge__label").inner_text() == "False"
    context.close()


def test_phone_width_has_no_horizontal_scroll(browser, site, live_server):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True
    )
    page = context.new_page()
    for url in (site["claim"].get_absolute_url(), "/claims/?q=Belarus", "/methodology/"):
        page.goto(live_server.url + url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
    page.goto(live_server.url + site["claim"].get_absolute_url())
    screenshot(page, "claim-phone", full_page=True)
    context.close()


def test_print_stylesheet_hides_navigation(page, site, live_server):
    page.goto(live_server.url + site["claim"].get_absolute_url())
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.locator("#claim-h").is_visible()
