import hashlib

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse


class SourceKind(models.TextChoices):
    ARTICLE = "article", "News article"
    COMMENTARY = "commentary", "Commentary / opinion"
    REPORT = "report", "Report"
    DATASET = "dataset", "Dataset"
    STATEMENT = "statement", "Official statement"
    LEGAL_TEXT = "legal_text", "Legal text / treaty"
    TRANSCRIPT = "transcript", "Transcript"
    SOCIAL_POST = "social_post", "Social media post"
    OTHER = "other", "Other"


@pghistory.track()
class Source(models.Model):
    """A document that says things. Its text lives in immutable snapshots."""

    kind = models.CharField(max_length=20, choices=SourceKind.choices, default=SourceKind.ARTICLE)
    title = models.CharField(max_length=500)
    # Normalised by sources.services.normalize_url before it is stored; see the constraint.
    url = models.URLField(max_length=2000, blank=True)
    publisher = models.CharField("publisher / outlet", max_length=300, blank=True)
    authors = models.CharField(max_length=500, blank=True, help_text="Comma-separated names.")
    published_on = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=16, default="en", help_text="BCP 47 tag, e.g. en, ru.")
    notes = models.TextField(blank=True, help_text="Internal; never shown to the public.")
    current_snapshot = models.ForeignKey(
        "Snapshot",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The snapshot new claims and evidence are anchored in.",
    )
    cites = models.ManyToManyField(
        "self",
        through="Citation",
        symmetrical=False,
        related_name="cited_by",
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # A URL identifies a source, but many sources (a paste, a print report) have none.
            models.UniqueConstraint(
                fields=["url"], condition=~Q(url=""), name="source_url_unique_when_present"
            ),
            models.CheckConstraint(condition=~Q(title=""), name="source_title_not_empty"),
        ]
        indexes = [
            # The public source list and the API sort by publication date.
            models.Index(fields=["-published_on", "-id"], name="source_published_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("public:source-detail", kwargs={"pk": self.pk})

    @property
    def author_list(self) -> list[str]:
        return [name.strip() for name in self.authors.split(",") if name.strip()]


class SnapshotOrigin(models.TextChoices):
    FETCH = "fetch", "Fetched from URL"
    UPLOAD = "upload", "Uploaded file"
    PASTE = "paste", "Pasted text"
    EXCERPT = "excerpt", "Excerpt (quotes only)"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
@pgtrigger.register(
    # A snapshot is the record of what a document said when it was checked: it never changes.
    pgtrigger.ReadOnly(name="snapshot_is_immutable"),
)
class Snapshot(models.Model):
    """The text of a source at one moment. Claims and evidence anchor into it."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="snapshots")
    text = models.TextField()
    sha256 = models.CharField(max_length=64, editable=False)
    retrieved_at = models.DateTimeField()
    origin = models.CharField(max_length=10, choices=SnapshotOrigin.choices)
    extraction = models.JSONField(
        default=dict, blank=True, help_text="How the text was obtained (extractor, content type…)."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            # The same content twice is the same snapshot (see sources.services.snapshot_add).
            models.UniqueConstraint(fields=["source", "sha256"], name="snapshot_unique_content"),
            models.CheckConstraint(condition=~Q(text=""), name="snapshot_text_not_empty"),
            models.CheckConstraint(condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="snapshot_sha256_hex"),
        ]

    def __str__(self) -> str:
        return f"{self.source} @ {self.retrieved_at:%Y-%m-%d %H:%M} ({self.get_origin_display()})"

    @staticmethod
    def hash_text(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    @property
    def is_excerpt(self) -> bool:
        return self.origin == SnapshotOrigin.EXCERPT


@pghistory.track()
class Citation(models.Model):
    """Source ``citing`` cites source ``cited``: one link of a provenance chain."""

    citing = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="citations")
    cited = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="citations_received")
    note = models.CharField(max_length=500, blank=True, help_text="What is taken from the cited source.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["citing", "cited"], name="citation_unique_pair"),
            models.CheckConstraint(condition=~Q(citing=F("cited")), name="citation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.citing} cites {self.cited}"


def anchor_matches_snapshot_trigger(table_prefix: str) -> pgtrigger.Trigger:
    """A trigger that refuses an anchor whose ``exact`` is not the snapshot's text at start:end.

    Python checks it first with a readable message (sources.anchoring.validate_anchor); the
    trigger makes it true for every path that writes, bulk and raw SQL included. PostgreSQL's
    substring counts characters, as Python's slicing does.
    """
    return pgtrigger.Trigger(
        name=f"{table_prefix}_anchor_matches_snapshot",
        when=pgtrigger.Before,
        operation=pgtrigger.Insert | pgtrigger.UpdateOf("snapshot_id", "start", "end", "exact"),
        func="""
            -- An empty or inverted span is left to the CHECK constraints to name.
            IF NEW."end" > NEW.start AND NOT EXISTS (
                SELECT 1 FROM sources_snapshot s
                WHERE s.id = NEW.snapshot_id
                  AND substring(s.text FROM NEW.start + 1 FOR NEW."end" - NEW.start) = NEW.exact
            ) THEN
                RAISE EXCEPTION 'anchor does not match snapshot % at [%, %)',
                    NEW.snapshot_id, NEW.start, NEW."end"
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        """,
    )


class AnchorMethod(models.TextChoices):
    """How an anchor was found in its snapshot (W3C Web Annotation selectors)."""

    GIVEN = "given", "Offsets given"
    EXACT = "exact", "Exact text match"
    CONTEXT = "context", "Prefix/suffix context"
    FUZZY = "fuzzy", "Fuzzy match"


class AnchoredQuote(models.Model):
    """A quote anchored in a snapshot: TextQuoteSelector + TextPositionSelector.

    ``exact``/``prefix``/``suffix`` find the quote again if offsets go stale; ``start``/``end``
    are character offsets into ``snapshot.text``.
    """

    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="+")
    exact = models.TextField()
    prefix = models.CharField(max_length=200, blank=True)
    suffix = models.CharField(max_length=200, blank=True)
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    anchor_method = models.CharField(max_length=10, choices=AnchorMethod.choices, default=AnchorMethod.GIVEN)
    # Set when re-anchoring in a new snapshot could not find the quote: a reviewer must look.
    is_orphaned = models.BooleanField(default=False)

    class Meta:
        abstract = True

    @classmethod
    def anchor_constraints(cls, prefix: str) -> list[models.BaseConstraint]:
        return [
            models.CheckConstraint(condition=Q(start__lt=F("end")), name=f"{prefix}_anchor_span"),
            models.CheckConstraint(condition=~Q(exact=""), name=f"{prefix}_anchor_exact_not_empty"),
        ]

    @property
    def selector(self) -> list[dict]:
        """The anchor as W3C Web Annotation selectors."""
        return [
            {
                "type": "TextQuoteSelector",
                "exact": self.exact,
                "prefix": self.prefix,
                "suffix": self.suffix,
            },
            {"type": "TextPositionSelector", "start": self.start, "end": self.end},
        ]


class JobKind(models.TextChoices):
    FETCH = "fetch", "Fetch from URL"
    UPLOAD = "upload", "Uploaded file"
    PASTE = "paste", "Pasted text"
    LINK_CHECK = "link_check", "Link check"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


# Statuses a job can still leave on its own (a worker will pick it up or is working on it).
JOB_OPEN_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


# Progress ticks on every step and updated_at on every write: neither is worth an audit event,
# and the uploaded bytes must not be copied into the event table on every status change.
@pghistory.track(exclude=["progress", "updated_at", "upload_data"])
class Job(models.Model):
    """One ingestion or check a person can follow: queued → running → succeeded | failed.

    Written only by ``sources.services``; a Celery task runs it (``sources.tasks.run_job``),
    and the task may run more than once (late acknowledgement, retries, a worker killed
    mid-job): the services make the second run a no-op once the job has succeeded.
    """

    kind = models.CharField(max_length=12, choices=JobKind.choices)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    source = models.ForeignKey(Source, null=True, blank=True, on_delete=models.SET_NULL, related_name="jobs")
    input_url = models.URLField("URL", max_length=2000, blank=True)
    input_filename = models.CharField("file name", max_length=255, blank=True)
    # The uploaded file, kept in the database (not on a disk the worker may not share) until
    # the job succeeds, so that a failed upload can be retried.
    upload_data = models.BinaryField(null=True, blank=True, editable=False)
    options = models.JSONField(default=dict, blank=True, help_text="What the person asked for.")
    error = models.TextField(blank=True, help_text="Why the last attempt failed, in plain words.")
    attempts = models.PositiveSmallIntegerField(default=0)
    progress = models.PositiveSmallIntegerField(default=0)
    result = models.JSONField(default=dict, blank=True, help_text="What the job did.")
    task_id = models.CharField(max_length=64, blank=True)
    # When a transient failure's retry is due; the stall sweep leaves such a job alone till then.
    retry_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="job_progress_percent"),
            models.CheckConstraint(
                condition=~Q(status="failed") | ~Q(error=""), name="job_failure_has_error"
            ),
        ]
        indexes = [
            # The admin's job list: newest first, filtered by status.
            models.Index(fields=["status", "-created_at"], name="job_status_created_idx"),
            # "Is a check of this source already waiting?" when the daily link check runs.
            models.Index(
                fields=["source", "kind"],
                condition=Q(status__in=["queued", "running"]),
                name="job_open_by_source_idx",
            ),
        ]

    def __str__(self) -> str:
        target = self.input_url or self.input_filename or (str(self.source) if self.source_id else "")
        return f"{self.get_kind_display()} #{self.pk}: {target}"[:200]

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


class LinkOutcome(models.TextChoices):
    OK = "ok", "Unchanged"
    CHANGED = "changed", "Content changed"
    MOVED = "moved", "Redirects elsewhere"
    DEAD = "dead", "Dead (error status)"
    UNREACHABLE = "unreachable", "Unreachable"


@pghistory.track(pghistory.InsertEvent(), pghistory.DeleteEvent())
class LinkCheck(models.Model):
    """The result of re-checking a source's URL: one row per check, never edited."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="link_checks")
    job = models.OneToOneField(
        Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="link_check"
    )
    checked_at = models.DateTimeField()
    outcome = models.CharField(max_length=12, choices=LinkOutcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    final_url = models.URLField(max_length=2000, blank=True)
    # sha256 of the extracted, cleaned text: compared with the current snapshot's hash.
    content_sha256 = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The admin's "latest check per source" and the per-source history.
            models.Index(fields=["source", "-checked_at"], name="linkcheck_source_latest_idx"),
            models.Index(fields=["outcome", "-checked_at"], name="linkcheck_outcome_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source} — {self.get_outcome_display()} ({self.checked_at:%Y-%m-%d})"

    @property
    def needs_attention(self) -> bool:
        return self.outcome != LinkOutcome.OK
