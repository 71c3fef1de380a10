"""Admin for claims, evidence, verdicts and the rest: the reviewer workspace's home.

Plain edits run inside the audit context (see ``claims.workspace.base``); workflow state
(status, publication dates, reviews) changes only through the claim page's actions, which call
``claims.services``. Anchors are set in the annotation view of a source, never typed.
"""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import NoReverseMatch, URLPattern, path, reverse
from django.utils.html import format_html

from claims import services
from claims.models import (
    Claim,
    Claimant,
    ClaimRelation,
    ClaimTopic,
    Evidence,
    Rating,
    RatingScale,
    Review,
    Topic,
    Verdict,
    VerdictEvidence,
    VerdictStatus,
)
from claims.selectors import HistoryEntry, claim_history
from claims.workspace import desk, similar, workflow
from claims.workspace.base import AuditedAdmin, AuditedModelForm, ReadOnlyAdmin
from factcheck.errors import DomainError


def status_badge(status: str, label: str) -> str:
    # The badge carries the status as text too, so colour is never the only signal.
    return format_html('<span class="fc-badge fc-status-{}">{}</span>', status, label)


def source_link(snapshot_source_id: int, title: str) -> str:
    return format_html(
        '<a href="{}">{}</a>', reverse("admin:sources_source_annotate", args=[snapshot_source_id]), title
    )


def _annotate_redirect(request: HttpRequest, what: str) -> HttpResponse:
    messages.info(
        request, f"{what} are made from a passage of a source: open a source and select the passage."
    )
    return HttpResponseRedirect(reverse("admin:sources_source_changelist"))


# --- Claimants, topics ----------------------------------------------------------------------


@admin.register(Claimant)
class ClaimantAdmin(AuditedAdmin):
    ordering = ["name", "pk"]  # the autocomplete pages through this
    list_display = ["name", "kind", "description", "claim_count"]
    list_filter = ["kind"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claimant]:
        return super().get_queryset(request).annotate(claim_total=Count("claims"))

    @admin.display(description="claims", ordering="claim_total")
    def claim_count(self, obj: Claimant) -> int:
        return obj.claim_total


@admin.register(Topic)
class TopicAdmin(AuditedAdmin):
    ordering = ["name"]  # the autocomplete pages through this
    list_display = ["name", "slug", "claim_count"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Topic]:
        return super().get_queryset(request).annotate(claim_total=Count("claims"))

    @admin.display(description="claims", ordering="claim_total")
    def claim_count(self, obj: Topic) -> int:
        return obj.claim_total


# --- Claims ---------------------------------------------------------------------------------


class ClaimTopicInline(admin.TabularInline):
    model = ClaimTopic
    extra = 0
    autocomplete_fields = ["topic"]
    verbose_name_plural = "topics"


class EvidenceInline(admin.TabularInline):
    """Evidence is attached in the annotation view; here its stance and note can be edited."""

    model = Evidence
    fk_name = "claim"
    extra = 0
    fields = ["stance_badge", "stance", "quote", "source", "note"]
    readonly_fields = ["stance_badge", "quote", "source"]
    show_change_link = True
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 40})}}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        return super().get_queryset(request).select_related("snapshot__source").defer("snapshot__text")

    def has_add_permission(self, request: HttpRequest, obj: Claim | None = None) -> bool:
        return False

    @admin.display(description="")
    def stance_badge(self, obj: Evidence) -> str:
        return format_html(
            '<span class="fc-badge fc-stance-{}">{}</span>', obj.stance, obj.get_stance_display()
        )

    @admin.display(description="quote")
    def quote(self, obj: Evidence) -> str:
        orphan = (
            format_html(' <strong class="fc-orphan">⚠ orphaned anchor</strong>') if obj.is_orphaned else ""
        )
        return format_html("<q>{}</q>{}", obj.exact, orphan)

    @admin.display(description="source")
    def source(self, obj: Evidence) -> str:
        return source_link(obj.snapshot.source_id, obj.snapshot.source.title)


class RelationInline(admin.TabularInline):
    model = ClaimRelation
    fk_name = "from_claim"
    extra = 0
    autocomplete_fields = ["to_claim"]
    fields = ["kind", "to_claim", "created_by"]
    readonly_fields = ["created_by"]
    verbose_name = "related claim"
    verbose_name_plural = "related claims"


class ClaimForm(AuditedModelForm):
    class Meta:
        model = Claim
        fields = ["statement", "slug", "claimant", "made_on"]
        widgets = {"statement": forms.Textarea(attrs={"rows": 3, "cols": 80})}


@admin.register(Claim)
class ClaimAdmin(AuditedAdmin):
    form = ClaimForm
    list_display = [
        "statement_short",
        "claimant",
        "status_display",
        "verdict_display",
        "evidence_count",
        "source",
        "made_on",
        "updated_at",
    ]
    list_display_links = ["statement_short"]
    list_filter = ["status", "topics", "snapshot__source__kind", "is_orphaned", "made_on"]
    search_fields = ["statement", "exact", "claimant__name", "snapshot__source__title"]
    date_hierarchy = "made_on"
    ordering = ["-updated_at", "-pk"]
    autocomplete_fields = ["claimant"]
    inlines = [ClaimTopicInline, EvidenceInline, RelationInline]
    readonly_fields = [
        "quote_in_context",
        "source",
        "anchor_method",
        "is_orphaned",
        "status_display",
        "published_at",
        "retracted_at",
        "retraction_note",
        "public_changed_at",
        "created_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        ("What was said", {"fields": ["quote_in_context", "source", "claimant", "made_on"]}),
        ("The claim", {"fields": ["statement", "slug"]}),
        (
            "Workflow (changed by the actions above, never by hand)",
            {
                "fields": [
                    "status_display",
                    "published_at",
                    "public_changed_at",
                    "retracted_at",
                    "retraction_note",
                ]
            },
        ),
        (
            "Record",
            {
                "fields": ["anchor_method", "is_orphaned", "created_by", "created_at", "updated_at"],
                "classes": ["collapse"],
            },
        ),
    ]
    change_form_template = "admin/claims/claim/change_form.html"
    history_covers_related = "the claim, its topics, related claims, evidence, verdicts and reviews"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Claim]:
        latest = Verdict.objects.filter(claim=OuterRef("pk")).order_by("-created_at", "-pk")
        evidence_total = (
            Evidence.objects.filter(claim=OuterRef("pk"))
            .order_by()
            .values("claim")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .select_related("claimant", "snapshot__source", "created_by")
            .defer("search_vector", "snapshot__text", "snapshot__extraction")
            .annotate(
                verdict_label=Subquery(latest.values("rating__label")[:1]),
                verdict_status=Subquery(latest.values("status")[:1]),
                evidence_total=Coalesce(Subquery(evidence_total, output_field=IntegerField()), 0),
            )
        )

    @admin.display(description="claim", ordering="statement")
    def statement_short(self, obj: Claim) -> str:
        return obj.statement if len(obj.statement) <= 110 else obj.statement[:108] + "…"

    @admin.display(description="status", ordering="status")
    def status_display(self, obj: Claim) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="latest verdict")
    def verdict_display(self, obj: Claim) -> str:
        if not getattr(obj, "verdict_label", None):
            return "—"
        return format_html(
            "{} <small>({})</small>", obj.verdict_label, VerdictStatus(obj.verdict_status).label.lower()
        )

    @admin.display(description="evidence", ordering="evidence_total")
    def evidence_count(self, obj: Claim) -> int:
        return obj.evidence_total

    @admin.display(description="source", ordering="snapshot__source__title")
    def source(self, obj: Claim) -> str:
        return source_link(obj.snapshot.source_id, obj.snapshot.source.title)

    @admin.display(description="quote")
    def quote_in_context(self, obj: Claim) -> str:
        orphan = (
            format_html(
                '<p class="fc-orphan">⚠ This anchor is orphaned: the quote was not found in the source\'s current text.</p>'
            )
            if obj.is_orphaned
            else ""
        )
        return format_html(
            '<blockquote class="fc-quote">…{}<mark>{}</mark>{}…</blockquote>{}',
            obj.prefix,
            obj.exact,
            obj.suffix,
            orphan,
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        return _annotate_redirect(request, "Claims")

    def get_history(self, obj: Claim) -> list[HistoryEntry]:
        return claim_history(obj)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        claim = self.get_object(request, object_id)
        context = dict(extra_context or {})
        if claim is not None and self.has_view_permission(request, claim):
            context["workflow"] = workflow.build_workflow(request, claim, self.admin_site.name)
            context["public_url"] = _public_url(claim)
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/workflow/<str:action>/",
                view(workflow.WorkflowActionView.as_view(model_admin=self)),
                name="claims_claim_workflow",
            ),
            path("similar/", view(similar.similar_claims_view), name="claims_claim_similar"),
            path("desk/", view(desk.DeskView.as_view(admin_site=self.admin_site)), name="claims_desk"),
            *super().get_urls(),
        ]


def _public_url(claim: Claim) -> str:
    if not claim.is_public:
        return ""
    try:
        return claim.get_absolute_url()
    except NoReverseMatch:  # the public site is not mounted (yet)
        return ""


@admin.register(ClaimRelation)
class ClaimRelationAdmin(AuditedAdmin):
    list_display = ["from_claim", "kind", "to_claim", "created_by", "created_at"]
    list_filter = ["kind"]
    list_select_related = ["from_claim", "to_claim", "created_by"]
    autocomplete_fields = ["from_claim", "to_claim"]
    search_fields = ["from_claim__statement", "to_claim__statement"]
    readonly_fields = ["created_by", "created_at"]

    def save_model(self, request: HttpRequest, obj: ClaimRelation, form: forms.Form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ClaimTopic)
class ClaimTopicAdmin(AuditedAdmin):
    list_display = ["claim", "topic"]
    list_select_related = ["claim", "topic"]
    list_filter = ["topic"]
    autocomplete_fields = ["claim", "topic"]


# --- Evidence -------------------------------------------------------------------------------


class EvidenceForm(AuditedModelForm):
    class Meta:
        model = Evidence
        fields = ["stance", "note"]


@admin.register(Evidence)
class EvidenceAdmin(AuditedAdmin):
    form = EvidenceForm
    list_display = [
        "stance_display",
        "exact_short",
        "claim",
        "source",
        "is_orphaned",
        "added_by",
        "created_at",
    ]
    list_filter = ["stance", "is_orphaned", "snapshot__source__kind"]
    search_fields = ["exact", "note", "claim__statement", "snapshot__source__title"]
    readonly_fields = [
        "claim",
        "quote_in_context",
        "source",
        "anchor_method",
        "is_orphaned",
        "added_by",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["claim", "quote_in_context", "source", "stance", "note"]}),
        ("Record", {"fields": ["anchor_method", "is_orphaned", "added_by", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        return (
            super()
            .get_queryset(request)
            .select_related("claim", "snapshot__source", "added_by")
            .defer("snapshot__text", "snapshot__extraction", "claim__search_vector")
        )

    @admin.display(description="stance", ordering="stance")
    def stance_display(self, obj: Evidence) -> str:
        return format_html(
            '<span class="fc-badge fc-stance-{}">{}</span>', obj.stance, obj.get_stance_display()
        )

    @admin.display(description="quote", ordering="exact")
    def exact_short(self, obj: Evidence) -> str:
        return obj.exact if len(obj.exact) <= 100 else obj.exact[:98] + "…"

    @admin.display(description="source", ordering="snapshot__source__title")
    def source(self, obj: Evidence) -> str:
        return source_link(obj.snapshot.source_id, obj.snapshot.source.title)

    @admin.display(description="quote")
    def quote_in_context(self, obj: Evidence) -> str:
        return format_html(
            '<blockquote class="fc-quote">…{}<mark>{}</mark>{}…</blockquote>',
            obj.prefix,
            obj.exact,
            obj.suffix,
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        return _annotate_redirect(request, "Evidence passages")


# --- Rating scales --------------------------------------------------------------------------


class RatingInline(admin.TabularInline):
    model = Rating
    extra = 0
    fields = ["position", "label", "slug", "value", "description"]
    prepopulated_fields = {"slug": ["label"]}


@admin.register(RatingScale)
class RatingScaleAdmin(AuditedAdmin):
    list_display = ["name", "is_default", "rating_labels"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [RatingInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[RatingScale]:
        return super().get_queryset(request).prefetch_related("ratings")

    @admin.display(description="labels")
    def rating_labels(self, obj: RatingScale) -> str:
        ratings = sorted(obj.ratings.all(), key=lambda r: (r.position, r.value or 0))
        return ", ".join(r.label for r in ratings)


@admin.register(Rating)
class RatingAdmin(AuditedAdmin):
    list_display = ["label", "scale", "value", "position"]
    list_filter = ["scale"]
    list_select_related = ["scale"]
    search_fields = ["label", "scale__name"]
    ordering = ["scale__name", "position"]


# --- Verdicts and reviews -------------------------------------------------------------------


class VerdictEvidenceInline(admin.TabularInline):
    model = VerdictEvidence
    extra = 0
    fields = ["evidence"]
    readonly_fields = ["evidence"]
    can_delete = False
    verbose_name_plural = "rests on evidence"

    def get_queryset(self, request: HttpRequest) -> QuerySet[VerdictEvidence]:
        return super().get_queryset(request).select_related("evidence")

    def has_add_permission(self, request: HttpRequest, obj: Verdict | None = None) -> bool:
        return False


class ReviewInline(admin.TabularInline):
    model = Review
    extra = 0
    fields = ["decision", "reviewer", "comment", "created_at"]
    readonly_fields = fields
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Review]:
        return super().get_queryset(request).select_related("reviewer")

    def has_add_permission(self, request: HttpRequest, obj: Verdict | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Verdict | None = None) -> bool:
        return False


class VerdictForm(AuditedModelForm):
    class Meta:
        model = Verdict
        fields = ["rating", "rationale"]


@admin.register(Verdict)
class VerdictAdmin(AuditedAdmin):
    """A draft verdict's rating and rationale can be edited (through ``verdict_update``);
    everything else moves only through the claim page's workflow actions."""

    form = VerdictForm
    list_display = ["claim", "rating", "status_display", "author", "submitted_at", "published_at"]
    list_filter = ["status", "rating__scale", "rating"]
    list_select_related = ["claim", "rating", "author"]
    search_fields = ["claim__statement", "rationale", "author__username"]
    inlines = [VerdictEvidenceInline, ReviewInline]
    workflow_fields = [
        "claim_link",
        "status_display",
        "author",
        "corrects",
        "public_note",
        "original_rating_text",
        "submitted_at",
        "approved_at",
        "published_at",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Verdict]:
        return super().get_queryset(request).defer("claim__search_vector")

    def get_readonly_fields(self, request: HttpRequest, obj: Verdict | None = None) -> list[str]:
        if obj is not None and obj.status != VerdictStatus.DRAFT:
            return [*self.workflow_fields, "rating", "rationale"]
        return self.workflow_fields

    def get_fieldsets(self, request: HttpRequest, obj: Verdict | None = None) -> list:
        fieldsets = [
            (None, {"fields": ["claim_link", "rating", "rationale"]}),
            ("Workflow", {"fields": [f for f in self.workflow_fields if f != "claim_link"]}),
        ]
        if obj is not None and obj.status == VerdictStatus.DRAFT and self.has_change_permission(request, obj):
            fieldsets.append(("Why", {"fields": ["change_reason"]}))
        return fieldsets

    @admin.display(description="status", ordering="status")
    def status_display(self, obj: Verdict) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="claim")
    def claim_link(self, obj: Verdict) -> str:
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:claims_claim_change", args=[obj.claim_id]), obj.claim
        )

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        messages.info(
            request, "Verdicts are proposed from the claim's page: open the claim and use “Propose verdict”."
        )
        return HttpResponseRedirect(reverse("admin:claims_claim_changelist"))

    def has_delete_permission(self, request: HttpRequest, obj: Verdict | None = None) -> bool:
        return False  # verdicts are history: send back, correct or retract instead

    def save_model(self, request: HttpRequest, obj: Verdict, form: forms.Form, change: bool) -> None:
        # Through the service: it checks the verdict is still a draft and who may edit it.
        try:
            services.verdict_update(
                actor=request.user,
                verdict=obj,
                rating=form.cleaned_data.get("rating"),
                rationale=form.cleaned_data.get("rationale"),
                reason=form.cleaned_data.get("change_reason", ""),
            )
        except DomainError as exc:
            # save_model cannot return a form error; the change view turns this into a message.
            raise _RefusedEdit(exc.message) from exc

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except _RefusedEdit as exc:
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.get_full_path())


class _RefusedEdit(Exception):
    pass


@admin.register(VerdictEvidence)
class VerdictEvidenceAdmin(ReadOnlyAdmin):
    list_display = ["verdict", "evidence"]
    list_select_related = ["verdict__rating", "evidence"]


@admin.register(Review)
class ReviewAdmin(ReadOnlyAdmin):
    """Reviews are written by the approve / send back actions and never change."""

    list_display = ["verdict", "decision", "reviewer", "comment", "created_at"]
    list_filter = ["decision", "created_at"]
    list_select_related = ["verdict__rating", "reviewer"]
    search_fields = ["comment", "reviewer__username", "verdict__claim__statement"]


admin.site.site_header = "factcheck workspace"
admin.site.site_title = "factcheck"
admin.site.index_title = "Desk and records"
