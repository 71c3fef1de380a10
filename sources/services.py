"""Writes for sources: one function per verb, transactional, audited."""

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, InterfaceError, OperationalError, close_old_connections, transaction
from django.db.models import Q
from django.utils import timezone

from factcheck.audit import audit_context
from factcheck.errors import DomainError, PermissionDenied
from sources.cleaning import clean_text
from sources.extraction import Extracted, ExtractionError, extract, sniff
from sources.fetching import Fetched, FetchError, fetch, human_size
from sources.models import (
    JOB_OPEN_STATUSES,
    Citation,
    Job,
    JobKind,
    JobStatus,
    LinkCheck,
    LinkOutcome,
    Snapshot,
    SnapshotOrigin,
    Source,
    SourceKind,
)
from sources.reanchoring import ReanchorSummary, reanchor_source

logger = logging.getLogger(__name__)

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
    try:
        # A savepoint: two people adding the same address at once meet the unique constraint,
        # and the loser gets the same message as above instead of a broken transaction.
        with audit_context(actor, reason or "source added"), transaction.atomic():
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
    except IntegrityError as exc:
        constraint = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", "")
        if constraint == "source_url_unique_when_present":
            raise DomainError(f"A source with this address already exists: {url}", field="url") from exc
        raise


@dataclass
class SnapshotResult:
    snapshot: Snapshot
    created: bool
    # Set when the source's current snapshot changed and its quotes were re-anchored.
    reanchor: ReanchorSummary | None = None


@transaction.atomic
def snapshot_record(
    *,
    actor: AbstractBaseUser | None,
    source: Source,
    text: str,
    origin: str = SnapshotOrigin.PASTE,
    retrieved_at: dt.datetime | None = None,
    extraction: dict | None = None,
    reason: str = "",
) -> SnapshotResult:
    """Record ``text`` as the source's current snapshot, re-anchoring quotes if it changed.

    The same content twice returns the existing snapshot (and makes it current again);
    changed content makes a new snapshot and the source's current snapshot moves to it. When
    the current snapshot moves, every claim and evidence quote anchored in the previous one
    is re-anchored in the new one (``sources.reanchoring``), in the same transaction.
    """
    if not text.strip():
        raise DomainError("The document has no text.", field="text")
    # The row lock serialises two snapshots of one source (two fetches finishing together).
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
        previous_id = source.current_snapshot_id
        if previous_id != snapshot.pk:
            source.current_snapshot = snapshot
            source.save(update_fields=["current_snapshot", "updated_at"])
    summary = None
    if previous_id is not None and previous_id != snapshot.pk:
        # A context of its own, so that the quotes' events carry this reason (inside a request
        # pghistory's middleware merges every context of the request into one).
        with audit_context(actor, f"re-anchored in snapshot {snapshot.pk}"):
            summary = reanchor_source(source=source, new=snapshot, previous_id=previous_id)
    return SnapshotResult(snapshot, created, summary)


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
    """``snapshot_record`` for callers that only need ``(snapshot, created)``."""
    result = snapshot_record(
        actor=actor,
        source=source,
        text=text,
        origin=origin,
        retrieved_at=retrieved_at,
        extraction=extraction,
        reason=reason,
    )
    return result.snapshot, result.created


@transaction.atomic
def citation_add(
    *, actor: AbstractBaseUser | None, citing: Source, cited: Source, note: str = "", reason: str = ""
) -> Citation:
    if citing.pk == cited.pk:
        raise DomainError("A source cannot cite itself.", field="cited")
    with audit_context(actor, reason or "citation added"):
        citation, _ = Citation.objects.get_or_create(citing=citing, cited=cited, defaults={"note": note})
    return citation


# --- Ingestion jobs -------------------------------------------------------------------------
#
# A URL or an uploaded file becomes a Source at once (so the person sees what they added and
# its job), and its text arrives when the job succeeds. A failed job leaves the Source without
# a snapshot, the failure readable on the job, and a retry one click away; the snapshot, the
# metadata, the re-anchoring and the job's success are written in one transaction, so there is
# never half a result. Pasted text has nothing to wait for: it is ingested in the request.

JOB_PROGRESS_STARTED, JOB_PROGRESS_DOWNLOADED, JOB_PROGRESS_EXTRACTED = 5, 50, 80


def _require_ingest(actor: AbstractBaseUser | None) -> None:
    if not (actor and actor.is_authenticated and actor.is_active and actor.has_perm("sources.add_source")):
        raise PermissionDenied("Your role does not allow you to add sources.")


def _new_task_id() -> str:
    return str(uuid.uuid4())


def _enqueue(job: Job) -> None:
    """Send the job to a worker once the transaction that wrote it has committed.

    The caller has given the job a fresh ``task_id`` (``_new_task_id``) in the same write.
    """
    from sources.tasks import run_job  # the tasks module imports this one

    job_id, task_id = job.pk, job.task_id
    # robust: if the broker is down the request still succeeds; the job stays queued and
    # jobs_requeue_stalled sends it again later.
    transaction.on_commit(lambda: run_job.apply_async(args=[job_id], task_id=task_id), robust=True)


def _provisional_title(text: str) -> str:
    return text.strip()[:500] or "Untitled source"


@transaction.atomic
def ingest_url(
    *,
    actor: AbstractBaseUser,
    url: str,
    title: str = "",
    kind: str = SourceKind.ARTICLE,
    reason: str = "",
) -> Job:
    """Add a source by URL; a worker fetches it. The source's title is the page's own unless
    ``title`` is given."""
    _require_ingest(actor)
    url = normalize_url(url)
    if not url:
        raise DomainError("Enter the address of the page.", field="url")
    source = source_create(
        actor=actor,
        title=title.strip() or _provisional_title(url),
        kind=kind,
        url=url,
        reason=reason or "source added by URL",
    )
    return _queue_job(
        actor=actor,
        source=source,
        kind=JobKind.FETCH,
        reason=reason or "source added by URL",
        title_given=bool(title.strip()),
        input_url=url,
    )


def _queue_job(
    *, actor: AbstractBaseUser, source: Source, kind: str, reason: str, title_given: bool, **inputs: object
) -> Job:
    """Record the job that will fill ``source`` and queue it once the transaction commits."""
    with audit_context(actor, reason):
        job = Job.objects.create(
            kind=kind,
            source=source,
            options={"title_given": title_given},
            created_by=actor,
            task_id=_new_task_id(),
            **inputs,
        )
    _enqueue(job)
    return job


@transaction.atomic
def ingest_upload(
    *,
    actor: AbstractBaseUser,
    data: bytes,
    filename: str,
    title: str = "",
    kind: str = SourceKind.REPORT,
    publisher: str = "",
    authors: str = "",
    published_on: dt.date | None = None,
    language: str = "en",
    reason: str = "",
) -> Job:
    """Add a source from an uploaded file (HTML, text or PDF, by content); a worker extracts it."""
    _require_ingest(actor)
    if len(data) > settings.UPLOAD_MAX_BYTES:
        raise DomainError(f"The file is larger than {human_size(settings.UPLOAD_MAX_BYTES)}.", field="file")
    try:
        sniff(data)
    except ExtractionError as exc:
        raise DomainError(exc.message, field="file") from exc
    filename = filename.rsplit("/", 1)[-1].rsplit("\\", 1)[-1][:255]
    source = source_create(
        actor=actor,
        title=title.strip() or _provisional_title(filename),
        kind=kind,
        publisher=publisher,
        authors=authors,
        published_on=published_on,
        language=language,
        reason=reason or "source uploaded",
    )
    return _queue_job(
        actor=actor,
        source=source,
        kind=JobKind.UPLOAD,
        reason=reason or "source uploaded",
        title_given=bool(title.strip()),
        input_filename=filename,
        upload_data=data,
    )


@transaction.atomic
def ingest_paste(
    *,
    actor: AbstractBaseUser,
    text: str,
    title: str,
    url: str = "",
    kind: str = SourceKind.ARTICLE,
    publisher: str = "",
    authors: str = "",
    published_on: dt.date | None = None,
    language: str = "en",
    reason: str = "",
) -> Job:
    """Add a source from pasted text and typed metadata, at once; its job is already done."""
    _require_ingest(actor)
    cleaned = clean_text(text)
    if not cleaned.strip():
        raise DomainError("Paste the text of the document.", field="text")
    source = source_create(
        actor=actor,
        title=title,
        kind=kind,
        url=url,
        publisher=publisher,
        authors=authors,
        published_on=published_on,
        language=language,
        reason=reason or "source pasted",
    )
    result = snapshot_record(
        actor=actor,
        source=source,
        text=cleaned,
        origin=SnapshotOrigin.PASTE,
        extraction={"type": "text", "extractor": "paste"},
        reason=reason or "source pasted",
    )
    source.current_snapshot = result.snapshot
    now = timezone.now()
    with audit_context(actor, reason or "source pasted"):
        return Job.objects.create(
            kind=JobKind.PASTE,
            status=JobStatus.SUCCEEDED,
            source=source,
            input_url=source.url,
            attempts=1,
            progress=100,
            result={"snapshot_id": result.snapshot.pk, "created": result.created},
            created_by=actor,
            started_at=now,
            finished_at=now,
        )


@transaction.atomic
def source_refetch(*, actor: AbstractBaseUser, source: Source, reason: str = "") -> Job:
    """Fetch a source's URL again; a changed page becomes its new current snapshot."""
    _require_ingest(actor)
    source = Source.objects.select_for_update().get(pk=source.pk)
    if not source.url:
        raise DomainError("This source has no address to fetch.", field="url")
    waiting = source.jobs.filter(kind=JobKind.FETCH, status__in=JOB_OPEN_STATUSES).first()
    if waiting is not None:
        return waiting
    with audit_context(actor, reason or "source re-fetched"):
        job = Job.objects.create(
            kind=JobKind.FETCH,
            source=source,
            input_url=source.url,
            options={"title_given": True},
            created_by=actor,
            task_id=_new_task_id(),
        )
    _enqueue(job)
    return job


@transaction.atomic
def job_retry(*, actor: AbstractBaseUser, job: Job, reason: str = "") -> Job:
    """Put a failed job back in the queue, with a fresh budget of attempts."""
    _require_ingest(actor)
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.status != JobStatus.FAILED:
        raise DomainError(
            f"Only a failed job can be retried; this one is {job.get_status_display().lower()}."
        )
    if job.kind == JobKind.PASTE:
        raise DomainError("A paste has nothing to retry: paste the text again.")
    if job.kind in (JobKind.FETCH, JobKind.UPLOAD) and job.source_id is None:
        raise DomainError("The job's source was deleted; add the document again.")
    if job.kind == JobKind.UPLOAD and not job.upload_data:
        raise DomainError("The uploaded file is no longer kept; upload it again.")
    with audit_context(actor, reason or "job retried"):
        job.status, job.attempts, job.progress, job.retry_at = JobStatus.QUEUED, 0, 0, None
        job.finished_at, job.task_id = None, _new_task_id()
        job.save(
            update_fields=[
                "status",
                "attempts",
                "progress",
                "retry_at",
                "finished_at",
                "task_id",
                "updated_at",
            ]
        )
    _enqueue(job)
    return job


# --- Running a job (called by sources.tasks.run_job, possibly more than once) ----------------


@dataclass(frozen=True)
class JobOutcome:
    status: str
    # Seconds after which the task should run again (a transient failure), or None.
    retry_in: int | None = None


def _set_progress(job: Job, progress: int) -> None:
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        progress=progress, updated_at=timezone.now()
    )


def _job_start(job_id: int, task_id: str) -> Job | None:
    """Lock the job and mark it running; None when there is nothing to do."""
    with transaction.atomic():
        job = (
            Job.objects.select_for_update(of=("self",))
            .select_related("source", "created_by")
            .filter(pk=job_id)
            .first()
        )
        if job is None or job.status in (JobStatus.SUCCEEDED, JobStatus.FAILED):
            # Done already (a redelivered message, a duplicate from the stall sweep) or failed
            # for good: only an explicit retry runs it again.
            return None
        with audit_context(job.created_by, f"job #{job.pk} started"):
            if job.status == JobStatus.RUNNING and job.attempts >= settings.JOB_MAX_ATTEMPTS:
                # It was running each time a worker died: it is probably what kills them.
                job.status, job.finished_at = JobStatus.FAILED, timezone.now()
                job.error = f"The worker stopped during this job {job.attempts} times; giving up."
                job.save(update_fields=["status", "finished_at", "error", "updated_at"])
                return None
            job.status, job.attempts, job.progress = JobStatus.RUNNING, job.attempts + 1, JOB_PROGRESS_STARTED
            job.started_at, job.retry_at = timezone.now(), None
            job.task_id = task_id or job.task_id
            job.save(
                update_fields=[
                    "status",
                    "attempts",
                    "progress",
                    "started_at",
                    "retry_at",
                    "task_id",
                    "updated_at",
                ]
            )
    return job


def _job_fail(job: Job, message: str, *, transient: bool) -> JobOutcome:
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job.pk)
        if job.status != JobStatus.RUNNING:
            return JobOutcome(job.status)  # another run finished it meanwhile
        now = timezone.now()
        with audit_context(job.created_by, f"job #{job.pk} attempt {job.attempts} failed"):
            if transient and job.attempts < settings.JOB_MAX_ATTEMPTS:
                delay = settings.JOB_RETRY_BACKOFF_SECONDS * 2 ** (job.attempts - 1)
                job.status, job.retry_at = JobStatus.QUEUED, now + dt.timedelta(seconds=delay)
                job.error = (
                    f"{message} Attempt {job.attempts} of {settings.JOB_MAX_ATTEMPTS}; "
                    f"trying again in {delay} seconds."
                )
                job.save(update_fields=["status", "retry_at", "error", "updated_at"])
                return JobOutcome(job.status, retry_in=delay)
            job.status, job.finished_at = JobStatus.FAILED, now
            job.error = message + (f" Gave up after {job.attempts} attempts." if transient else "")
            job.save(update_fields=["status", "finished_at", "error", "updated_at"])
    return JobOutcome(job.status)


def _fill_metadata(job: Job, source: Source, extracted: Extracted) -> list[str]:
    """Take the document's own metadata where the person gave none."""
    fields = []
    if extracted.title and not job.options.get("title_given"):
        source.title = extracted.title[:500]
        fields.append("title")
    if extracted.authors and not source.authors:
        source.authors = extracted.authors[:500]
        fields.append("authors")
    if extracted.sitename and not source.publisher:
        source.publisher = extracted.sitename[:300]
        fields.append("publisher")
    if extracted.published_on and not source.published_on:
        source.published_on = extracted.published_on
        fields.append("published_on")
    if fields:
        source.save(update_fields=[*fields, "updated_at"])
    return fields


def _job_succeed(job: Job, result: dict[str, Any], **changes: Any) -> None:
    job.status, job.progress, job.finished_at, job.error = JobStatus.SUCCEEDED, 100, timezone.now(), ""
    job.result = result
    for name, value in changes.items():
        setattr(job, name, value)
    job.save(update_fields=["status", "progress", "finished_at", "error", "result", *changes, "updated_at"])


def _finish_snapshot(job: Job, extracted: Extracted, *, origin: str, fetched: Fetched | None = None) -> None:
    """Snapshot, metadata, re-anchoring and the job's success: all or nothing, exactly once."""
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job.pk)
        if job.status != JobStatus.RUNNING:
            return  # a concurrent run of the same job got here first
        if job.source_id is None:
            raise DomainError("The source was deleted before its text arrived.")
        source = Source.objects.select_for_update().get(pk=job.source_id)
        actor = job.created_by
        extraction = {**extracted.describe(), "job": job.pk}
        if fetched is not None:
            extraction["fetch"] = fetched.describe()
        if job.kind == JobKind.UPLOAD:
            extraction["file"] = {
                "name": job.input_filename,
                "bytes": len(job.upload_data or b""),
                "sha256": hashlib.sha256(bytes(job.upload_data or b"")).hexdigest(),
            }
        result = snapshot_record(
            actor=actor,
            source=source,
            text=extracted.text,
            origin=origin,
            extraction=extraction,
            reason=f"{job.get_kind_display().lower()} job #{job.pk}",
        )
        with audit_context(actor, f"{job.get_kind_display().lower()} job #{job.pk} finished"):
            source.refresh_from_db()
            filled = _fill_metadata(job, source, extracted)
            summary = {
                "snapshot_id": result.snapshot.pk,
                "created": result.created,
                "metadata_filled": filled,
                "characters": len(extracted.text),
            }
            if fetched is not None:
                summary["final_url"] = fetched.final_url
                summary["redirects"] = fetched.redirects
            if result.reanchor is not None:
                summary["reanchor"] = result.reanchor.as_dict()
            # The original bytes are not needed once their text is a snapshot (its extraction
            # record keeps their name, size and hash).
            _job_succeed(job, summary, upload_data=None)


def _run_fetch(job: Job) -> None:
    fetched = fetch(job.input_url)
    _set_progress(job, JOB_PROGRESS_DOWNLOADED)
    extracted = extract(
        fetched.body, declared_type=fetched.content_type, charset=fetched.charset, url=fetched.final_url
    )
    _set_progress(job, JOB_PROGRESS_EXTRACTED)
    _finish_snapshot(job, extracted, origin=SnapshotOrigin.FETCH, fetched=fetched)


def _run_upload(job: Job) -> None:
    if not job.upload_data:
        raise DomainError("The uploaded file is no longer kept; upload it again.")
    extracted = extract(bytes(job.upload_data))
    _set_progress(job, JOB_PROGRESS_EXTRACTED)
    _finish_snapshot(job, extracted, origin=SnapshotOrigin.UPLOAD)


def _run_link_check(job: Job) -> None:
    if job.source_id is None:
        raise DomainError("The source was deleted.")
    source = (
        Source.objects.select_related("current_snapshot")
        .only("url", "current_snapshot__sha256")
        .get(pk=job.source_id)
    )
    check: dict[str, Any] = {"checked_at": timezone.now(), "final_url": "", "status_code": None}
    try:
        fetched = fetch(source.url)
    except FetchError as exc:
        if exc.transient and job.attempts < settings.JOB_MAX_ATTEMPTS:
            raise  # worth another try before calling the link dead
        check.update(
            outcome=LinkOutcome.DEAD if exc.status else LinkOutcome.UNREACHABLE,
            status_code=exc.status,
            detail=exc.message,
        )
    else:
        _set_progress(job, JOB_PROGRESS_DOWNLOADED)
        check.update(status_code=fetched.status, final_url=fetched.final_url)
        try:
            text = extract(
                fetched.body,
                declared_type=fetched.content_type,
                charset=fetched.charset,
                url=fetched.final_url,
            ).text
        except ExtractionError as exc:
            check.update(outcome=LinkOutcome.CHANGED, detail=f"The page answers but: {exc.message}")
        else:
            check["content_sha256"] = Snapshot.hash_text(text)
            current = source.current_snapshot
            if current is None or current.sha256 != check["content_sha256"]:
                check.update(
                    outcome=LinkOutcome.CHANGED, detail="The text differs from the current snapshot."
                )
            elif normalize_url(fetched.final_url) != source.url:
                check.update(outcome=LinkOutcome.MOVED, detail=f"Now served from {fetched.final_url}.")
            else:
                check.update(outcome=LinkOutcome.OK, detail="")
    with transaction.atomic():
        job = Job.objects.select_for_update(of=("self",)).select_related("created_by").get(pk=job.pk)
        if job.status != JobStatus.RUNNING:
            return
        with audit_context(job.created_by, f"link check job #{job.pk}"):
            link_check = LinkCheck.objects.create(source_id=job.source_id, job=job, **check)
            _job_succeed(job, {"link_check_id": link_check.pk, "outcome": link_check.outcome})


_RUNNERS: dict[str, Callable[[Job], None]] = {
    JobKind.FETCH: _run_fetch,
    JobKind.UPLOAD: _run_upload,
    JobKind.LINK_CHECK: _run_link_check,
}


def job_run(*, job_id: int, task_id: str = "") -> JobOutcome:
    """Run a job once: idempotent, safe to call again for the same job at any time.

    Permanent failures (a 404, a page too large, not a document) fail the job with a readable
    error; transient ones (timeouts, 5xx) ask the caller to try again after a backoff.
    """
    job = _job_start(job_id, task_id)
    if job is None:
        return JobOutcome("skipped")
    runner = _RUNNERS.get(job.kind)
    try:
        if runner is None:
            raise DomainError(f"Jobs of kind “{job.kind}” are not run by a worker.")
        runner(job)
    except FetchError as exc:
        return _job_fail(job, exc.message, transient=exc.transient)
    except (ExtractionError, DomainError) as exc:
        return _job_fail(job, exc.message, transient=False)
    except (OperationalError, InterfaceError):
        # The database went away mid-job: nothing was half-written (one transaction), try again.
        logger.exception("job %s: database error", job.pk)
        close_old_connections()
        return _job_fail(job, "The database was unavailable.", transient=True)
    except Exception:
        logger.exception("job %s failed unexpectedly", job.pk)
        return _job_fail(
            job, "An unexpected error stopped the job; the worker's log has the details.", transient=False
        )
    return JobOutcome(JobStatus.SUCCEEDED)


# --- Periodic: link checks and lost jobs ----------------------------------------------------


@transaction.atomic
def link_checks_enqueue(
    *, actor: AbstractBaseUser | None = None, sources: Iterable[Source] | None = None
) -> int:
    """Queue a link check for each source with a URL (or those given) not already waiting for one."""
    queryset = (
        Source.objects.exclude(url="")
        if sources is None
        else Source.objects.filter(pk__in=[s.pk for s in sources]).exclude(url="")
    )
    waiting = Job.objects.filter(kind=JobKind.LINK_CHECK, status__in=JOB_OPEN_STATUSES).values("source_id")
    source_ids = list(queryset.exclude(pk__in=waiting).order_by("pk").values_list("pk", flat=True))
    with audit_context(actor, "link check"):
        jobs = Job.objects.bulk_create(
            Job(
                kind=JobKind.LINK_CHECK,
                source_id=source_id,
                created_by=actor if actor and actor.pk else None,
                task_id=_new_task_id(),
            )
            for source_id in source_ids
        )
    for job in jobs:
        _enqueue(job)
    return len(jobs)


@transaction.atomic
def jobs_requeue_stalled() -> int:
    """Send again the jobs whose worker died or whose message was lost.

    A job running without a sign of life for ``JOB_STALL_SECONDS``, or queued for four times
    as long, is sent to the queue again. Running it twice is harmless (``job_run`` is
    idempotent); losing it is not. The filesystem broker, unlike Redis, drops a message that a
    killed worker had taken, so this is what makes every job finish.
    """
    now = timezone.now()
    stall = dt.timedelta(seconds=settings.JOB_STALL_SECONDS)
    stalled = Job.objects.select_for_update(skip_locked=True).filter(
        Q(status=JobStatus.RUNNING, updated_at__lt=now - stall)
        | (
            Q(status=JobStatus.QUEUED, updated_at__lt=now - 4 * stall)
            & (Q(retry_at__isnull=True) | Q(retry_at__lt=now - stall))
        )
    )
    jobs = list(stalled.order_by("pk"))
    with audit_context(None, "stalled job sent again"):
        for job in jobs:
            job.status, job.task_id = JobStatus.QUEUED, _new_task_id()
            job.save(update_fields=["status", "task_id", "updated_at"])
            _enqueue(job)
    if jobs:
        logger.warning("sent %d stalled jobs again: %s", len(jobs), [job.pk for job in jobs])
    return len(jobs)
