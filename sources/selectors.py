"""Reads for the ingestion admin: what a job did, in a form a reviewer can follow."""

from dataclasses import dataclass, field
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.functions import Length, Substr

from claims.models import Claim, Evidence
from sources.models import Job, LinkCheck, Snapshot, Source

PREVIEW_CHARS = 3000


@dataclass
class QuoteMove:
    """One claim or evidence quote the job's new snapshot moved or orphaned."""

    model: str
    obj: Claim | Evidence | None
    record: dict[str, Any]


@dataclass
class JobReport:
    job: Job
    snapshot: Snapshot | None = None
    preview: str = ""
    length: int = 0
    moved: list[QuoteMove] = field(default_factory=list)
    orphaned: list[QuoteMove] = field(default_factory=list)


def jobs_for_admin() -> QuerySet[Job]:
    # The uploaded bytes are never needed to list or show a job.
    return Job.objects.select_related("source", "created_by").defer("upload_data")


def job_report(job: Job) -> JobReport:
    """The job's snapshot (a preview, not the whole text) and the quotes it moved or orphaned.

    A fixed number of queries whatever the number of quotes: one for the snapshot, one per
    kind of quote.
    """
    report = JobReport(job=job)
    snapshot_id = job.result.get("snapshot_id")
    if snapshot_id:
        report.snapshot = (
            Snapshot.objects.filter(pk=snapshot_id)
            .annotate(preview=Substr("text", 1, PREVIEW_CHARS), length=Length("text"))
            .defer("text")
            .first()
        )
        if report.snapshot is not None:
            report.preview, report.length = report.snapshot.preview, report.snapshot.length
    reanchor = job.result.get("reanchor") or {}
    records = [("moved", r) for r in reanchor.get("moved", [])] + [
        ("orphaned", r) for r in reanchor.get("orphaned", [])
    ]
    ids = {model: [r["id"] for _, r in records if r.get("model") == model] for model in ("claim", "evidence")}
    objects: dict[tuple[str, int], Any] = {}
    if ids["claim"]:
        for claim in Claim.objects.filter(pk__in=ids["claim"]).only(
            "pk", "statement", "status", "is_orphaned"
        ):
            objects["claim", claim.pk] = claim
    if ids["evidence"]:
        for item in Evidence.objects.filter(pk__in=ids["evidence"]).only(
            "pk", "claim_id", "stance", "exact", "is_orphaned"
        ):
            objects["evidence", item.pk] = item
    for bucket, record in records:
        move = QuoteMove(record["model"], objects.get((record["model"], record["id"])), record)
        getattr(report, bucket).append(move)
    return report


def sources_with_latest_check() -> QuerySet[Source]:
    """Sources annotated with their latest link check's outcome (``link_outcome``)."""
    latest = LinkCheck.objects.filter(source=OuterRef("pk")).order_by("-checked_at", "-pk")
    return Source.objects.annotate(link_outcome=Subquery(latest.values("outcome")[:1]))
