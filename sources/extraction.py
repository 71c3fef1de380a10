"""From document bytes to clean text and metadata: HTML (trafilatura), PDF (pypdf), plain text.

The type is decided by the content, not by a file name or a server's word for it: a PDF is a
PDF because it starts with ``%PDF-``; anything with NUL bytes or many control characters is
binary and refused. The declared type only settles HTML versus plain text for text content.

Every text goes through ``sources.cleaning.clean_text``, the shared clean-up (the demo seeds
use it too), so that the same document always hashes to the same snapshot. Texts are only
ever stored as text; templates escape them.
"""

import codecs
import datetime as dt
import io
import logging
import re
from dataclasses import dataclass, field
from typing import Any

import trafilatura
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from sources.cleaning import clean_text

logger = logging.getLogger(__name__)

HTML, TEXT, PDF = "html", "text", "pdf"
HTML_TYPES = {"text/html", "application/xhtml+xml"}
SNIFF_BYTES = 8192
MAX_PDF_PAGES = 2000
_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL
)
_HTML_TAG = re.compile(
    rb"<(html|head|body|title|meta|p|div|article|section|h[1-6]|br)\b[^>]*>", re.IGNORECASE
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# C0 control characters other than tab, newline, form feed and carriage return.
_CONTROL = set(range(0, 9)) | {11} | set(range(14, 32))
NOT_A_DOCUMENT = "Not an HTML, text or PDF document."


class ExtractionError(Exception):
    """The bytes are not a document we can read; the message says why, in plain words."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@dataclass
class Extracted:
    text: str
    kind: str
    title: str = ""
    authors: str = ""
    published_on: dt.date | None = None
    sitename: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> dict[str, Any]:
        """What a snapshot records about how its text was obtained (JSON-safe)."""
        return {
            "type": self.kind,
            "title": self.title,
            "authors": self.authors,
            "published_on": self.published_on.isoformat() if self.published_on else None,
            "sitename": self.sitename,
            **self.details,
        }


def _strip_bom(body: bytes) -> bytes:
    return body[3:] if body.startswith(codecs.BOM_UTF8) else body


def _looks_binary(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    if b"\x00" in head:
        return True
    controls = sum(1 for byte in head if byte in _CONTROL)
    return controls > max(2, len(head) // 100)


def sniff(body: bytes, declared_type: str = "") -> str:
    """``"html"``, ``"text"`` or ``"pdf"``; raises ``ExtractionError`` for anything else."""
    if not body.strip():
        raise ExtractionError("The document is empty.")
    if b"%PDF-" in body[:1024]:
        return PDF
    head = _strip_bom(body[:SNIFF_BYTES])
    if _looks_binary(head):
        raise ExtractionError(NOT_A_DOCUMENT)
    declared_type = declared_type.lower()
    if _HTML_START.match(head):
        return HTML
    if declared_type == "text/plain":
        return TEXT
    if declared_type in HTML_TYPES or _HTML_TAG.search(head):
        return HTML
    return TEXT


def decode(body: bytes, charset: str | None = None) -> str:
    """Bytes to str: BOM, then the declared charset, then UTF-8, then Windows-1252."""
    if body.startswith(codecs.BOM_UTF8):
        return body[3:].decode("utf-8", errors="replace")
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return body.decode("utf-16", errors="replace")
    candidates = [charset] if charset else []
    meta = _META_CHARSET.search(body[:SNIFF_BYTES])
    if meta:
        candidates.append(meta.group(1).decode("ascii", errors="ignore"))
    for name in [*candidates, "utf-8"]:
        try:
            return body.decode(name)
        except (LookupError, UnicodeDecodeError):
            continue
    return body.decode("cp1252", errors="replace")


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def _clip(value: Any, length: int) -> str:
    return " ".join(str(value or "").split())[:length]


def extract_html(html: str, *, url: str = "") -> Extracted:
    try:
        document = trafilatura.bare_extraction(
            html, url=url or None, with_metadata=True, include_comments=False, include_tables=True
        )
    except Exception:  # trafilatura and lxml raise many kinds on broken markup
        logger.warning("trafilatura failed on %s", url or "an uploaded page", exc_info=True)
        document = None
    text = getattr(document, "text", None) or ""
    extractor = "trafilatura"
    if not text.strip():
        # Short pages (a statement, a press release) can fall below trafilatura's idea of an
        # article; their whole text is then better than nothing.
        try:
            text = trafilatura.html2txt(html) or ""
        except Exception:
            text = ""
        extractor = "trafilatura.html2txt"
    return Extracted(
        text=text,
        kind=HTML,
        title=_clip(getattr(document, "title", ""), 500),
        authors=_clip(getattr(document, "author", ""), 500).replace(";", ","),
        published_on=_parse_date(getattr(document, "date", None)),
        sitename=_clip(getattr(document, "sitename", ""), 300),
        details={"extractor": extractor},
    )


def extract_pdf(body: bytes) -> Extracted:
    try:
        reader = PdfReader(io.BytesIO(body))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError("The PDF is password-protected.")
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            raise ExtractionError(f"The PDF has more than {MAX_PDF_PAGES} pages.")
        text = "\n\n".join((page.extract_text() or "").strip() for page in pages)
        info = reader.metadata
        title = _clip(info.title if info else "", 500)
        authors = _clip(info.author if info else "", 500)
        created = _parse_date(info.creation_date if info else None)
        page_count = len(pages)
    except ExtractionError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise ExtractionError("The PDF could not be read; it may be damaged.") from exc
    return Extracted(
        text=text,
        kind=PDF,
        title=title,
        authors=authors,
        published_on=created,
        details={"extractor": "pypdf", "pages": page_count},
    )


def extract_text(body: bytes, charset: str | None = None) -> Extracted:
    text = decode(body, charset)
    first_line = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return Extracted(text=text, kind=TEXT, title=_clip(first_line, 200), details={"extractor": "text"})


def extract(body: bytes, *, declared_type: str = "", charset: str | None = None, url: str = "") -> Extracted:
    """Sniff, extract and clean; raises ``ExtractionError`` when there is no readable text."""
    kind = sniff(body, declared_type)
    if kind == PDF:
        extracted = extract_pdf(body)
    elif kind == HTML:
        extracted = extract_html(decode(body, charset), url=url)
    else:
        extracted = extract_text(body, charset)
    extracted.text = clean_text(extracted.text)
    if not extracted.text.strip():
        raise ExtractionError(
            "The PDF has no text layer (a scan?)." if kind == PDF else "The document has no readable text."
        )
    extracted.details["content_type"] = declared_type or None
    return extracted
