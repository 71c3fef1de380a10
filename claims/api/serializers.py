"""Read-only representations of the published record. Everything they read is prefetched by
claims.api.selectors; no serializer method queries the database. The declared fields describe
the shape (and make the OpenAPI schema); ``to_representation`` builds it with
claims.api.documents."""

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.api import documents
from claims.models import Claim, ClaimStatus, Verdict


class SelectorSerializer(serializers.Serializer):
    """A W3C Web Annotation selector (TextQuoteSelector or TextPositionSelector)."""

    type = serializers.ChoiceField(choices=["TextQuoteSelector", "TextPositionSelector"])
    exact = serializers.CharField(required=False)
    prefix = serializers.CharField(required=False, allow_blank=True)
    suffix = serializers.CharField(required=False, allow_blank=True)
    start = serializers.IntegerField(required=False)
    end = serializers.IntegerField(required=False)


class QuoteSerializer(serializers.Serializer):
    """The exact words and where they are in the source's snapshot."""

    exact = serializers.CharField()
    prefix = serializers.CharField(allow_blank=True)
    suffix = serializers.CharField(allow_blank=True)
    start = serializers.IntegerField()
    end = serializers.IntegerField()
    snapshot_id = serializers.IntegerField()
    snapshot_sha256 = serializers.CharField(source="snapshot.sha256")
    is_orphaned = serializers.BooleanField()
    selector = SelectorSerializer(many=True)


class SourceBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    kind = serializers.CharField()
    url = serializers.CharField(allow_blank=True)
    publisher = serializers.CharField(allow_blank=True)
    authors = serializers.ListField(child=serializers.CharField(), source="author_list")
    published_on = serializers.DateField(allow_null=True)
    language = serializers.CharField()
    public_url = serializers.URLField()

    def to_representation(self, source: Any) -> dict[str, Any]:
        return documents.source_doc(source)


class SourceSerializer(SourceBriefSerializer):
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, source: Any) -> dict[str, Any]:
        return documents.source_doc(source, full=True)


class ClaimantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    kind = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    same_as = serializers.CharField(allow_blank=True)
    public_url = serializers.URLField()

    def to_representation(self, claimant: Any) -> dict[str, Any]:
        return documents.claimant_doc(claimant)


class TopicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    public_url = serializers.URLField()

    def to_representation(self, topic: Any) -> dict[str, Any]:
        return documents.topic_doc(topic)


class RatingSerializer(serializers.Serializer):
    label = serializers.CharField()
    slug = serializers.CharField()
    value = serializers.IntegerField(
        allow_null=True, help_text="The ClaimReview number; null for non-ordinal labels."
    )
    description = serializers.CharField(allow_blank=True)


class RatingScaleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    is_default = serializers.BooleanField()
    ratings = RatingSerializer(many=True)


class ClaimReviewRatingSerializer(serializers.Serializer):
    """The verdict as a schema.org Rating: what Google's tools read."""

    alternateName = serializers.CharField()
    ratingValue = serializers.IntegerField(required=False)
    worstRating = serializers.IntegerField(required=False)
    bestRating = serializers.IntegerField(required=False)


class VerdictSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rating = RatingSerializer()
    rating_scale = serializers.CharField(source="rating.scale.slug")
    rating_text = serializers.CharField(help_text="The publisher's own wording of the rating.")
    claim_review_rating = ClaimReviewRatingSerializer()
    rationale = serializers.CharField(help_text="Markdown.")
    published_at = serializers.DateTimeField()
    corrects = serializers.IntegerField(source="corrects_id", allow_null=True)
    public_note = serializers.CharField(
        allow_blank=True, help_text="The correction note, when this verdict corrects another."
    )

    def to_representation(self, verdict: Verdict) -> dict[str, Any]:
        return documents.verdict_doc(verdict)


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stance = serializers.ChoiceField(choices=["supports", "contradicts", "context"])
    note = serializers.CharField(allow_blank=True)
    quote = QuoteSerializer(source="*")
    source = SourceBriefSerializer(source="snapshot.source")

    def to_representation(self, evidence: Any) -> dict[str, Any]:
        return documents.evidence_doc(evidence)


class RelatedClaimSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=["same_as", "contradicts", "depends_on"])
    direction = serializers.ChoiceField(
        choices=["outgoing", "incoming"],
        help_text="outgoing: this claim <kind> the other; incoming: the reverse.",
    )
    statement = serializers.CharField()
    public_url = serializers.URLField()


class ClaimSerializer(serializers.Serializer):
    """A published claim, or, when ``status`` is ``retracted``, its tombstone: the retraction
    note and dates, with no verdict, evidence or relations."""

    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=[ClaimStatus.PUBLISHED.value, ClaimStatus.RETRACTED.value])
    public_url = serializers.URLField()
    statement = serializers.CharField()
    slug = serializers.CharField()
    quote = QuoteSerializer(source="*")
    claimant = ClaimantSerializer()
    source = SourceBriefSerializer(source="snapshot.source")
    made_on = serializers.DateField(allow_null=True)
    topics = TopicSerializer(many=True, source="public_topics")
    verdict = VerdictSerializer(allow_null=True)
    evidence = EvidenceSerializer(many=True)
    related = RelatedClaimSerializer(many=True)
    published_at = serializers.DateTimeField()
    public_changed_at = serializers.DateTimeField()
    retracted_at = serializers.DateTimeField(allow_null=True)
    retraction_note = serializers.CharField(allow_blank=True)

    def to_representation(self, claim: Claim) -> dict[str, Any]:
        # Plain dictionaries: see claims.api.documents for why.
        return documents.claim_doc(claim)


class ChangeSerializer(serializers.Serializer):
    seq = serializers.IntegerField(
        help_text="Commit-ordered position in the feed; pass the last one as ?after=."
    )
    change = serializers.ChoiceField(choices=["published", "corrected", "retracted"])
    committed_at = serializers.DateTimeField()
    claim_id = serializers.IntegerField()
    claim = serializers.SerializerMethodField(help_text="The claim as it is now (a tombstone if retracted).")

    @extend_schema_field(ClaimSerializer(allow_null=True))
    def get_claim(self, change: Any) -> dict[str, Any] | None:
        claim = self.context.get("claims", {}).get(change.claim_id)
        return documents.claim_doc(claim) if claim is not None else None
