"""sources.cleaning.clean_text: one rule per test, on small inline strings."""

import unicodedata

import pytest

from sources.cleaning import clean_text, strip_html

BODY = "Moscow evidently believes that the claims are credible enough to act on them."


def test_markdown_links_keep_their_text():
    assert clean_text('By [Andrew Korybko](#) and [others](https://x.org/a "t").') == (
        "By Andrew Korybko and others."
    )


def test_markdown_images_disappear():
    assert clean_text("Before ![a map](https://x.org/m.png) after.") == "Before after."


def test_stray_html_with_curly_quotes_is_removed_but_the_words_stay():
    raw = (
        "Armenia has <a href=”https://example.org/r/pivot” style=”text-decoration: underline "
        "!important;”>continuously boycotted several meetings."
    )
    assert clean_text(raw) == "Armenia has continuously boycotted several meetings."


def test_html_entities_are_decoded_and_scripts_dropped():
    raw = "<p>Tom &amp; Jerry&#8217;s &quot;war&quot;</p><script>var x = 1 < 2;</script><p>Next.</p>"
    assert clean_text(raw) == 'Tom & Jerry’s "war"\n\nNext.'


def test_text_that_only_looks_like_html_is_left_alone():
    assert strip_html("a < b and 3 > 2, Belarus > Armenia") == "a < b and 3 > 2, Belarus > Armenia"


def test_taxonomy_link_lines_are_site_chrome():
    raw = f"Title\n\nRegion: [Europe](#), [Russia and FSU](#)\n\nTheme: [History](#)\n\n{BODY}"
    assert clean_text(raw) == f"Title\n\n{BODY}"


def test_reading_time_badge_is_removed_from_the_dateline():
    assert clean_text("4 MINS READApr 6, 2016 | 23:18 GMT") == "Apr 6, 2016 | 23:18 GMT"


def test_photo_credit_captions_are_removed():
    raw = (
        "Soldiers at a training ground on September 30, 2015. AFP PHOTO / KAREN MINASYAN "
        "(Photo credit should read KAREN MINASYAN/AFP/Getty Images)\n" + BODY
    )
    assert clean_text(raw) == BODY


def test_share_prompts_and_theme_placeholders_are_removed():
    raw = f"{BODY}\n\nShare this article\n\n- Soovitus -spot_img\n\nLeia Meid Youtubes!spot_img"
    assert clean_text(raw) == BODY


@pytest.mark.parametrize(
    "footer",
    [
        "Note to readers: please click the share buttons above or below.\n\nAuthor bio here.",
        "The original source of this article is Global Research\nCopyright © A. Writer, 2020",
        "Copyright © Stratfor Enterprises, LLC. All rights reserved.\n\nStratfor Worldview",
        "Connected Content\n\nRegions & Countries\n\nArticle Search",
        "Sarnased\n\nViimased",
    ],
)
def test_page_foot_is_cut_from_its_first_marker(footer):
    article = f"{BODY}\n\n{BODY}\n\n*\n\n{footer}"
    assert clean_text(article) == f"{BODY}\n\n{BODY}"


def test_a_footer_phrase_early_in_the_text_is_not_a_footer():
    raw = f"Copyright © law is the subject here.\n\n{BODY}\n\n{BODY}"
    assert clean_text(raw) == raw


def test_authors_typos_and_repetitions_are_kept():
    raw = "Lukashenko claimed that Moscow dispatched Wager mercenaries, but now now it's clear."
    assert clean_text(raw) == raw


def test_paragraph_cut_mid_sentence_by_layout_is_rejoined():
    assert (
        clean_text("but now now it's\n\nforced to confront it.") == "but now now it's forced to confront it."
    )
    assert clean_text('his piece "Armenia\'s Risky\n\nStrategy Backfired". Then') == (
        'his piece "Armenia\'s Risky Strategy Backfired". Then'
    )


def test_headings_are_not_joined_to_the_next_paragraph():
    assert (
        clean_text("Belarus > Armenia\n\nThe media is talking.")
        == "Belarus > Armenia\n\nThe media is talking."
    )


def test_whitespace_is_normalised():
    raw = "  Title \t \r\n\r\n\n\nFirst  line.   \nSecond\u00a0line.\u200b  \n\n\n"
    assert clean_text(raw) == "Title\n\nFirst line.\n\nSecond line."


def test_text_is_nfc():
    decomposed = "Pashinyan said “e\u0301tat”."
    cleaned = clean_text(decomposed)
    assert cleaned == unicodedata.normalize("NFC", decomposed)
    assert "\u0301" not in cleaned


def test_clean_text_is_idempotent():
    raw = f"Title\n\nRegion: [Europe](#)\n\n{BODY}\n\n<b>bold</b> &amp; more.\n\nCopyright © X"
    once = clean_text(raw)
    assert clean_text(once) == once
