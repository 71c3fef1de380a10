"""Template helpers of the public site: safe markdown, JSON-LD, verdict badges, highlights."""

import markdown as markdown_lib
import nh3
from django import template
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from claims.claimreview import to_jsonld
from claims.selectors import HEADLINE_START, HEADLINE_STOP

register = template.Library()

# What a rationale may contain once rendered: prose, lists, quotes, links, simple tables.
_ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a",
    "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "sup", "sub",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}, "td": set()}


@register.filter
def safe_markdown(text: str) -> SafeString:
    """Markdown rendered, then sanitised by nh3: raw HTML in the source cannot survive, and
    links keep only http(s)/mailto targets."""
    html = markdown_lib.markdown(text or "", extensions=["tables", "sane_lists"], output_format="html")
    # Headings in a rationale sit under the page's own h2s.
    html = (
        html.replace("<h1>", "<h3>")
        .replace("</h1>", "</h3>")
        .replace("<h2>", "<h3>")
        .replace("</h2>", "</h3>")
    )
    cleaned = nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitised by nh3 just above


@register.simple_tag
def jsonld(doc: dict) -> SafeString:
    """A JSON-LD script element; ``to_jsonld`` escapes <, > and & inside the data."""
    return mark_safe(f'<script type="application/ld+json">{to_jsonld(doc)}</script>')  # noqa: S308


@register.filter
def highlight(snippet: str) -> SafeString:
    """A ts_headline snippet: the text escaped, then its markers turned into <mark>."""
    html = str(escape(snippet or ""))
    return mark_safe(html.replace(HEADLINE_START, "<mark>").replace(HEADLINE_STOP, "</mark>"))  # noqa: S308


# Shape and word for each kind of verdict, so colour is never the only signal.
_TONES = {1: "false", 2: "mostly-false", 3: "mixed", 4: "mostly-true", 5: "true"}
_ICONS = {"false": "✗", "mostly-false": "✗", "mixed": "◐", "mostly-true": "✓", "true": "✓"}


def verdict_tone(value: int | None, slug: str = "", worst: int = 1, best: int = 5) -> str:
    if value is None:
        return "unverifiable" if "unverif" in (slug or "") else "misleading"
    if best > worst and (worst, best) != (1, 5):
        # Map other scales onto five tones.
        value = 1 + round(4 * (value - worst) / (best - worst))
    return _TONES.get(value, "mixed")


@register.inclusion_tag("public/_badge.html")
def verdict_badge(label: str, value: int | None = None, slug: str = "", size: str = "") -> dict:
    tone = verdict_tone(value, slug)
    icon = _ICONS.get(tone, "!" if tone == "misleading" else "?")
    return {"label": label, "tone": tone, "icon": icon, "size": size}
