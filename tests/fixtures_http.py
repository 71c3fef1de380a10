"""A local HTTP server on 127.0.0.1 that serves the documents ingestion tests fetch.

It runs in a thread of the test process; a worker subprocess reaches it over the loopback
interface like any web site. ``FETCH_ALLOW_PRIVATE_ADDRESSES`` must be on to fetch from it
(the ``allow_loopback`` fixture turns it on, the worker fixtures pass it in the environment).

    def test_x(http_fixtures):
        url = http_fixtures.url("/article")
        http_fixtures.pages["/changing"] = ("text/html", b"<html>…")   # change a page
"""

import contextlib
import gzip
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pytest_django.fixtures import Settings

ARTICLE_PARAGRAPHS = [
    "Belarus was the second-largest arms supplier to Azerbaijan after Israel, accounting for about "
    "7.1% of its arms imports between 2011 and 2020, according to the report.",
    "Russia supplied almost two-thirds of Azerbaijan's major arms over the same decade, according to "
    "SIPRI, the Stockholm International Peace Research Institute.",
    "The Collective Security Treaty Organization changed its collective-defence articles in 2010, "
    "and its members have argued since about what those changes oblige them to do.",
]


def article_html(paragraphs: list[str] = ARTICLE_PARAGRAPHS, *, title: str = "Who armed Azerbaijan") -> bytes:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>{title} | Example News</title>
<meta name="author" content="Jane Writer">
<meta property="og:site_name" content="Example News">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<script>var tracking = "<p>not text</p>";</script>
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>{title}</h1>
{body}
</article>
<footer>Copyright © 2024 Example News</footer>
</body></html>""".encode()


def _pdf_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def tiny_pdf(lines: list[str], *, title: str = "Arms transfers report") -> bytes:
    """A minimal, valid one-page PDF with a text layer, built by hand (offsets computed)."""
    stream = "BT /F1 11 Tf 72 720 Td 14 TL " + " ".join(f"({_pdf_escape(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({_pdf_escape(title)}) /Author (SIPRI Staff) /CreationDate (D:20210315000000Z) >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 6 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PDF_LINES = [
    "SIPRI Arms Transfers Database, 2011-2020.",
    "Russia accounted for 60 per cent of Azerbaijan's arms imports.",
    "Israel accounted for 27 per cent and Belarus for 7.1 per cent.",
]

HUGE_BYTES = 2 * 1024 * 1024
BOMB_BYTES = 50 * 1024 * 1024


class FixtureServer:
    def __init__(self) -> None:
        self.pages: dict[str, tuple[str, bytes]] = {}
        self.hits: Counter[str] = Counter()
        self.slow_seconds = 5.0
        self._bomb = gzip.compress(b" " * BOMB_BYTES, compresslevel=9)
        self.reset()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def reset(self) -> None:
        self.hits.clear()
        self.pages.clear()
        self.pages.update(
            {
                "/article": ("text/html; charset=utf-8", article_html()),
                "/changing": ("text/html; charset=utf-8", article_html()),
                "/report.pdf": ("application/pdf", tiny_pdf(PDF_LINES)),
                # A PDF the server calls a binary blob: the content decides.
                "/download": ("application/octet-stream", tiny_pdf(PDF_LINES)),
                "/notes.txt": ("text/plain; charset=utf-8", "\n\n".join(ARTICLE_PARAGRAPHS).encode()),
                "/junk": ("text/html", bytes(range(256)) * 64),
                "/empty": ("text/html", b""),
                "/empty-html": (
                    "text/html",
                    b"<!DOCTYPE html><html><head><title>x</title></head><body></body></html>",
                ),
                "/image.png": ("image/png", b"\x89PNG\r\n\x1a\n" + os.urandom(2048)),
            }
        )

    @property
    def base(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> "FixtureServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

            def _send(self, status: int, content_type: str, body: bytes, **headers: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                server.hits[path] += 1
                # The client may give up (size limit, timeout): as intended.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self._route(path)

            def _route(self, path: str) -> None:
                if path in server.pages:
                    content_type, body = server.pages[path]
                    return self._send(200, content_type, body)
                if match := re.fullmatch(r"/redirect/(\d+)", path):
                    n = int(match.group(1))
                    target = "/article" if n <= 1 else f"/redirect/{n - 1}"
                    return self._send(302, "text/plain", b"moved", Location=target)
                if path == "/redirect-loop":
                    return self._send(301, "text/plain", b"moved", Location="/redirect-loop")
                if path == "/redirect-ftp":
                    return self._send(302, "text/plain", b"moved", Location="ftp://127.0.0.1/file")
                if path == "/redirect-private":
                    return self._send(302, "text/plain", b"moved", Location="http://10.20.30.40/secret")
                if path == "/missing":
                    return self._send(404, "text/html", b"<h1>Not found</h1>")
                if path == "/unavailable":
                    return self._send(503, "text/html", b"<h1>Busy</h1>", Retry_After="1")
                if path == "/slow":
                    time.sleep(server.slow_seconds)
                    return self._send(200, "text/html", article_html())
                if match := re.fullmatch(r"/page/(\d+)", path):
                    # A distinct article per number, after a short delay (a real site's latency).
                    n = int(match.group(1))
                    time.sleep(float(os.environ.get("FIXTURE_PAGE_DELAY", "0.05")))
                    paragraphs = [f"Dispatch number {n} reports on the arms trade.", *ARTICLE_PARAGRAPHS]
                    return self._send(200, "text/html", article_html(paragraphs, title=f"Dispatch {n}"))
                if path == "/huge":
                    # No Content-Length: the limit must be enforced while streaming.
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Connection", "close")
                    self.end_headers()
                    chunk = b"All work and no play makes a very long page. " * 1000
                    sent = 0
                    while sent < HUGE_BYTES:
                        self.wfile.write(chunk)
                        sent += len(chunk)
                    return None
                if path == "/huge-declared":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/plain")
                    self.send_header("Content-Length", str(HUGE_BYTES))
                    self.send_header("Connection", "close")
                    self.end_headers()
                    return None
                if path == "/bomb":
                    return self._send(200, "text/html", server._bomb, Content_Encoding="gzip")
                return self._send(404, "text/plain", b"no such fixture")

        return Handler


@pytest.fixture(scope="session")
def http_server() -> Iterator[FixtureServer]:
    server = FixtureServer().start()
    yield server
    server.stop()


@pytest.fixture
def http_fixtures(http_server: FixtureServer) -> Iterator[FixtureServer]:
    http_server.reset()
    yield http_server
    http_server.reset()


@pytest.fixture
def allow_loopback(settings: Settings) -> None:
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = True
    settings.FETCH_READ_TIMEOUT = 1
    settings.FETCH_MAX_BYTES = 1024 * 1024
