"""Ingestion jobs through the services, run in-process (the worker tests run them for real)."""

import datetime as dt

import pytest
from django.utils import timezone

from factcheck.errors import DomainError, PermissionDenied
from sources import services
from sources.models import Job, JobKind, JobStatus, LinkCheck, LinkOutcome, Snapshot, SnapshotOrigin, Source
from tests.factories import TEXT, ClaimFactory, SourceFactory
from tests.fixtures_http import PDF_LINES, article_html, tiny_pdf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]


@pytest.fixture
def no_backoff(settings):
    settings.JOB_RETRY_BACKOFF_SECONDS = 10
    settings.JOB_MAX_ATTEMPTS = 3


def run(job: Job) -> services.JobOutcome:
    outcome = services.job_run(job_id=job.pk, task_id="test")
    job.refresh_from_db()
    return outcome


def test_url_makes_a_source_and_a_queued_job_sent_after_commit(
    reviewer, http_fixtures, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))
    assert len(callbacks) == 1  # the task is sent once the transaction commits, not before
    assert job.status == JobStatus.QUEUED and job.kind == JobKind.FETCH and job.task_id
    assert job.source.url == http_fixtures.url("/article") and job.source.current_snapshot is None
    assert job.created_by == reviewer


def test_fetch_job_stores_a_snapshot_and_the_page_metadata(reviewer, http_fixtures):
    job = services.ingest_url(actor=reviewer, url=http_fixtures.url("/redirect/2"))
    assert run(job).status == JobStatus.SUCCEEDED
    assert job.status == JobStatus.SUCCEEDED and job.progress == 100 and job.attempts == 1 and not job.error
    source = Source.objects.select_related("current_snapshot").get(pk=job.source_id)
    snapshot = source.current_snapshot
    assert snapshot.origin == SnapshotOrigin.FETCH and snapshot.created_by == reviewer
    assert snapshot.sha256 == Snapshot.hash_text(snapshot.text)
    assert "Belarus was the second-largest arms supplier" in snapshot.text
    assert snapshot.extraction["fetch"]["final_url"] == http_fixtures.url("/article")
    assert len(snapshot.extraction["fetch"]["redirects"]) == 2
    assert source.title == "Who armed Azerbaijan" and source.authors == "Jane Writer"
    assert source.publisher == "Example News" and source.published_on == dt.date(2024, 3, 5)
    assert job.result["snapshot_id"] == snapshot.pk and job.result["created"]


def test_a_given_title_is_kept(reviewer, http_fixtures):
    job = services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"), title="My own title")
    run(job)
    assert Source.objects.get(pk=job.source_id).title == "My own title"


def test_a_succeeded_job_is_not_done_again(reviewer, http_fixtures, django_assert_num_queries):
    job = services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))
    run(job)
    hits = http_fixtures.hits["/article"]
    with django_assert_num_queries(3):  # savepoint, the locked read, release: nothing else
        assert services.job_run(job_id=job.pk).status == "skipped"
    assert http_fixtures.hits["/article"] == hits
    assert Snapshot.objects.filter(source_id=job.source_id).count() == 1


def test_same_content_twice_makes_no_new_snapshot(reviewer, http_fixtures):
    job = services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))
    run(job)
    again = services.source_refetch(actor=reviewer, source=job.source)
    run(again)
    assert again.status == JobStatus.SUCCEEDED and again.result["created"] is False
    assert Snapshot.objects.filter(source_id=job.source_id).count() == 1


def test_changed_page_makes_a_new_snapshot_and_reports_moved_and_orphaned_claims(reviewer, http_fixtures):
    job = services.ingest_url(actor=reviewer, url=http_fixtures.url("/changing"))
    run(job)
    snapshot = Snapshot.objects.get(source_id=job.source_id)
    kept = "Russia supplied almost two-thirds of Azerbaijan's major arms"
    dropped = "The Collective Security Treaty Organization changed its collective-defence articles in 2010"
    claims = [ClaimFactory(snapshot=snapshot, quote=kept), ClaimFactory(snapshot=snapshot, quote=dropped)]

    http_fixtures.pages["/changing"] = (
        "text/html",
        article_html(["An editor's note was added at the top of this article.", TEXT]),
    )
    again = services.source_refetch(actor=reviewer, source=job.source)
    run(again)
    assert again.result["created"] is True
    source = Source.objects.get(pk=job.source_id)
    assert source.current_snapshot_id == again.result["snapshot_id"] != snapshot.pk
    reanchor = again.result["reanchor"]
    assert [m["id"] for m in reanchor["moved"]] == [claims[0].pk]
    assert [o["id"] for o in reanchor["orphaned"]] == [claims[1].pk]
    for claim in claims:
        claim.refresh_from_db()
    assert claims[0].snapshot_id == source.current_snapshot_id and not claims[0].is_orphaned
    assert claims[1].snapshot_id == snapshot.pk and claims[1].is_orphaned


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/missing", "The server answered 404 Not Found: the page is missing or refused."),
        ("/junk", "Not an HTML, text or PDF document."),
        ("/empty", "The document is empty."),
        ("/bomb", "The page is larger than 1 MB once decompressed."),
        ("/huge", "The page is larger than 1 MB."),
    ],
)
def test_permanent_failure_is_readable_and_leaves_no_text(reviewer, http_fixtures, path, error):
    job = services.ingest_url(actor=reviewer, url=http_fixtures.url(path))
    outcome = run(job)
    assert outcome.retry_in is None
    assert job.status == JobStatus.FAILED and job.error == error and job.finished_at
    assert not Snapshot.objects.filter(source_id=job.source_id).exists()
    assert Source.objects.get(pk=job.source_id).current_snapshot_id is None


def test_transient_failure_retries_with_backoff_then_gives_up(reviewer, http_fixtures, no_backoff):
    job = services.ingest_url(actor=reviewer, url=http_fixtures.url("/unavailable"))
    assert run(job).retry_in == 10
    assert job.status == JobStatus.QUEUED and job.retry_at and "Attempt 1 of 3" in job.error
    assert run(job).retry_in == 20
    outcome = run(job)
    assert outcome.retry_in is None and job.status == JobStatus.FAILED
    assert job.error.startswith("The server answered 503") and job.error.endswith("Gave up after 3 attempts.")
    assert http_fixtures.hits["/unavailable"] == 3


def test_failed_job_can_be_retried_and_then_succeed(
    reviewer, http_fixtures, django_capture_on_commit_callbacks
):
    job = services.ingest_url(actor=reviewer, url=http_fixtures.url("/changing"))
    http_fixtures.pages["/changing"] = ("text/html", b"")
    run(job)
    assert job.status == JobStatus.FAILED
    http_fixtures.reset()
    with django_capture_on_commit_callbacks() as callbacks:
        services.job_retry(actor=reviewer, job=job)
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.attempts == 0
    run(job)
    assert job.status == JobStatus.SUCCEEDED and not job.error
    with pytest.raises(DomainError, match="Only a failed job"):
        services.job_retry(actor=reviewer, job=job)


def test_outsider_cannot_add_sources_or_retry(outsider, http_fixtures):
    with pytest.raises(PermissionDenied):
        services.ingest_url(actor=outsider, url=http_fixtures.url("/article"))
    with pytest.raises(PermissionDenied):
        services.ingest_paste(actor=outsider, title="t", text="words")
    assert not Source.objects.exists() and not Job.objects.exists()


def test_upload_of_a_pdf(reviewer):
    job = services.ingest_upload(actor=reviewer, data=tiny_pdf(PDF_LINES), filename="C:\\docs\\report.bin")
    assert job.input_filename == "report.bin" and job.source.title == "report.bin"
    run(job)
    assert job.status == JobStatus.SUCCEEDED and job.upload_data is None
    snapshot = Snapshot.objects.get(source_id=job.source_id)
    assert snapshot.origin == SnapshotOrigin.UPLOAD and "Israel accounted for 27 per cent" in snapshot.text
    assert snapshot.extraction["type"] == "pdf" and snapshot.extraction["file"]["name"] == "report.bin"
    assert Source.objects.get(pk=job.source_id).title == "Arms transfers report"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10, "Not an HTML, text or PDF document."),
        (b"   \n ", "The document is empty."),
        (b"x" * 2048, "The file is larger than 1 KB."),
    ],
)
def test_upload_refused_at_once_writes_nothing(reviewer, settings, data, message):
    settings.UPLOAD_MAX_BYTES = 1024
    with pytest.raises(DomainError) as error:
        services.ingest_upload(actor=reviewer, data=data, filename="f")
    assert error.value.message == message and error.value.field == "file"
    assert not Source.objects.exists() and not Job.objects.exists()


def test_upload_that_extracts_to_nothing_fails_the_job(reviewer):
    job = services.ingest_upload(
        actor=reviewer, data=b"<html><body><script>x()</script></body></html>", filename="a.html"
    )
    run(job)
    assert job.status == JobStatus.FAILED and job.error == "The document has no readable text."
    assert job.upload_data is not None  # kept, so that a retry can run


def test_paste_is_ingested_at_once(reviewer):
    job = services.ingest_paste(
        actor=reviewer,
        title="Statement",
        text="  <p>First  paragraph.</p>\n\n\nSecond.  ",
        publisher="Ministry",
    )
    assert job.kind == JobKind.PASTE and job.status == JobStatus.SUCCEEDED and job.progress == 100
    snapshot = job.source.current_snapshot
    assert snapshot.text == "First paragraph.\n\nSecond."
    assert snapshot.origin == SnapshotOrigin.PASTE and job.source.publisher == "Ministry"
    with pytest.raises(DomainError) as error:
        services.ingest_paste(actor=reviewer, title="Empty", text="  <br>  ")
    assert error.value.field == "text"


def test_duplicate_url_is_refused(reviewer, http_fixtures):
    services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))
    with pytest.raises(DomainError, match="already exists") as error:
        services.ingest_url(actor=reviewer, url=http_fixtures.url("/article") + "?utm_source=x")
    assert error.value.field == "url"


def test_refetch_while_a_fetch_waits_returns_that_job(reviewer, http_fixtures):
    job = services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))
    assert services.source_refetch(actor=reviewer, source=job.source) == job


# --- Link checks ------------------------------------------------------------------------------


def test_link_checks_record_ok_changed_moved_and_dead(reviewer, http_fixtures):
    ok = services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))
    changing = services.ingest_url(actor=reviewer, url=http_fixtures.url("/changing"))
    for job in (ok, changing):
        run(job)
    moved = SourceFactory(url=http_fixtures.url("/redirect/1"))
    services.snapshot_add(actor=None, source=moved, text=Snapshot.objects.get(source_id=ok.source_id).text)
    dead = SourceFactory(url=http_fixtures.url("/missing"))
    SourceFactory(url="")  # nothing to check
    http_fixtures.pages["/changing"] = ("text/html", article_html(["A rewritten page."]))

    assert services.link_checks_enqueue() == 4
    assert services.link_checks_enqueue() == 0  # already waiting: not queued twice
    for job in Job.objects.filter(kind=JobKind.LINK_CHECK):
        run(job)
        assert job.status == JobStatus.SUCCEEDED
    outcomes = {check.source_id: check for check in LinkCheck.objects.all()}
    assert outcomes[ok.source_id].outcome == LinkOutcome.OK
    assert outcomes[changing.source_id].outcome == LinkOutcome.CHANGED
    assert outcomes[moved.pk].outcome == LinkOutcome.MOVED
    assert outcomes[moved.pk].final_url == http_fixtures.url("/article")
    assert outcomes[dead.pk].outcome == LinkOutcome.DEAD and outcomes[dead.pk].status_code == 404
    # Checking changes nothing: the re-fetch is a person's decision.
    assert Snapshot.objects.filter(source_id=changing.source_id).count() == 1


def test_unreachable_link_is_retried_before_it_is_recorded(http_fixtures, no_backoff):
    source = SourceFactory(url=http_fixtures.url("/unavailable"))
    services.link_checks_enqueue()
    job = Job.objects.get(source=source)
    assert run(job).retry_in == 10 and not LinkCheck.objects.exists()
    run(job)
    run(job)
    check = LinkCheck.objects.get(source=source)
    assert (
        job.status == JobStatus.SUCCEEDED and check.outcome == LinkOutcome.DEAD and check.status_code == 503
    )


# --- Lost jobs --------------------------------------------------------------------------------


def test_stalled_jobs_are_sent_again_and_fresh_ones_left_alone(
    reviewer, http_fixtures, settings, django_capture_on_commit_callbacks
):
    settings.JOB_STALL_SECONDS = 60
    long_ago = timezone.now() - dt.timedelta(minutes=10)
    stalled = services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))
    lost_in_queue = services.ingest_url(actor=reviewer, url=http_fixtures.url("/changing"))
    fresh = services.ingest_url(actor=reviewer, url=http_fixtures.url("/notes.txt"))
    Job.objects.filter(pk=stalled.pk).update(status=JobStatus.RUNNING, updated_at=long_ago, attempts=1)
    Job.objects.filter(pk=lost_in_queue.pk).update(updated_at=long_ago)
    Job.objects.filter(pk=fresh.pk).update(status=JobStatus.RUNNING, attempts=1)
    with django_capture_on_commit_callbacks() as callbacks:
        assert services.jobs_requeue_stalled() == 2
    assert len(callbacks) == 2
    stalled.refresh_from_db()
    assert stalled.status == JobStatus.QUEUED
    run(stalled)
    assert stalled.status == JobStatus.SUCCEEDED and stalled.attempts == 2


def test_a_job_that_keeps_killing_workers_is_given_up(reviewer, http_fixtures, settings):
    settings.JOB_MAX_ATTEMPTS = 2
    job = services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, attempts=2)
    assert run(job).status == "skipped"
    assert job.status == JobStatus.FAILED and "stopped during this job 2 times" in job.error


# --- The tasks themselves (eagerly, in this process) -------------------------------------------


def test_beat_schedule_names_registered_tasks(settings):
    from factcheck.celery import app

    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"sources.tasks.check_links", "sources.tasks.requeue_stalled_jobs"} <= names
    assert names <= set(app.tasks)


def test_run_job_task_is_thin_and_retries_through_celery(reviewer, http_fixtures, no_backoff, settings):
    from sources import tasks

    settings.JOB_MAX_ATTEMPTS = 2
    ok = services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))
    assert tasks.run_job.apply(args=[ok.pk]).get() == JobStatus.SUCCEEDED
    assert tasks.run_job.apply(args=[ok.pk]).get() == "skipped"
    busy = services.ingest_url(actor=reviewer, url=http_fixtures.url("/unavailable"))
    tasks.run_job.apply(args=[busy.pk])  # eager: Celery runs the retry at once
    busy.refresh_from_db()
    assert busy.status == JobStatus.FAILED and busy.attempts == 2
    assert tasks.check_links.apply().get() == 2  # one link check per source with an address
    assert tasks.check_links.apply().get() == 0  # already waiting


def test_a_race_on_the_same_address_is_a_domain_error_not_a_crash(reviewer, monkeypatch):
    from django.db.models import QuerySet

    url = "https://news.example.org/race"
    SourceFactory(url=url)
    # The other request's insert lands between our check and our insert.
    real_exists = QuerySet.exists
    monkeypatch.setattr(QuerySet, "exists", lambda qs: False if qs.model is Source else real_exists(qs))
    with pytest.raises(DomainError, match="already exists") as error:
        services.source_create(actor=reviewer, title="Race", url=url)
    assert error.value.field == "url"
