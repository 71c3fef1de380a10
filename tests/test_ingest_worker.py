"""Ingestion through a real Celery worker process and a real broker.

Both broker paths run: kombu's filesystem transport (the default, no server) and Redis (the
one ``CELERY_BROKER_URL`` names in CI, or a local one on 127.0.0.1:6379; skipped if none).
"""

import os
import time
from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from django.db.models import Count

from factcheck.celery import app
from factcheck.embedded import filesystem_broker
from sources import services
from sources.models import Job, JobStatus, Snapshot, Source
from tests.fixtures_http import PDF_LINES, tiny_pdf
from tests.worker import WorkerProcess

pytestmark = [pytest.mark.worker, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

LOCAL_REDIS = "redis://127.0.0.1:6379/11"  # a database of its own: other test runs use 0


def _redis_url() -> str | None:
    url = os.environ.get("CELERY_BROKER_URL", "")
    url = url if url.startswith("redis://") else LOCAL_REDIS
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        return None
    return url


@pytest.fixture(params=["filesystem", "redis"])
def broker(request, monkeypatch, settings) -> Iterator[str]:
    """Point this process's Celery app and the worker's environment at one broker."""
    if request.param == "redis":
        url = _redis_url()
        if url is None:
            pytest.skip("no Redis server reachable")
        options: dict = {}
    else:
        url, options = filesystem_broker(django_settings.DATA_DIR)
    monkeypatch.setenv("CELERY_BROKER_URL", "" if request.param == "filesystem" else url)
    # What the worker process needs: it reads its settings from the environment.
    for name, value in {
        "FETCH_ALLOW_PRIVATE_ADDRESSES": "1",
        "JOB_STALL_SECONDS": "2",
        "JOB_RETRY_BACKOFF_SECONDS": "1",
        "JOB_MAX_ATTEMPTS": "2",
    }.items():
        monkeypatch.setenv(name, value)
        setattr(settings, name, int(value))
    # Restore from the settings, not from app.conf: Celery reads broker_url from the
    # CELERY_BROKER_URL environment variable first, which monkeypatch has just changed.
    saved = django_settings.CELERY_BROKER_URL, django_settings.CELERY_BROKER_TRANSPORT_OPTIONS
    app.conf.broker_url, app.conf.broker_transport_options = url, options
    _drop_broker_connections()
    yield request.param
    app.conf.broker_url, app.conf.broker_transport_options = saved
    _drop_broker_connections()


def _drop_broker_connections() -> None:
    # Celery caches its connection and producer pools per app; what it does after a fork
    # (pools forgotten, not closed: kombu's registry may hand them out again) is what a change
    # of broker needs too.
    app._after_fork()


@pytest.fixture
def worker(broker, tmp_path) -> Iterator[WorkerProcess]:
    process = WorkerProcess(tmp_path, concurrency=2).start(purge=True)
    try:
        yield process
    finally:
        process.stop()


def statuses() -> dict[str, int]:
    return dict(Job.objects.values_list("status").annotate(n=Count("id")).values_list("status", "n"))


def test_jobs_run_on_a_real_worker(worker, reviewer, http_fixtures):
    fetched = services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))
    uploaded = services.ingest_upload(actor=reviewer, data=tiny_pdf(PDF_LINES), filename="sipri.pdf")
    missing = services.ingest_url(actor=reviewer, url=http_fixtures.url("/missing"))
    busy = services.ingest_url(actor=reviewer, url=http_fixtures.url("/unavailable"))
    worker.wait_for(
        lambda: statuses().get(JobStatus.SUCCEEDED) == 2 and statuses().get(JobStatus.FAILED) == 2,
        60,
        "four jobs to finish",
    )
    for job in (fetched, uploaded, missing, busy):
        job.refresh_from_db()
    assert Source.objects.get(pk=fetched.source_id).current_snapshot.text.startswith("Who armed Azerbaijan")
    assert "Belarus for 7.1 per cent" in Source.objects.get(pk=uploaded.source_id).current_snapshot.text
    assert missing.error.startswith("The server answered 404") and missing.attempts == 1
    # Retried once by the worker after its backoff, then given up.
    assert busy.attempts == 2 and busy.error.endswith("Gave up after 2 attempts.")
    assert http_fixtures.hits["/unavailable"] == 2
    assert fetched.task_id and f"sources.tasks.run_job[{fetched.task_id}]" in worker.log()


def test_worker_killed_mid_batch_every_job_completes_exactly_once(
    broker, reviewer, http_fixtures, tmp_path, monkeypatch
):
    monkeypatch.setenv("FIXTURE_PAGE_DELAY", "0.4")  # each page takes a while: the kill lands mid-job
    worker = WorkerProcess(tmp_path, concurrency=2).start(purge=True)
    try:
        jobs = [services.ingest_url(actor=reviewer, url=http_fixtures.url(f"/page/{n}")) for n in range(12)]
        worker.wait_for(
            lambda: statuses().get(JobStatus.SUCCEEDED, 0) >= 2 and statuses().get(JobStatus.RUNNING, 0) >= 1,
            60,
            "the batch to be under way",
        )
        worker.kill()
        interrupted = set(Job.objects.filter(status=JobStatus.RUNNING).values_list("pk", flat=True))
        assert interrupted, "the kill should have interrupted a running job"
        assert statuses().get(JobStatus.SUCCEEDED, 0) < len(jobs)

        worker.start(purge=False)

        def all_done() -> bool:
            # What beat does every few minutes (the worker also sweeps once after it starts).
            services.jobs_requeue_stalled()
            return statuses() == {JobStatus.SUCCEEDED: len(jobs)}

        worker.wait_for(all_done, 90, "every job to succeed after the restart")
        time.sleep(2)  # let any duplicate delivery arrive and find nothing to do
    finally:
        worker.stop()

    assert statuses() == {JobStatus.SUCCEEDED: len(jobs)}
    per_source = dict(
        Snapshot.objects.values_list("source_id").annotate(n=Count("id")).values_list("source_id", "n")
    )
    assert per_source == {job.source_id: 1 for job in jobs}
    for job in Job.objects.filter(pk__in=interrupted):
        assert job.attempts >= 2 and job.result["snapshot_id"]
    for job in jobs:
        if job.pk in interrupted:  # really fetched again after the restart
            assert http_fixtures.hits[job.input_url.removeprefix(http_fixtures.base)] >= 2
