"""The ingestion admin: jobs with their progress, link checks, and "Add source" by URL, upload
or paste. Registered from the end of ``sources/admin.py``.

Everything here calls ``sources.services``; nothing writes a model directly.
"""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from claims.workspace.base import ReadOnlyAdmin
from factcheck.errors import DomainError
from sources import services
from sources.forms import IngestPasteForm, IngestUploadForm, IngestUrlForm
from sources.models import Job, JobStatus, LinkCheck, LinkOutcome, Source
from sources.selectors import job_report, jobs_for_admin, sources_with_latest_check


def _can_ingest(request: HttpRequest) -> bool:
    return request.user.has_perm("sources.add_source")


def _can_see_jobs(request: HttpRequest) -> bool:
    # Whoever may see sources may follow how they arrived.
    return request.user.has_perm("sources.view_job") or request.user.has_perm("sources.view_source")


def progress_bar(job: Job) -> str:
    label = f"{job.progress}%"
    return format_html(
        '<progress class="fc-job-progress" value="{}" max="100" aria-label="{}">{}</progress> {}',
        job.progress,
        f"Progress of job {job.pk}",
        label,
        label,
    )


_STATUS_COLOURS = {
    JobStatus.QUEUED: "#666",
    JobStatus.RUNNING: "#205493",
    JobStatus.SUCCEEDED: "#2e7d32",
    JobStatus.FAILED: "#b71c1c",
}


def status_badge(job: Job) -> str:
    return format_html(
        '<strong style="color:{}">{}</strong>',
        _STATUS_COLOURS.get(job.status, "#000"),
        job.get_status_display(),
    )


class IngestionRecordsAdmin(ReadOnlyAdmin):
    """Jobs and link checks: seen by whoever may see sources, acted on (retry, re-fetch) by
    whoever may add them."""

    def has_view_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return _can_see_jobs(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _can_see_jobs(request)

    def has_ingest_permission(self, request: HttpRequest) -> bool:
        return _can_ingest(request)


@admin.register(Job)
class JobAdmin(IngestionRecordsAdmin):
    list_display = [
        "id",
        "kind",
        "target",
        "source_link",
        "status_display",
        "progress_display",
        "attempts",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_display_links = ["id", "target"]
    list_filter = ["status", "kind", "created_at"]
    search_fields = ["input_url", "input_filename", "source__title", "error"]
    date_hierarchy = "created_at"
    actions = ["retry_jobs"]
    fields = [
        "kind",
        "status_display",
        "progress_display",
        "source_link",
        "input_url",
        "input_filename",
        "error",
        "attempts",
        "retry_at",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
        "task_id",
    ]
    readonly_fields = fields
    change_form_template = "admin/sources/job/change_form.html"
    change_list_template = "admin/sources/job/change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Job]:
        return jobs_for_admin()

    @admin.display(description="what")
    def target(self, job: Job) -> str:
        return job.input_url or job.input_filename or (job.source.title if job.source_id else "—")

    @admin.display(description="source")
    def source_link(self, job: Job) -> str:
        if job.source_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:sources_source_change", args=[job.source_id]), job.source
        )

    @admin.display(description="status", ordering="status")
    def status_display(self, job: Job) -> str:
        return status_badge(job)

    @admin.display(description="progress", ordering="progress")
    def progress_display(self, job: Job) -> str:
        return progress_bar(job)

    @admin.action(description="Retry the selected failed jobs", permissions=["ingest"])
    def retry_jobs(self, request: HttpRequest, queryset: QuerySet[Job]) -> None:
        retried, refused = 0, []
        for job in queryset.filter(status=JobStatus.FAILED):
            try:
                services.job_retry(actor=request.user, job=job, reason="retried in the admin")
                retried += 1
            except DomainError as exc:
                refused.append(f"#{job.pk}: {exc.message}")
        skipped = queryset.exclude(status=JobStatus.FAILED).count()
        if retried:
            messages.success(request, f"{retried} job(s) queued again.")
        if skipped:
            messages.warning(request, f"{skipped} job(s) skipped: only failed jobs can be retried.")
        for message in refused:
            messages.error(request, message)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return super().changelist_view(request, {**(extra_context or {}), "can_ingest": _can_ingest(request)})

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict | None = None
    ) -> HttpResponse:
        job = self.get_object(request, unquote(object_id))
        extra = dict(extra_context or {})
        if job is not None:
            extra.update(
                report=job_report(job),
                can_retry=job.status == JobStatus.FAILED and _can_ingest(request),
                # Reloads the page while the job is under way, so a person can watch it finish.
                refresh_seconds=None if job.is_finished else 2,
            )
        return super().change_view(request, object_id, form_url, extra)

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view
        return [
            path("ingest/url/", view(self.ingest_url_view), name="sources_job_ingest_url"),
            path("ingest/upload/", view(self.ingest_upload_view), name="sources_job_ingest_upload"),
            path("ingest/paste/", view(self.ingest_paste_view), name="sources_job_ingest_paste"),
            path("<path:object_id>/retry/", view(self.retry_view), name="sources_job_retry"),
            *super().get_urls(),
        ]

    # --- "Add source" views -----------------------------------------------------------------

    def _ingest_view(
        self, request: HttpRequest, form_class: type[forms.Form], mode: str, start: Any
    ) -> HttpResponse:
        if not _can_ingest(request):
            raise DjangoPermissionDenied
        form = form_class(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                job = start(form.cleaned_data)
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if job.status == JobStatus.SUCCEEDED:
                    messages.success(request, f"“{job.source}” was added with its text.")
                else:
                    messages.success(
                        request, f"“{job.source}” was added; its text is on the way (job #{job.pk})."
                    )
                return HttpResponseRedirect(reverse("admin:sources_job_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": "Add a source",
            "opts": self.opts,
            "form": form,
            "mode": mode,
            "modes": [
                ("url", "By address", reverse("admin:sources_job_ingest_url")),
                ("upload", "Upload a file", reverse("admin:sources_job_ingest_upload")),
                ("paste", "Paste text", reverse("admin:sources_job_ingest_paste")),
            ],
            "multipart": mode == "upload",
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/sources/job/ingest_form.html", context)

    def ingest_url_view(self, request: HttpRequest) -> HttpResponse:
        return self._ingest_view(
            request,
            IngestUrlForm,
            "url",
            lambda data: services.ingest_url(
                actor=request.user, url=data["url"], title=data["title"], kind=data["kind"]
            ),
        )

    def ingest_upload_view(self, request: HttpRequest) -> HttpResponse:
        return self._ingest_view(
            request,
            IngestUploadForm,
            "upload",
            lambda data: services.ingest_upload(
                actor=request.user,
                data=data["data"],
                filename=data["file"].name,
                title=data["title"],
                kind=data["kind"],
                publisher=data["publisher"],
                authors=data["authors"],
                published_on=data["published_on"],
                language=data["language"],
            ),
        )

    def ingest_paste_view(self, request: HttpRequest) -> HttpResponse:
        return self._ingest_view(
            request,
            IngestPasteForm,
            "paste",
            lambda data: services.ingest_paste(
                actor=request.user,
                text=data["text"],
                title=data["title"],
                url=data["url"],
                kind=data["kind"],
                publisher=data["publisher"],
                authors=data["authors"],
                published_on=data["published_on"],
                language=data["language"],
            ),
        )

    def retry_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST" or not _can_ingest(request):
            raise DjangoPermissionDenied
        job = self.get_object(request, unquote(object_id))
        if job is None:
            return HttpResponseRedirect(reverse("admin:sources_job_changelist"))
        try:
            services.job_retry(actor=request.user, job=job, reason="retried in the admin")
            messages.success(request, f"Job #{job.pk} is queued again.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("admin:sources_job_change", args=[job.pk]))


# --- Link checks --------------------------------------------------------------------------


class LinkStatusFilter(admin.SimpleListFilter):
    """Sources by the outcome of their latest link check (for the source list)."""

    title = "link check"
    parameter_name = "link"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [
            ("attention", "Needs attention (dead, changed, moved)"),
            *LinkOutcome.choices,
            ("never", "Never checked"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Source]) -> QuerySet[Source]:
        value = self.value()
        if not value:
            return queryset
        if value == "never":
            return queryset.exclude(pk__in=LinkCheck.objects.values("source_id"))
        annotated = sources_with_latest_check()
        if value == "attention":
            wanted = annotated.exclude(link_outcome=LinkOutcome.OK).exclude(link_outcome__isnull=True)
        else:
            wanted = annotated.filter(link_outcome=value)
        return queryset.filter(pk__in=wanted.values("pk"))


# permissions=["add"]: on the source list, offered to those who may add sources.
@admin.action(description="Fetch the selected sources again from their address", permissions=["add"])
def refetch_sources(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet[Source]) -> None:
    if not _can_ingest(request):
        raise DjangoPermissionDenied
    started, refused = 0, []
    for source in queryset:
        try:
            services.source_refetch(actor=request.user, source=source, reason="re-fetched in the admin")
            started += 1
        except DomainError as exc:
            refused.append(f"{source}: {exc.message}")
    if started:
        messages.success(request, f"{started} fetch job(s) queued; see Jobs for their progress.")
    for message in refused:
        messages.error(request, message)


@admin.register(LinkCheck)
class LinkCheckAdmin(IngestionRecordsAdmin):
    list_display = ["source", "outcome_display", "status_code", "final_url", "detail", "checked_at"]
    list_filter = ["outcome", "checked_at"]
    search_fields = ["source__title", "source__url", "final_url"]
    list_select_related = ["source"]
    date_hierarchy = "checked_at"
    actions = ["refetch", "check_again"]
    fields = [
        "source",
        "outcome",
        "status_code",
        "final_url",
        "content_sha256",
        "detail",
        "checked_at",
        "job",
    ]
    readonly_fields = fields

    @admin.display(description="outcome", ordering="outcome")
    def outcome_display(self, check: LinkCheck) -> str:
        colour = "#2e7d32" if check.outcome == LinkOutcome.OK else "#b71c1c"
        return format_html('<strong style="color:{}">{}</strong>', colour, check.get_outcome_display())

    @admin.action(description="Fetch these sources again (new snapshot if changed)", permissions=["ingest"])
    def refetch(self, request: HttpRequest, queryset: QuerySet[LinkCheck]) -> None:
        sources = Source.objects.filter(pk__in=queryset.values("source_id"))
        refetch_sources(self, request, sources)

    @admin.action(description="Check these links again now", permissions=["ingest"])
    def check_again(self, request: HttpRequest, queryset: QuerySet[LinkCheck]) -> None:
        count = services.link_checks_enqueue(
            actor=request.user, sources=Source.objects.filter(pk__in=queryset.values("source_id"))
        )
        messages.success(request, f"{count} link check(s) queued.")
