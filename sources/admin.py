"""Admin for sources, their snapshots and citations.

The annotation view of a source lives in ``claims.workspace.annotate`` (it makes claims and
evidence); it is mounted here, under the source's own admin URL.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from claims.workspace.base import AuditedAdmin, AuditedModelForm, ReadOnlyAdmin
from factcheck.errors import DomainError
from sources import services
from sources.models import Citation, Snapshot, SnapshotOrigin, Source


class SourceForm(AuditedModelForm):
    class Meta:
        model = Source
        fields = "__all__"

    def clean_url(self) -> str:
        try:
            url = services.normalize_url(self.cleaned_data.get("url", ""))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        clash = Source.objects.filter(url=url).exclude(pk=self.instance.pk) if url else None
        if clash is not None and clash.exists():
            raise forms.ValidationError(f"A source with this address already exists: {url}")
        return url


class CitationInline(admin.TabularInline):
    model = Citation
    fk_name = "citing"
    extra = 0
    autocomplete_fields = ["cited"]
    fields = ["cited", "note"]
    verbose_name = "cites"
    verbose_name_plural = "cites (provenance)"


@admin.register(Source)
class SourceAdmin(AuditedAdmin):
    form = SourceForm
    # Alphabetical, for the list and for the autocomplete that pages through it.
    ordering = ["title", "pk"]
    list_display = [
        "title",
        "kind",
        "publisher",
        "published_on",
        "snapshot_origin",
        "claim_count",
        "annotate_link",
    ]
    list_filter = ["kind", "language", "current_snapshot__origin", "published_on"]
    search_fields = ["title", "url", "publisher", "authors"]
    date_hierarchy = "published_on"
    readonly_fields = ["current_snapshot", "created_by", "created_at", "updated_at", "annotate_link"]
    inlines = [CitationInline]
    fieldsets = [
        (None, {"fields": ["title", "kind", "url", "publisher", "authors", "published_on", "language"]}),
        ("Text", {"fields": ["current_snapshot", "annotate_link"]}),
        ("Internal", {"fields": ["notes", "created_by", "created_at", "updated_at"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Source]:
        # Never load snapshot texts for a list; count claims in the same query.
        return (
            super()
            .get_queryset(request)
            .select_related("current_snapshot", "created_by")
            .defer("current_snapshot__text", "current_snapshot__extraction")
            .annotate(claim_total=Count("snapshots__claims", distinct=True))
        )

    @admin.display(description="text", ordering="current_snapshot__origin")
    def snapshot_origin(self, obj: Source) -> str:
        if obj.current_snapshot is None:
            return "no text yet"
        return obj.current_snapshot.get_origin_display()

    @admin.display(description="claims", ordering="claim_total")
    def claim_count(self, obj: Source) -> int:
        return obj.claim_total

    @admin.display(description="annotate")
    def annotate_link(self, obj: Source) -> str:
        if obj.pk is None or obj.current_snapshot_id is None:
            return "—"
        url = reverse("admin:sources_source_annotate", args=[obj.pk])
        return format_html('<a class="button" href="{}">Read &amp; annotate</a>', url)

    def save_model(self, request: HttpRequest, obj: Source, form: forms.Form, change: bool) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self) -> list[URLPattern]:
        from claims.workspace import annotate

        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/annotate/",
                self.admin_site.admin_view(annotate.AnnotateView.as_view(model_admin=self)),
                name="{}_{}_annotate".format(*info),
            ),
            *super().get_urls(),
        ]


class SnapshotAddForm(AuditedModelForm):
    """Paste a new text for a source: it becomes the source's current snapshot."""

    origin = forms.ChoiceField(
        choices=[
            (SnapshotOrigin.PASTE, SnapshotOrigin.PASTE.label),
            (SnapshotOrigin.EXCERPT, SnapshotOrigin.EXCERPT.label),
        ],
        initial=SnapshotOrigin.PASTE,
    )

    class Meta:
        model = Snapshot
        fields = ["source", "text", "origin"]


@admin.register(Snapshot)
class SnapshotAdmin(ReadOnlyAdmin):
    """Snapshots are immutable (a database trigger refuses changes); new text makes a new one."""

    list_display = ["__str__", "source", "origin", "retrieved_at", "short_sha", "length"]
    list_filter = ["origin", "retrieved_at"]
    search_fields = ["source__title", "sha256"]
    list_select_related = ["source"]
    autocomplete_fields = ["source"]
    readonly_fields = [
        "source",
        "origin",
        "retrieved_at",
        "sha256",
        "extraction",
        "created_by",
        "created_at",
        "text",
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Snapshot]:
        qs = super().get_queryset(request)
        # The list shows lengths, not texts: compute them in the database.
        if request.resolver_match and request.resolver_match.url_name.endswith("_changelist"):
            from django.db.models.functions import Length

            qs = qs.defer("text").annotate(text_length=Length("text"))
        return qs

    @admin.display(description="sha256")
    def short_sha(self, obj: Snapshot) -> str:
        return obj.sha256[:12]

    @admin.display(description="characters")
    def length(self, obj: Snapshot) -> int:
        return getattr(obj, "text_length", None) or len(obj.text)

    def has_add_permission(self, request: HttpRequest, obj: Snapshot | None = None) -> bool:
        return request.user.has_perm("sources.add_snapshot")

    def get_form(self, request: HttpRequest, obj: Snapshot | None = None, change: bool = False, **kwargs):
        if obj is None:
            kwargs["form"] = SnapshotAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Snapshot | None = None) -> list[str]:
        return self.readonly_fields if obj else []

    def get_fieldsets(self, request: HttpRequest, obj: Snapshot | None = None) -> list:
        if obj is None:
            return [(None, {"fields": ["source", "origin", "text"]}), ("Why", {"fields": ["change_reason"]})]
        return super().get_fieldsets(request, obj)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            return super().add_view(request, form_url, extra_context)
        # This POST path skips the stock view, and with it the stock permission check.
        if not self.has_add_permission(request):
            raise DjangoPermissionDenied
        form = SnapshotAddForm(request.POST)
        if form.is_valid():
            try:
                snapshot, created = services.snapshot_add(
                    actor=request.user,
                    source=form.cleaned_data["source"],
                    text=form.cleaned_data["text"],
                    origin=form.cleaned_data["origin"],
                    reason=form.cleaned_data["change_reason"] or "text pasted in the admin",
                )
            except DomainError as exc:
                messages.error(request, exc.message)
                return HttpResponseRedirect(request.get_full_path())
            else:
                note = (
                    "New text saved" if created else "This text was already a snapshot; it is current again"
                )
                messages.success(request, f"{note} for “{snapshot.source}”.")
                return HttpResponseRedirect(reverse("admin:sources_source_change", args=[snapshot.source_id]))
        # Invalid: let the stock view re-render the form with its errors (it writes nothing).
        return super().add_view(request, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Snapshot, form: forms.Form, change: bool) -> None:
        # Never reached: add_view takes valid forms to snapshot_add, and snapshots never change.
        raise DomainError("Snapshots are added through the paste form.")


@admin.register(Citation)
class CitationAdmin(AuditedAdmin):
    list_display = ["citing", "cited", "note", "created_at"]
    list_select_related = ["citing", "cited"]
    search_fields = ["citing__title", "cited__title", "note"]
    autocomplete_fields = ["citing", "cited"]


# --- Ingestion (helper "ingest"): jobs, link checks and "Add source" by URL / upload / paste
# live in sources/admin_views.py; importing it registers JobAdmin and LinkCheckAdmin. The
# source list gets the link-check filter and a "fetch again" action.
from sources.admin_views import LinkStatusFilter, refetch_sources  # noqa: E402

SourceAdmin.list_filter = [*SourceAdmin.list_filter, LinkStatusFilter]
SourceAdmin.actions = [*(SourceAdmin.actions or []), refetch_sources]
