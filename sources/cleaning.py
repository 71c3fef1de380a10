"""The normal text clean-up every ingestion path applies before a snapshot is taken.

A snapshot is what claims quote, so the clean-up removes only what is not the document's
prose: markup (markdown links, stray HTML tags, entities), site chrome (section and theme
link lines, reading-time badges, photo credits, "related" and share blocks) and the
copyright and republication boilerplate at the foot of a page. The author's own words,
typos included, are never touched; only whitespace is normalised.

Conventions of the result: NFC, one paragraph per line of the input (what HTML extractors
produce), paragraphs separated by exactly one blank line, no trailing spaces.
"""

import re
import unicodedata
from html.parser import HTMLParser

# --- Markup ---------------------------------------------------------------------------------

# ![alt](url) images disappear; [text](url "title") links keep their text. The URL part may
# not contain spaces or parentheses, which keeps the match from running across sentences.
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\([^)\s]*(?:\s+\"[^\"\n]*\")?\)")
_MD_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\s]*(?:\s+\"[^\"\n]*\")?\)")

# Tags after which a block of text ends; their removal must not glue two paragraphs.
_BLOCK_TAGS = frozenset(
    [
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "dd",
        "div",
        "dl",
        "dt",
        "figcaption",
        "figure",
        "footer",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    ]
)
# Tags whose content is not text at all.
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg"})
# A real tag opener: "<" then a letter, "/" or "!". "a < b" and "<3" stay text.
_LOOKS_LIKE_HTML = re.compile(r"<[A-Za-z/!]|&(?:#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]{1,31});")


class _TextExtractor(HTMLParser):
    """Keeps the character data of a fragment, decodes entities, drops tags and scripts.

    Python's parser copes with what scrapers leave behind: unclosed tags, and attribute
    values in typographic quotes (``href=”https://…”``), which it reads as unquoted values.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in _SKIP_TAGS:
            self._skipping += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)

    def text(self) -> str:
        self.close()
        return "".join(self.parts)


def strip_html(text: str) -> str:
    """Remove HTML tags and comments and decode entities; plain text passes unchanged."""
    if not _LOOKS_LIKE_HTML.search(text):
        return text
    parser = _TextExtractor()
    parser.feed(text)
    return parser.text()


def strip_markdown_links(text: str) -> str:
    return _MD_LINK.sub(r"\1", _MD_IMAGE.sub("", text))


# --- Site chrome and boilerplate ------------------------------------------------------------

# A whole paragraph that is chrome, wherever it stands. Checked after markup is gone.
_CHROME_PARAGRAPHS = [
    # Taxonomy link lines under a headline: "Region: Europe, Russia and FSU", "Theme: History".
    re.compile(
        r"(?:Region|Regions|Theme|Themes|Topic|Topics|Tags?|Categor(?:y|ies)|Filed under)s?:\s.{0,150}", re.I
    ),
    # Share prompts.
    re.compile(
        r"(?:Share(?: this(?: article| story| post)?)?|Share on \w+|Click (?:here )?to share.*)", re.I
    ),
    re.compile(r"Note to readers: please click the share buttons.*", re.I),
    # Image credits and image source lines.
    re.compile(r"Featured image (?:is )?(?:from|by|credit).{0,200}", re.I),
    re.compile(r"(?:Photo|Image|Picture)(?: credit)?s?:\s.{0,200}", re.I),
    re.compile(r".*\(Photo credit should read [^)]*\)\s*", re.I),
    re.compile(r".*\b[A-Z]{2,} PHOTO / [A-Z][A-Z .'-]+(?:\(.*\))?\s*"),
    # Theme placeholders left by WordPress templates ("- Recommended -spot_img").
    re.compile(r".*spot_img\s*"),
    re.compile(r"-\s*(?:Soovitus|Advertisement|Sponsored|Recommended)\s*-?\s*", re.I),
]

# Inline chrome at the start of a paragraph: reading-time badges ("4 MINS READApr 6, 2016").
_LEADING_CHROME = re.compile(r"^\d+\s*MINS?\.?\s*READ\s*", re.I)

# Paragraphs that open the page foot: from the first of them on, the rest is boilerplate
# (share prompts, author bios, disclaimers, related links, copyright). Only honoured in the
# last two thirds of a document, so that an article quoting such a phrase early keeps its text.
_FOOTER_MARKERS = re.compile(
    r"(?:Note to readers: please click the share buttons"
    r"|The original source of this article is"
    r"|Copyright ©|© ?(?:Copyright|\d{4})|All rights reserved"
    r"|Connected Content|Related (?:articles|posts|stories|content)|You may also like|Read more:?$"
    r"|Sarnased$|Viimased$"  # Estonian site templates: "Related", "Latest"
    r"|Comment on Global Research Articles"
    r"|Disclaimer: The contents of this article)",
    re.I,
)
_FOOTER_MIN_POSITION = 1 / 3

# Paragraphs that are only a separator ("*", "***", "---").
_SEPARATOR = re.compile(r"[*\-_=~•·]+")

_TERMINAL = tuple(".!?:;…)]\"'”’»")


def _is_chrome(paragraph: str) -> bool:
    return any(pattern.fullmatch(paragraph) for pattern in _CHROME_PARAGRAPHS)


def _cut_footer(paragraphs: list[str]) -> list[str]:
    total = sum(len(p) for p in paragraphs) or 1
    seen = 0
    for index, paragraph in enumerate(paragraphs):
        if seen / total >= _FOOTER_MIN_POSITION and _FOOTER_MARKERS.match(paragraph):
            return paragraphs[:index]
        seen += len(paragraph)
    return paragraphs


def _open_quote(paragraph: str) -> bool:
    return paragraph.count('"') % 2 == 1 or paragraph.count("“") > paragraph.count("”")


def _rejoin_broken(paragraphs: list[str]) -> list[str]:
    """Join a paragraph cut mid-sentence by page layout (a column or page break in the source).

    Only when the paragraph ends without closing punctuation and either the next one starts
    in lower case or a quotation is still open: headings end without punctuation too, but
    are followed by a capital and leave no quote open.
    """
    joined: list[str] = []
    for paragraph in paragraphs:
        if joined:
            previous = joined[-1]
            broken = not previous.endswith(_TERMINAL) and (paragraph[:1].islower() or _open_quote(previous))
            if broken:
                joined[-1] = f"{previous} {paragraph}"
                continue
        joined.append(paragraph)
    return joined


# --- Whitespace -----------------------------------------------------------------------------

_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")


def normalize_whitespace(text: str) -> list[str]:
    """The text's paragraphs: NFC, invisible characters gone, runs of spaces collapsed."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_HORIZONTAL_SPACE.sub(" ", line).strip() for line in text.split("\n"))
    return [line for line in lines if line]


def clean_text(raw: str) -> str:
    """The cleaned text of a document; see the module docstring for what is removed."""
    text = strip_markdown_links(strip_html(raw))
    paragraphs = _cut_footer([_LEADING_CHROME.sub("", p) for p in normalize_whitespace(text)])
    paragraphs = [p for p in paragraphs if p and not _is_chrome(p)]
    while paragraphs and _SEPARATOR.fullmatch(paragraphs[-1]):
        paragraphs.pop()
    return "\n\n".join(_rejoin_broken(paragraphs))
