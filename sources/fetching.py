"""Fetching a document by URL, safely.

- Only http and https.
- No private, loopback, link-local, reserved or multicast addresses: the host's addresses are
  checked after DNS resolution before each request (for a readable refusal), and the address
  the socket actually connected to is checked again (so DNS rebinding between the two lookups
  cannot slip through). ``FETCH_ALLOW_PRIVATE_ADDRESSES`` turns both off (tests).
- Redirects are followed by hand, up to ``FETCH_MAX_REDIRECTS``, each hop checked like the
  first and recorded.
- Connect and read timeouts, plus a deadline for the whole download.
- The body is streamed and abandoned past ``FETCH_MAX_BYTES``, counted after decompression, so
  a gzip bomb stops at the limit instead of filling the memory.

Failures raise ``FetchError`` with a message a reviewer can read; ``transient`` says whether
trying again later may help (timeouts, 5xx, 429), which decides whether the job retries.
"""

import ipaddress
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

CHUNK_BYTES = 64 * 1024
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
# Statuses worth trying again later: the server is busy or broken, not the address.
TRANSIENT_STATUSES = {408, 425, 429, 500, 502, 503, 504}


class FetchError(Exception):
    def __init__(self, message: str, *, transient: bool = False, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.transient = transient
        self.status = status

    def __str__(self) -> str:
        return self.message


class BlockedAddressError(Exception):
    """Raised inside urllib3 when a socket connected to an address we refuse.

    Deliberately not an ``OSError``: urllib3 and requests would otherwise retry it or wrap it
    as a connection error.
    """


@dataclass(frozen=True)
class Fetched:
    url: str
    final_url: str
    status: int
    content_type: str
    charset: str | None
    body: bytes
    redirects: list[dict[str, Any]] = field(default_factory=list)

    def describe(self) -> dict[str, Any]:
        """What a snapshot records about how its text was obtained."""
        return {
            "url": self.url,
            "final_url": self.final_url,
            "status": self.status,
            "content_type": self.content_type,
            "bytes": len(self.body),
            "redirects": self.redirects,
        }


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    return f"{n / 1024:g} KB"


def is_public_address(ip: str) -> bool:
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse a URL we must not fetch; resolves its host unless private addresses are allowed."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"Only http and https addresses can be fetched, not “{parts.scheme or url}”.")
    host = parts.hostname
    if not host:
        raise FetchError("The address has no host name.")
    if allow_private:
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"The host name “{host}” could not be resolved.", transient=True) from exc
    except ValueError as exc:  # a port outside 0-65535
        raise FetchError("The address has an invalid port.") from exc
    for info in infos:
        ip = str(info[4][0])
        if not is_public_address(ip):
            raise FetchError(
                f"The host “{host}” resolves to a private or reserved address ({ip}); "
                "such addresses are not fetched."
            )


class _GuardedConnectionMixin:
    """Checks the address a new socket actually connected to (after urllib3's DNS lookup)."""

    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()  # type: ignore[misc]
        try:
            peer = sock.getpeername()[0]
        except OSError:
            peer = ""
        if not peer or not is_public_address(peer):
            sock.close()
            raise BlockedAddressError(peer or "unknown")
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def _session(allow_private: bool) -> requests.Session:
    session = requests.Session()
    # Environment proxies would make every connection go to the proxy's (often private)
    # address and hide the real target from the guard.
    session.trust_env = False
    if not allow_private:
        adapter = _GuardedAdapter(max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
    session.headers.update(
        {
            "User-Agent": settings.FETCH_USER_AGENT,
            "Accept": "text/html,application/xhtml+xml,application/pdf,text/plain;q=0.9,*/*;q=0.1",
            "Accept-Encoding": "gzip, deflate",
        }
    )
    return session


def _read_body(response: requests.Response, *, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(f"The page is larger than {human_size(max_bytes)}.")
    compressed = bool(response.headers.get("Content-Encoding", "").strip())
    chunks: list[bytes] = []
    total = 0
    try:
        # iter_content decodes gzip/deflate chunk by chunk (urllib3 caps each decoded chunk), so
        # counting here counts decoded bytes.
        for chunk in response.iter_content(CHUNK_BYTES):
            total += len(chunk)
            if total > max_bytes:
                suffix = " once decompressed" if compressed else ""
                raise FetchError(f"The page is larger than {human_size(max_bytes)}{suffix}.")
            if time.monotonic() > deadline:
                raise FetchError(
                    f"The download took longer than {settings.FETCH_TOTAL_TIMEOUT} seconds.", transient=True
                )
            chunks.append(chunk)
    except requests.exceptions.ContentDecodingError as exc:
        raise FetchError("The page's compressed content is corrupt.") from exc
    except (requests.exceptions.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
        raise FetchError("The connection broke off during the download.", transient=True) from exc
    return b"".join(chunks)


def _parse_content_type(header: str) -> tuple[str, str | None]:
    mime, _, params = header.partition(";")
    charset = None
    for param in params.split(";"):
        key, _, value = param.strip().partition("=")
        if key.lower() == "charset" and value:
            charset = value.strip().strip('"').lower()
    return mime.strip().lower(), charset


def fetch(url: str, *, max_bytes: int | None = None) -> Fetched:
    """Download ``url`` under the limits in the settings; see the module docstring."""
    allow_private = settings.FETCH_ALLOW_PRIVATE_ADDRESSES
    max_bytes = max_bytes or settings.FETCH_MAX_BYTES
    timeout = (settings.FETCH_CONNECT_TIMEOUT, settings.FETCH_READ_TIMEOUT)
    deadline = time.monotonic() + settings.FETCH_TOTAL_TIMEOUT
    redirects: list[dict[str, Any]] = []
    current = url
    with _session(allow_private) as session:
        for _hop in range(settings.FETCH_MAX_REDIRECTS + 1):
            check_url(current, allow_private=allow_private)
            try:
                response = session.get(current, stream=True, allow_redirects=False, timeout=timeout)
            except BlockedAddressError as exc:
                raise FetchError(
                    f"The host “{urlsplit(current).hostname}” connected to a private or reserved "
                    f"address ({exc}); such addresses are not fetched."
                ) from exc
            except requests.exceptions.Timeout as exc:
                raise FetchError("The server did not answer in time.", transient=True) from exc
            except requests.exceptions.ConnectionError as exc:
                raise FetchError("The server could not be reached.", transient=True) from exc
            except requests.exceptions.RequestException as exc:
                raise FetchError(f"The address could not be fetched ({exc.__class__.__name__}).") from exc
            with response:
                status = response.status_code
                location = response.headers.get("Location")
                if status in REDIRECT_STATUSES and location:
                    target = urljoin(current, location)
                    redirects.append({"status": status, "from": current, "to": target})
                    current = target
                    continue
                if status in TRANSIENT_STATUSES:
                    raise FetchError(
                        f"The server answered {status} {response.reason or ''}".rstrip()
                        + "; trying again later.",
                        transient=True,
                        status=status,
                    )
                if status >= 400:
                    raise FetchError(
                        f"The server answered {status} {response.reason or ''}".rstrip()
                        + ": the page is missing or refused.",
                        status=status,
                    )
                if status != 200:
                    raise FetchError(f"The server answered {status}, which is not a document.", status=status)
                body = _read_body(response, max_bytes=max_bytes, deadline=deadline)
                content_type, charset = _parse_content_type(response.headers.get("Content-Type", ""))
                return Fetched(
                    url=url,
                    final_url=current,
                    status=status,
                    content_type=content_type,
                    charset=charset,
                    body=body,
                    redirects=redirects,
                )
    raise FetchError(f"The address redirects more than {settings.FETCH_MAX_REDIRECTS} times.")
