"""Fetching and extraction against the local fixture server: limits, refusals, content types."""

import datetime as dt
import socket

import pytest

from sources import fetching
from sources.extraction import ExtractionError, extract, sniff
from sources.fetching import FetchError, fetch
from tests.fixtures_http import BOMB_BYTES

pytestmark = pytest.mark.usefixtures("allow_loopback")


def test_article_is_fetched_and_extracted_with_its_metadata(http_fixtures):
    fetched = fetch(http_fixtures.url("/article"))
    assert fetched.status == 200 and fetched.content_type == "text/html" and not fetched.redirects
    extracted = extract(fetched.body, declared_type=fetched.content_type, charset=fetched.charset)
    assert extracted.kind == "html"
    assert "Belarus was the second-largest arms supplier" in extracted.text
    assert "not text" not in extracted.text and "Home" not in extracted.text
    assert extracted.authors == "Jane Writer"
    assert extracted.sitename == "Example News"
    assert extracted.published_on == dt.date(2024, 3, 5)


def test_redirect_chain_is_followed_and_recorded(http_fixtures):
    fetched = fetch(http_fixtures.url("/redirect/3"))
    assert fetched.final_url == http_fixtures.url("/article")
    assert [hop["to"] for hop in fetched.redirects] == [
        http_fixtures.url("/redirect/2"),
        http_fixtures.url("/redirect/1"),
        http_fixtures.url("/article"),
    ]
    assert {hop["status"] for hop in fetched.redirects} == {302}


def test_too_many_redirects_fail_permanently(http_fixtures, settings):
    settings.FETCH_MAX_REDIRECTS = 2
    with pytest.raises(FetchError, match="redirects more than 2 times") as error:
        fetch(http_fixtures.url("/redirect/3"))
    assert not error.value.transient
    with pytest.raises(FetchError, match="redirects more than"):
        fetch(http_fixtures.url("/redirect-loop"))


def test_missing_page_is_permanent_and_busy_server_transient(http_fixtures):
    with pytest.raises(FetchError, match="404 Not Found: the page is missing") as missing:
        fetch(http_fixtures.url("/missing"))
    assert not missing.value.transient and missing.value.status == 404
    with pytest.raises(FetchError, match="503") as busy:
        fetch(http_fixtures.url("/unavailable"))
    assert busy.value.transient


def test_slow_server_times_out_as_a_transient_failure(http_fixtures):
    http_fixtures.slow_seconds = 3
    with pytest.raises(FetchError, match="did not answer in time") as error:
        fetch(http_fixtures.url("/slow"))
    assert error.value.transient


def test_huge_pages_are_abandoned_at_the_limit(http_fixtures, settings):
    settings.FETCH_MAX_BYTES = 256 * 1024
    with pytest.raises(FetchError, match="larger than 256 KB"):
        fetch(http_fixtures.url("/huge"))
    with pytest.raises(FetchError, match="larger than 256 KB"):
        fetch(http_fixtures.url("/huge-declared"))


def test_gzip_bomb_stops_at_the_limit_of_decoded_bytes(http_fixtures, settings):
    settings.FETCH_MAX_BYTES = 1024 * 1024
    compressed = len(http_fixtures._bomb)
    assert compressed < settings.FETCH_MAX_BYTES < BOMB_BYTES  # the bomb passes a raw-size check
    with pytest.raises(FetchError, match="larger than 1 MB once decompressed"):
        fetch(http_fixtures.url("/bomb"))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/junk", "Not an HTML, text or PDF document."),
        ("/image.png", "Not an HTML, text or PDF document."),
        ("/empty", "The document is empty."),
        ("/empty-html", "The document has no readable text."),
    ],
)
def test_documents_without_text_are_refused_with_a_clear_error(http_fixtures, path, message):
    fetched = fetch(http_fixtures.url(path))
    with pytest.raises(ExtractionError) as error:
        extract(fetched.body, declared_type=fetched.content_type)
    assert error.value.message == message


def test_pdf_is_read_whatever_the_server_calls_it(http_fixtures):
    for path in ("/report.pdf", "/download"):
        fetched = fetch(http_fixtures.url(path))
        extracted = extract(fetched.body, declared_type=fetched.content_type)
        assert extracted.kind == "pdf"
        assert "Belarus for 7.1 per cent" in extracted.text
        assert extracted.title == "Arms transfers report" and extracted.authors == "SIPRI Staff"
        assert extracted.published_on == dt.date(2021, 3, 15)


def test_type_is_decided_by_content():
    assert sniff(b"%PDF-1.7 ...", "text/html") == "pdf"
    assert sniff(b"  <!doctype html><p>x", "text/plain") == "html"
    assert sniff(b"Just words, with <b> in them.", "text/plain") == "text"
    assert sniff(b"<p>A fragment</p>", "") == "html"
    assert sniff(b"plain words", "application/octet-stream") == "text"
    with pytest.raises(ExtractionError, match="Not an HTML"):
        sniff(b"GIF89a\x01\x00\x01\x00\x00\x00\x00", "text/html")


def test_malformed_html_still_gives_its_text():
    extracted = extract(b"<html><body><p>Unclosed <b>bold <i>text about <div>arms transfers</p></span>")
    assert "arms transfers" in extracted.text


# --- Refusals that do not depend on the fixture server ----------------------------------------


@pytest.mark.parametrize("url", ["ftp://example.org/file", "file:///etc/passwd", "gopher://x/"])
def test_only_http_and_https(url):
    with pytest.raises(FetchError, match="Only http and https"):
        fetch(url)


def test_loopback_refused_unless_allowed(http_fixtures, settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    with pytest.raises(FetchError, match=r"private or reserved address \(127\.0\.0\.1\)"):
        fetch(http_fixtures.url("/article"))
    assert http_fixtures.hits["/article"] == 0


@pytest.mark.parametrize(
    "address",
    [
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "127.0.0.1",
        "169.254.169.254",
        "0.0.0.0",  # noqa: S104  (an address to refuse, not to bind)
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:10.0.0.1",
        "100.64.0.1",
        "224.0.0.1",
        "240.0.0.1",
    ],
)
def test_private_and_reserved_addresses_are_not_public(address):
    assert not fetching.is_public_address(address)


def test_public_addresses_are(settings):
    assert fetching.is_public_address("93.184.216.34")
    assert fetching.is_public_address("2606:2800:220:1:248:1893:25c8:1946")


def test_hostname_resolving_to_a_private_address_is_refused(monkeypatch, settings):
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False

    def resolve(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]

    monkeypatch.setattr(fetching.socket, "getaddrinfo", resolve)
    with pytest.raises(
        FetchError, match=r"“intranet\.example\.org” resolves to a private or reserved address"
    ):
        fetch("http://intranet.example.org/")


def test_each_redirect_hop_is_checked_again(http_fixtures, settings, monkeypatch):
    """The first hop is allowed (loopback made to look public); the redirect to 10.x is not."""
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    real = fetching.is_public_address
    monkeypatch.setattr(fetching, "is_public_address", lambda ip: ip == "127.0.0.1" or real(ip))
    with pytest.raises(FetchError, match=r"10\.20\.30\.40"):
        fetch(http_fixtures.url("/redirect-private"))
    assert http_fixtures.hits["/redirect-private"] == 1
    with pytest.raises(FetchError, match="Only http and https"):
        fetch(http_fixtures.url("/redirect-ftp"))


def test_connection_guard_refuses_what_dns_let_through(http_fixtures, settings, monkeypatch):
    """DNS rebinding: the pre-check saw a public address, the socket reached loopback."""
    settings.FETCH_ALLOW_PRIVATE_ADDRESSES = False
    monkeypatch.setattr(fetching, "check_url", lambda url, allow_private: None)
    with pytest.raises(FetchError, match=r"connected to a private or reserved address \(127\.0\.0\.1\)"):
        fetch(http_fixtures.url("/article"))
    assert http_fixtures.hits["/article"] == 0
