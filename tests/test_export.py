"""Bulk exports: streamed NDJSON, CSV and the ClaimReview DataFeed, and the export job.

Every test here also checks the ClaimReview feed against the validator (Google's rules)."""

import csv
import io
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import services as claim_services
from claims.claimreview import validate_claim_review
from newsroom import exports, services
from newsroom.models import ExportJob
from tests.api_helpers import api, keyed_client, published_claim
from tests.factories import ClaimantFactory, ClaimFactory


@pytest.fixture
def key(db):
    return keyed_client()[1]


def body_of(response) -> str:
    assert response.streaming, "exports must stream"
    return b"".join(response.streaming_content).decode()


def assert_valid_feed(text: str, expected_items: int) -> list[dict]:
    feed = json.loads(text)
    assert feed["@context"] == "https://schema.org" and feed["@type"] == "DataFeed"
    items = feed["dataFeedElement"]
    assert len(items) == expected_items
    for item in items:
        result = validate_claim_review(item, require_context=False)
        assert result.ok, result.errors
    return items


def check_feed(key: str, expected_items: int) -> list[dict]:
    response = api(key).get(reverse("api:export-claimreview"))
    assert response["Content-Type"].startswith("application/ld+json")
    return assert_valid_feed(body_of(response), expected_items)


@pytest.mark.django_db
def test_ndjson_has_one_line_per_published_claim(key, reviewer, editor):
    claims = [published_claim(reviewer, editor) for _ in range(3)]
    ClaimFactory()  # a draft: never exported
    response = api(key).get(reverse("api:export-ndjson"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/x-ndjson")
    lines = body_of(response).splitlines()
    docs = [json.loads(line) for line in lines]
    assert [d["id"] for d in docs] == [c.pk for c in claims]
    detail = api(key).get(reverse("api:claim-detail", args=[claims[0].pk])).json()
    assert docs[0] == detail
    check_feed(key, 3)


@pytest.mark.django_db
def test_csv_has_a_header_and_one_row_per_claim_and_defuses_formulas(key, reviewer, editor):
    claimant = ClaimantFactory(name='=HYPERLINK("http://evil.example")')
    claim = published_claim(reviewer, editor, claimant=claimant)
    published_claim(reviewer, editor)
    response = api(key).get(reverse("api:export-csv"))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(body_of(response))))
    assert len(rows) == 2 and list(rows[0]) == exports.CSV_COLUMNS
    first = rows[0]
    assert first["id"] == str(claim.pk) and first["rating"] == "Mostly false"
    assert (first["rating_value"], first["worst_rating"], first["best_rating"]) == ("2", "1", "5")
    assert first["claimant"].startswith("'=")
    check_feed(key, 2)


@pytest.mark.django_db
def test_feed_leaves_out_retracted_and_unpublished_claims(key, reviewer, editor):
    kept = published_claim(reviewer, editor)
    gone = published_claim(reviewer, editor)
    claim_services.claim_retract(actor=editor, claim=gone, public_note="Withdrawn.", reason="Withdrawn")
    ClaimFactory()
    items = check_feed(key, 1)
    assert items[0]["url"].endswith(kept.get_absolute_url())
    assert items[0]["reviewRating"] == {
        "@type": "Rating",
        "alternateName": "Mostly false",
        "ratingValue": 2,
        "worstRating": 1,
        "bestRating": 5,
    }


@pytest.mark.django_db
def test_non_ordinal_rating_is_carried_by_its_wording_only(key, reviewer, editor):
    published_claim(reviewer, editor, rating="misleading")
    (item,) = check_feed(key, 1)
    assert item["reviewRating"] == {"@type": "Rating", "alternateName": "Misleading"}


@pytest.mark.django_db
def test_export_queries_grow_with_chunks_not_rows(key, reviewer, editor, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 4)
    for _ in range(8):
        published_claim(reviewer, editor, evidence=2, topics=2)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            lines = list(exports.ndjson_lines())
        assert lines
        return len(captured.captured_queries)

    two_chunks = queries()
    for _ in range(4):
        published_claim(reviewer, editor, evidence=2, topics=2)
    three_chunks = queries()
    # One cursor, then the same six prefetch queries per chunk, however many rows it holds.
    assert three_chunks - two_chunks == 6
    check_feed(key, 12)


@pytest.mark.django_db
def test_keyset_chunks_when_server_side_cursors_are_off(key, reviewer, editor, monkeypatch):
    monkeypatch.setattr(exports, "CHUNK_SIZE", 2)
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    claims = [published_claim(reviewer, editor, evidence=0, topics=0) for _ in range(5)]
    docs = [json.loads(line) for line in exports.ndjson_lines()]
    assert [d["id"] for d in docs] == [c.pk for c in claims]
    check_feed(key, 5)


@pytest.fixture
def worker(transactional_db, request, monkeypatch):
    # sources.tasks schedules a stalled-job sweep JOB_STALL_SECONDS after the worker starts;
    # kombu's filesystem transport lets that held message block a one-process worker.
    monkeypatch.setenv("JOB_STALL_SECONDS", "1")
    return request.getfixturevalue("celery_worker")


@pytest.mark.worker
def test_export_job_writes_a_file_with_progress_in_a_worker(worker, reviewer, editor, administrator):
    for _ in range(3):
        published_claim(reviewer, editor)
    job = services.export_job_create(actor=administrator, format="claimreview")
    worker.wait_for(
        lambda: ExportJob.objects.get(pk=job.pk).status in ("succeeded", "failed"), 60, "the export job"
    )
    job.refresh_from_db()
    assert job.status == "succeeded", job.error
    assert (job.rows_done, job.rows_total, job.progress_percent) == (3, 3, 100)
    with job.file.open("rb") as handle:
        assert_valid_feed(handle.read().decode(), 3)
