"""Newsroom clients of the API, their webhook deliveries, bulk export jobs, and the public
change feed that incremental sync reads."""

import hashlib
import re
import secrets

import pghistory
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now

KEY_PREFIX = "fck"
# DRF's rate syntax: a number of requests per second, minute, hour or day.
RATE_RE = re.compile(r"^\d+/(s|sec|second|m|min|minute|h|hour|d|day)$")


def validate_rate(value: str) -> None:
    if value and not RATE_RE.match(value):
        raise ValidationError("Write a rate as requests/period, e.g. 600/hour or 10/second.")


def hash_key(key: str) -> str:
    """API keys are 256-bit random strings, so one round of SHA-256 is enough to store them:
    there is nothing to brute-force that is smaller than the key itself."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@pghistory.track(exclude=["last_used_at", "webhook_secret"])
class NewsroomClient(models.Model):
    """An API consumer: its key (stored as a hash), rate limit and optional webhook."""

    name = models.CharField(max_length=200, unique=True)
    contact_email = models.EmailField(blank=True)
    # The first characters of the key, kept in clear so that a key seen in a log can be matched
    # to its client without storing the key.
    key_prefix = models.CharField(max_length=16, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    rate = models.CharField(
        max_length=20,
        default="1000/hour",
        validators=[validate_rate],
        help_text="Requests allowed per period, e.g. 1000/hour or 10/second.",
    )
    is_active = models.BooleanField(default=True, help_text="Untick to revoke the key.")
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    webhook_url = models.URLField(
        max_length=500,
        blank=True,
        help_text="Receives a signed POST when a claim is published, corrected or retracted.",
    )
    # Kept in clear because signing needs it; never shown after creation except to staff.
    webhook_secret = models.CharField(max_length=100, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(key_hash__regex=r"^[0-9a-f]{64}$"), name="client_key_hash_hex"
            ),
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(revoked_at__isnull=False), name="client_revoked_has_time"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def new_key() -> str:
        return f"{KEY_PREFIX}_{secrets.token_urlsafe(32)}"

    @staticmethod
    def new_webhook_secret() -> str:
        return f"whsec_{secrets.token_urlsafe(32)}"


class WebhookDelivery(models.Model):
    """One attempt to deliver one event to one client. Every attempt is a row (not audited by
    pghistory: this table is itself the log)."""

    class Outcome(models.TextChoices):
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed, will retry"
        GAVE_UP = "gave_up", "Failed, no more retries"

    client = models.ForeignKey(NewsroomClient, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField()
    event_type = models.CharField(max_length=30)
    claim_id = models.BigIntegerField()
    attempt = models.PositiveSmallIntegerField()
    url = models.URLField(max_length=500)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    attempted_at = models.DateTimeField(db_default=Now())
    next_attempt_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "webhook deliveries"
        constraints = [
            models.UniqueConstraint(fields=["client", "event_id", "attempt"], name="delivery_attempt_unique"),
        ]
        indexes = [models.Index(fields=["client", "-attempted_at"], name="delivery_client_recent_idx")]

    def __str__(self) -> str:
        return f"{self.event_type} #{self.claim_id} → {self.client} (attempt {self.attempt}: {self.outcome})"


class ExportFormat(models.TextChoices):
    NDJSON = "ndjson", "NDJSON (one claim per line)"
    CSV = "csv", "CSV"
    CLAIMREVIEW = "claimreview", "ClaimReview DataFeed (JSON-LD)"


@pghistory.track(exclude=["rows_done"])
class ExportJob(models.Model):
    """A bulk export built by a Celery worker into a file under MEDIA_ROOT/exports."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    format = models.CharField(max_length=12, choices=ExportFormat.choices, default=ExportFormat.NDJSON)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(rows_total__isnull=True) | Q(rows_done__lte=F("rows_total")),
                name="export_progress_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_format_display()} export #{self.pk} ({self.get_status_display()})"

    @property
    def progress_percent(self) -> int | None:
        if not self.rows_total:
            return 100 if self.status == self.Status.SUCCEEDED else None
        return min(100, round(100 * self.rows_done / self.rows_total))


class PublicChange(models.Model):
    """The change feed: one row per change of a claim's public state, written by a database
    trigger on ``claims_claim`` (migration 0002), so that no write path can skip it.

    ``seq`` is assigned at commit time by a deferred constraint trigger that first takes a
    transaction-level advisory lock: sequence numbers therefore become visible in order, and a
    reader that has seen ``seq = n`` will never later find a row with a smaller ``seq``. That is
    what makes incremental sync gap-free (see docs/api.md). Rows not yet committed have no
    ``seq`` and are invisible to other sessions anyway.
    """

    class Change(models.TextChoices):
        PUBLISHED = "published", "Published"
        CORRECTED = "corrected", "Corrected"
        RETRACTED = "retracted", "Retracted"

    claim = models.ForeignKey("claims.Claim", on_delete=models.CASCADE, related_name="+")
    change = models.CharField(max_length=10, choices=Change.choices)
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    committed_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(db_default=Now(), editable=False)

    class Meta:
        indexes = [
            # updated_since looks up "has this claim changed since T" per claim.
            models.Index(fields=["claim", "committed_at"], name="publicchange_claim_idx"),
            models.Index(fields=["committed_at"], name="publicchange_committed_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.seq}: claim {self.claim_id} {self.change}"


class ImportedReview(models.Model):
    """Where an imported claim came from: the original ClaimReview, kept whole, so that the
    publisher's wording and language survive and a second import of the same review is
    recognised."""

    url = models.URLField(
        max_length=2000, unique=True, help_text="The ClaimReview's url: the original fact-check."
    )
    publisher = models.CharField(max_length=300)
    language = models.CharField(max_length=35, blank=True)
    claim = models.OneToOneField("claims.Claim", on_delete=models.CASCADE, related_name="imported_review")
    document = models.JSONField()
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.url
