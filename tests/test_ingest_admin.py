"""The ingestion admin: "Add source" by address, upload or paste; jobs; link checks."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from sources import services
from sources.models import Job, JobKind, JobStatus, LinkCheck, LinkOutcome, Source
from tests.factories import ClaimFactory, SnapshotFactory, SourceFactory
from tests.fixtures_http import PDF_LINES, article_html, tiny_pdf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("allow_loopback")]


@pytest.fixture
def desk(client, reviewer):
    client.force_login(reviewer)
    return client


def run(job: Job) -> Job:
    services.job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


@pytest.mark.parametrize(
    "name", ["sources_job_ingest_url", "sources_job_ingest_upload", "sources_job_ingest_paste"]
)
def test_add_source_forms_are_shown_to_reviewers_only(desk, client, outsider, name):
    response = desk.get(reverse(f"admin:{name}"))
    assert response.status_code == 200 and b"Add source" in response.content
    client.force_login(outsider)
    assert client.get(reverse(f"admin:{name}")).status_code == 403


def test_add_by_address_queues_a_job_and_shows_it(desk, http_fixtures, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = desk.post(
            reverse("admin:sources_job_ingest_url"), {"url": http_fixtures.url("/article"), "kind": "article"}
        )
    job = Job.objects.get()
    assert response.status_code == 302 and response.url == reverse("admin:sources_job_change", args=[job.pk])
    assert len(callbacks) == 1 and job.kind == JobKind.FETCH and job.status == JobStatus.QUEUED
    page = desk.get(response.url)
    assert b'http-equiv="refresh"' in page.content and b"<progress" in page.content
    run(job)
    page = desk.get(response.url)
    assert b'http-equiv="refresh"' not in page.content
    assert b"New snapshot" in page.content and b"Belarus was the second-largest" in page.content


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.org/file", "Enter a full http(s) address"),
        ("https://news.example.org/articles/dup", "already exists"),
    ],
)
def test_bad_address_is_a_form_error_and_writes_nothing(desk, url, message):
    SourceFactory(url="https://news.example.org/articles/dup")
    response = desk.post(reverse("admin:sources_job_ingest_url"), {"url": url, "kind": "article"})
    assert response.status_code == 200 and message in response.context["form"].errors["url"][0]
    assert Source.objects.count() == 1 and not Job.objects.exists()


def test_upload_of_a_pdf(desk):
    upload = SimpleUploadedFile("report.pdf", tiny_pdf(PDF_LINES), content_type="application/pdf")
    response = desk.post(
        reverse("admin:sources_job_ingest_upload"), {"file": upload, "kind": "report", "language": "en"}
    )
    assert response.status_code == 302
    job = run(Job.objects.get())
    assert job.kind == JobKind.UPLOAD and job.status == JobStatus.SUCCEEDED
    assert "Belarus for 7.1 per cent" in job.source.current_snapshot.text


def test_upload_of_junk_is_refused_by_content_not_name(desk):
    upload = SimpleUploadedFile("innocent.pdf", bytes(range(256)) * 8, content_type="application/pdf")
    response = desk.post(
        reverse("admin:sources_job_ingest_upload"), {"file": upload, "kind": "report", "language": "en"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["file"] == ["Not an HTML, text or PDF document."]
    assert not Source.objects.exists()


def test_paste_is_saved_at_once_and_escaped_on_the_job_page(desk):
    response = desk.post(
        reverse("admin:sources_job_ingest_paste"),
        {
            "title": "<script>alert('title')</script>",
            "text": "A statement <script>alert('text')</script> about <b>arms</b> & trade.",
            "kind": "statement",
            "language": "en",
        },
    )
    job = Job.objects.get()
    assert response.status_code == 302 and job.status == JobStatus.SUCCEEDED
    assert job.source.current_snapshot.text == "A statement about arms & trade."
    page = desk.get(response.url).content.decode()
    assert "<script>alert(" not in page
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in page
    assert "A statement about arms &amp; trade." in page


def test_paste_without_text_is_a_form_error(desk):
    response = desk.post(
        reverse("admin:sources_job_ingest_paste"),
        {"title": "Empty", "text": "<p> </p>", "kind": "statement", "language": "en"},
    )
    assert response.status_code == 200 and response.context["form"].errors["text"]
    assert not Source.objects.exists()


def test_job_list_takes_the_same_queries_for_3_or_30_jobs(desk, reviewer, django_assert_max_num_queries):
    def make(n: int) -> None:
        for _ in range(n):
            services.ingest_paste(actor=reviewer, title="A statement", text="Some words.")

    make(3)
    with django_assert_max_num_queries(12) as few:
        assert desk.get(reverse("admin:sources_job_changelist")).status_code == 200
    make(27)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = desk.get(reverse("admin:sources_job_changelist"))
    assert response.content.count(b"<progress") == 30


def test_job_page_lists_moved_and_orphaned_claims(desk, reviewer, http_fixtures):
    job = run(services.ingest_url(actor=reviewer, url=http_fixtures.url("/changing")))
    snapshot = job.source.current_snapshot
    kept = ClaimFactory(
        snapshot=snapshot, quote="Russia supplied almost two-thirds of Azerbaijan's major arms"
    )
    gone = ClaimFactory(snapshot=snapshot, quote="The Collective Security Treaty Organization changed")
    http_fixtures.pages["/changing"] = (
        "text/html",
        article_html(["Russia supplied almost two-thirds of Azerbaijan's major arms, the page now says."]),
    )
    again = run(services.source_refetch(actor=reviewer, source=job.source))
    page = desk.get(reverse("admin:sources_job_change", args=[again.pk])).content.decode()
    moved_part, orphaned_part = page.split("Quotes not found")
    assert reverse("admin:claims_claim_change", args=[kept.pk]) in moved_part
    assert reverse("admin:claims_claim_change", args=[gone.pk]) in orphaned_part


def test_failed_job_is_retried_from_the_list_and_from_its_page(desk, reviewer, http_fixtures):
    jobs = [run(services.ingest_url(actor=reviewer, url=http_fixtures.url(p))) for p in ("/missing", "/junk")]
    assert {job.status for job in jobs} == {JobStatus.FAILED}
    page = desk.get(reverse("admin:sources_job_change", args=[jobs[0].pk]))
    assert b"Retry this job" in page.content and b"404 Not Found" in page.content
    response = desk.post(
        reverse("admin:sources_job_changelist"), {"action": "retry_jobs", "_selected_action": [jobs[0].pk]}
    )
    assert response.status_code == 302
    response = desk.post(reverse("admin:sources_job_retry", args=[jobs[1].pk]))
    assert response.status_code == 302
    assert set(Job.objects.values_list("status", flat=True)) == {JobStatus.QUEUED}


def test_outsider_cannot_retry(client, outsider, reviewer, http_fixtures):
    job = run(services.ingest_url(actor=reviewer, url=http_fixtures.url("/missing")))
    client.force_login(outsider)
    assert client.post(reverse("admin:sources_job_retry", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_dead_and_changed_links_are_filtered_and_refetched(desk, reviewer, http_fixtures):
    alive = SnapshotFactory(source=SourceFactory(url=http_fixtures.url("/notes.txt"))).source
    dead = SourceFactory(url=http_fixtures.url("/missing"))
    services.link_checks_enqueue()
    for job in Job.objects.filter(kind=JobKind.LINK_CHECK):
        run(job)
    assert LinkCheck.objects.get(source=dead).outcome == LinkOutcome.DEAD
    assert LinkCheck.objects.get(source=alive).outcome == LinkOutcome.CHANGED  # the factory's text differs

    listed = desk.get(reverse("admin:sources_linkcheck_changelist"), {"outcome": "dead"})
    assert list(listed.context["cl"].result_list) == [LinkCheck.objects.get(source=dead)]
    sources = desk.get(reverse("admin:sources_source_changelist"), {"link": "attention"})
    assert {s.pk for s in sources.context["cl"].result_list} == {alive.pk, dead.pk}
    never = SourceFactory()
    sources = desk.get(reverse("admin:sources_source_changelist"), {"link": "never"})
    assert never.pk in {s.pk for s in sources.context["cl"].result_list}

    response = desk.post(
        reverse("admin:sources_linkcheck_changelist"),
        {"action": "refetch", "_selected_action": [LinkCheck.objects.get(source=alive).pk]},
    )
    assert response.status_code == 302
    refetch = Job.objects.get(kind=JobKind.FETCH, source=alive)
    run(refetch)
    alive.refresh_from_db()
    assert refetch.status == JobStatus.SUCCEEDED and alive.current_snapshot.origin == "fetch"


def test_job_page_queries_do_not_grow_with_the_quotes_it_moved(
    desk, reviewer, http_fixtures, django_assert_max_num_queries
):
    def refetch_with_claims(path: str, claims: int) -> Job:
        job = run(services.ingest_url(actor=reviewer, url=http_fixtures.url(path)))
        for _ in range(claims):
            ClaimFactory(snapshot=job.source.current_snapshot, quote="Russia supplied almost two-thirds")
        http_fixtures.pages[path] = (
            "text/html",
            article_html(["New lead.", "Russia supplied almost two-thirds."]),
        )
        return run(services.source_refetch(actor=reviewer, source=job.source))

    http_fixtures.pages["/other"] = http_fixtures.pages["/article"]
    few, many = refetch_with_claims("/article", 2), refetch_with_claims("/other", 12)
    assert len(many.result["reanchor"]["moved"]) == 12
    with django_assert_max_num_queries(25) as baseline:
        desk.get(reverse("admin:sources_job_change", args=[few.pk]))
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = desk.get(reverse("admin:sources_job_change", args=[many.pk]))
    assert response.content.decode().count(reverse("admin:claims_claim_changelist")) >= 12


def test_source_list_action_fetches_again(desk, reviewer, http_fixtures, django_capture_on_commit_callbacks):
    source = run(services.ingest_url(actor=reviewer, url=http_fixtures.url("/article"))).source
    pasted = services.ingest_paste(actor=reviewer, title="No address", text="Words.").source
    with django_capture_on_commit_callbacks() as callbacks:
        response = desk.post(
            reverse("admin:sources_source_changelist"),
            {"action": "refetch_sources", "_selected_action": [source.pk, pasted.pk]},
        )
    assert response.status_code == 302 and len(callbacks) == 1
    assert Job.objects.filter(kind=JobKind.FETCH, source=source, status=JobStatus.QUEUED).count() == 1
    assert not Job.objects.filter(kind=JobKind.FETCH, source=pasted).exists()
