import pghistory
import pgtrigger
from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.text import slugify

from sources.models import AnchoredQuote, Snapshot, anchor_matches_snapshot_trigger


class ClaimantKind(models.TextChoices):
    PERSON = "person", "Person"
    ORGANIZATION = "organization", "Organisation"


@pghistory.track()
class Claimant(models.Model):
    """Who makes a claim: an author, or a person or body quoted (a prime minister, a ministry)."""

    name = models.CharField(max_length=300)
    slug = models.SlugField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=ClaimantKind.choices, default=ClaimantKind.PERSON)
    description = models.CharField(max_length=500, blank=True, help_text="e.g. Prime Minister of Armenia")
    same_as = models.URLField(
        max_length=500, blank=True, help_text="An authoritative page about them (Wikidata, Wikipedia)."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=~Q(name=""), name="claimant_name_not_empty")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("public:claimant-detail", kwargs={"slug": self.slug})


@pghistory.track()
class Topic(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("public:topic-detail", kwargs={"slug": self.slug})


class ClaimStatus(models.TextChoices):
    """Draft → in review → approved → published → (corrected)* → retracted."""

    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    RETRACTED = "retracted", "Retracted"


# Statuses whose claims the public site and the API may show (a retraction is shown as such).
PUBLIC_CLAIM_STATUSES = (ClaimStatus.PUBLISHED, ClaimStatus.RETRACTED)


@pghistory.track(exclude=["search_vector"])
@pgtrigger.register(anchor_matches_snapshot_trigger("claim"))
class Claim(AnchoredQuote):
    """One checkable assertion, as made in a source, anchored to its exact words."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="claims")
    statement = models.TextField(
        help_text="What is asserted, normalised: one plain sentence a reader can check."
    )
    slug = models.SlugField(max_length=80)
    claimant = models.ForeignKey(Claimant, on_delete=models.PROTECT, related_name="claims")
    made_on = models.DateField(null=True, blank=True, help_text="When the claim was made.")
    topics = models.ManyToManyField(Topic, through="ClaimTopic", related_name="claims", blank=True)
    related = models.ManyToManyField(
        "self", through="ClaimRelation", symmetrical=False, related_name="related_from", blank=True
    )
    status = models.CharField(max_length=12, choices=ClaimStatus.choices, default=ClaimStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True, help_text="First publication.")
    retracted_at = models.DateTimeField(null=True, blank=True)
    retraction_note = models.TextField(blank=True, help_text="Public note explaining a retraction.")
    # When what the public sees of this claim last changed: drives ETags, feeds and the API's
    # incremental sync (set by the workflow services, never by hand).
    public_changed_at = models.DateTimeField(null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            *AnchoredQuote.anchor_constraints("claim"),
            models.CheckConstraint(condition=~Q(statement=""), name="claim_statement_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=PUBLIC_CLAIM_STATUSES, published_at__isnull=False)
                | ~Q(status__in=PUBLIC_CLAIM_STATUSES),
                name="claim_public_has_published_at",
            ),
            models.CheckConstraint(
                condition=Q(status=ClaimStatus.RETRACTED, retracted_at__isnull=False)
                | ~Q(status=ClaimStatus.RETRACTED),
                name="claim_retracted_has_retracted_at",
            ),
        ]
        indexes = [
            # Incremental sync (updated_since) and the public lists walk public claims by the
            # time of their last public change; the partial index holds only those rows.
            models.Index(
                fields=["public_changed_at", "id"],
                condition=Q(status__in=PUBLIC_CLAIM_STATUSES),
                name="claim_public_changed_idx",
            ),
            models.Index(fields=["status", "-updated_at"], name="claim_status_updated_idx"),
            GinIndex(fields=["search_vector"], name="claim_search_vector_idx"),
        ]
        permissions = [
            ("publish_claim", "Can publish, correct and retract claims"),
        ]

    def __str__(self) -> str:
        return self.statement[:80]

    def save(self, *args, **kwargs) -> None:
        if not self.slug:
            self.slug = slugify(self.statement)[:80].strip("-") or "claim"
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("public:claim-detail", kwargs={"pk": self.pk, "slug": self.slug})

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_CLAIM_STATUSES


@pghistory.track()
class ClaimTopic(models.Model):
    """The claim–topic link, explicit so that tagging is in the audit trail too."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["claim", "topic"], name="claim_topic_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.claim_id} #{self.topic_id}"


class RelationKind(models.TextChoices):
    SAME_AS = "same_as", "Same assertion as"
    CONTRADICTS = "contradicts", "Contradicts"
    DEPENDS_ON = "depends_on", "Depends on"


@pghistory.track()
class ClaimRelation(models.Model):
    from_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="relations_out")
    to_claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="relations_in")
    kind = models.CharField(max_length=12, choices=RelationKind.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_claim", "to_claim", "kind"], name="claim_relation_unique"),
            models.CheckConstraint(condition=~Q(from_claim=F("to_claim")), name="claim_relation_not_self"),
        ]

    def __str__(self) -> str:
        return f"{self.from_claim_id} {self.get_kind_display().lower()} {self.to_claim_id}"


class Stance(models.TextChoices):
    SUPPORTS = "supports", "Supports"
    CONTRADICTS = "contradicts", "Contradicts"
    CONTEXT = "context", "Adds context"


@pghistory.track()
@pgtrigger.register(anchor_matches_snapshot_trigger("evidence"))
class Evidence(AnchoredQuote):
    """A passage of another source that bears on a claim, with its stance."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="evidence")
    snapshot = models.ForeignKey(Snapshot, on_delete=models.PROTECT, related_name="evidence")
    stance = models.CharField(max_length=12, choices=Stance.choices)
    note = models.TextField(blank=True, help_text="Why this passage matters; shown to the public.")
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "evidence"
        constraints = [
            *AnchoredQuote.anchor_constraints("evidence"),
            models.UniqueConstraint(
                fields=["claim", "snapshot", "start", "end"], name="evidence_unique_passage"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_stance_display()}: {self.exact[:60]}"


@pghistory.track()
class RatingScale(models.Model):
    """Ordered labels, higher = more true. Imported fact-checks get a scale per publisher."""

    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=120, unique=True)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="rating_scale_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track()
class Rating(models.Model):
    """One label of a scale. ``value`` is its ClaimReview number; None for non-ordinal labels
    (misleading, unverifiable), which ClaimReview carries by ``alternateName`` only."""

    scale = models.ForeignKey(RatingScale, on_delete=models.CASCADE, related_name="ratings")
    label = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    value = models.PositiveSmallIntegerField(null=True, blank=True)
    description = models.TextField(blank=True, help_text="What the label means (methodology page).")
    position = models.PositiveSmallIntegerField(default=0, help_text="Display order on the scale.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scale", "label"], name="rating_unique_label"),
            models.UniqueConstraint(fields=["scale", "slug"], name="rating_unique_slug"),
            models.UniqueConstraint(
                fields=["scale", "value"], condition=Q(value__isnull=False), name="rating_unique_value"
            ),
            # ClaimReview requires 1 <= worstRating: no ordinal value below 1.
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=1), name="rating_value_at_least_1"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def is_ordinal(self) -> bool:
        return self.value is not None


class VerdictStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    SUPERSEDED = "superseded", "Superseded by a correction"
    RETRACTED = "retracted", "Retracted"


@pghistory.track()
@pgtrigger.register(
    # The author of a verdict never changes: review rules depend on it.
    pgtrigger.ReadOnly(name="verdict_author_is_fixed", fields=["author", "claim"]),
)
class Verdict(models.Model):
    """A reviewer's judgement of a claim. A claim's verdicts form its history."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="verdicts")
    rating = models.ForeignKey(Rating, on_delete=models.PROTECT, related_name="verdicts")
    # The publisher's own wording, kept for imported fact-checks (ClaimReview alternateName).
    original_rating_text = models.CharField(max_length=300, blank=True)
    rationale = models.TextField(help_text="Markdown. Why this rating; cite the evidence.")
    evidence = models.ManyToManyField(
        Evidence, through="VerdictEvidence", related_name="verdicts", blank=True
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="verdicts")
    status = models.CharField(max_length=12, choices=VerdictStatus.choices, default=VerdictStatus.DRAFT)
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrected_by",
        help_text="The published verdict this one replaces.",
    )
    public_note = models.TextField(
        blank=True, help_text="Public correction note, required when this verdict corrects another."
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # One published verdict per claim, whatever path writes it.
            models.UniqueConstraint(
                fields=["claim"],
                condition=Q(status=VerdictStatus.PUBLISHED),
                name="verdict_one_published_per_claim",
            ),
            models.CheckConstraint(condition=~Q(rationale=""), name="verdict_rationale_not_empty"),
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(public_note=""),
                name="verdict_correction_has_public_note",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["published", "superseded", "retracted"])
                | Q(published_at__isnull=False),
                name="verdict_published_has_published_at",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-submitted_at"], name="verdict_status_submitted_idx"),
        ]
        permissions = [
            ("review_verdict", "Can approve or send back verdicts written by others"),
        ]

    def __str__(self) -> str:
        return f"{self.rating} ({self.get_status_display()}) on claim {self.claim_id}"


@pghistory.track()
class VerdictEvidence(models.Model):
    """The evidence a verdict rests on (explicit through table, so it is audited)."""

    verdict = models.ForeignKey(Verdict, on_delete=models.CASCADE)
    evidence = models.ForeignKey(Evidence, on_delete=models.CASCADE)

    class Meta:
        verbose_name_plural = "verdict evidence"
        constraints = [
            models.UniqueConstraint(fields=["verdict", "evidence"], name="verdict_evidence_unique"),
        ]

    def __str__(self) -> str:
        return f"verdict {self.verdict_id} rests on evidence {self.evidence_id}"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", "Approve"
    SEND_BACK = "send_back", "Send back"


@pghistory.track()
@pgtrigger.register(
    # Nobody approves their own verdict: enforced here for every path that writes, not only in
    # claims.services.
    pgtrigger.Trigger(
        name="review_not_by_verdict_author",
        when=pgtrigger.Before,
        operation=pgtrigger.Insert | pgtrigger.Update,
        func="""
            IF EXISTS (
                SELECT 1 FROM claims_verdict v
                WHERE v.id = NEW.verdict_id AND v.author_id = NEW.reviewer_id
            ) THEN
                RAISE EXCEPTION 'a verdict cannot be reviewed by its author'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        """,
    ),
    pgtrigger.ReadOnly(name="review_is_immutable"),
)
class Review(models.Model):
    """An editor's decision on a proposed verdict."""

    verdict = models.ForeignKey(Verdict, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(decision=ReviewDecision.APPROVE) | ~Q(comment=""),
                name="review_send_back_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} by {self.reviewer} on verdict {self.verdict_id}"
