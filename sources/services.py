"""Writes for sources: one function per verb, transactional, audited."""

import datetime as dt
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from factcheck.audit import audit_context
from factcheck.errors import DomainError
from sources.models import Citation, Snapshot, SnapshotOrigin, Source

# Query parameters that identify a campaign, not a document.
_TRACKING_PARAMS = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid", "yclid")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """A canonical form of a URL so that one document has one source.

    Lower-cases scheme and host, drops default ports, fragments, tracking parameters and a
    trailing slash on the path, and sorts the remaining query parameters.
    """
    url = url.strip()
    if not url:
        return ""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("Enter a full http(s) address, e.g. https://example.org/page.", field="url")
    host = parts.hostname.lower()
    if parts.port and parts.port != _DEFAULT_PORTS[scheme]:
        host = f"{host}:{parts.port}"
    query = sorted(
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if not key.lower().startswith(_TRACKING_PARAMS)
    )
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((scheme, host, path, urlencode(query), ""))


@transaction.atomic
def source_create(
    *,
    actor: AbstractBaseUser | None,
    title: str,
    kind: str = Source._meta.get_field("kind").default,
    url: str = "",
    publisher: str = "",
    authors: str = "",
    published_on: dt.date | None = None,
    language: str = "en",
    notes: str = "",
    reason: str = "",
) -> Source:
    title = title.strip()
    if not title:
        raise DomainError("A source needs a title.", field="title")
    url = normalize_url(url)
    if url and Source.objects.filter(url=url).exists():
        raise DomainError(f"A source with this address already exists: {url}", field="url")
    with audit_context(actor, reason or "source added"):
        return Source.objects.create(
            title=title,
            kind=kind,
            url=url,
            publisher=publisher.strip(),
            authors=authors.strip(),
            published_on=published_on,
            language=language,
            notes=notes,
            created_by=actor if actor and actor.pk else None,
        )


@transaction.atomic
def snapshot_add(
    *,
    actor: AbstractBaseUser | None,
    source: Source,
    text: str,
    origin: str = SnapshotOrigin.PASTE,
    retrieved_at: dt.datetime | None = None,
    extraction: dict | None = None,
    reason: str = "",
) -> tuple[Snapshot, bool]:
    """Record ``text`` as the source's current snapshot; ``(snapshot, created)``.

    The same content twice returns the existing snapshot (and makes it current again);
    changed content makes a new snapshot and the source's current snapshot moves to it.
    """
    if not text.strip():
        raise DomainError("The document has no text.", field="text")
    source = Source.objects.select_for_update().get(pk=source.pk)
    sha = Snapshot.hash_text(text)
    with audit_context(actor, reason or "snapshot taken"):
        snapshot = Snapshot.objects.filter(source=source, sha256=sha).first()
        created = snapshot is None
        if created:
            snapshot = Snapshot.objects.create(
                source=source,
                text=text,
                sha256=sha,
                origin=origin,
                retrieved_at=retrieved_at or timezone.now(),
                extraction=extraction or {},
                created_by=actor if actor and actor.pk else None,
            )
        if source.current_snapshot_id != snapshot.pk:
            source.current_snapshot = snapshot
            source.save(update_fields=["current_snapshot", "updated_at"])
    return snapshot, created


@transaction.atomic
def citation_add(
    *, actor: AbstractBaseUser | None, citing: Source, cited: Source, note: str = "", reason: str = ""
) -> Citation:
    if citing.pk == cited.pk:
        raise DomainError("A source cannot cite itself.", field="cited")
    with audit_context(actor, reason or "citation added"):
        citation, _ = Citation.objects.get_or_create(citing=citing, cited=cited, defaults={"note": note})
    return citation
