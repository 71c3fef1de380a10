"""Admin for newsroom clients (keys shown once), webhook deliveries, export jobs and
ClaimReview imports."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from factcheck.errors import DomainError
from newsroom import importing, services
from newsroom.models import ExportJob, ImportedReview, NewsroomClient, WebhookDelivery


class NewsroomClientAddForm(forms.ModelForm):
    class Meta:
        model = NewsroomClient
        fields = ["name", "contact_email", "rate", "webhook_url"]


@admin.register(NewsroomClient)
class NewsroomClientAdmin(admin.ModelAdmin):
    list_display = ["name", "key_prefix", "rate", "is_active", "last_used_at", "webhook_url", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "key_prefix", "contact_email"]
    readonly_fields = [
        "key_prefix",
        "last_used_at",
        "revoked_at",
        "created_at",
        "created_by",
        "secret_display",
    ]
    fields = [
        "name",
        "contact_email",
        "rate",
        "is_active",
        "revoked_at",
        "key_prefix",
        "last_used_at",
        "webhook_url",
        "secret_display",
        "created_by",
        "created_at",
    ]
    actions = ["revoke_keys"]

    @admin.display(description="webhook secret")
    def secret_display(self, client: NewsroomClient) -> str:
        return client.webhook_secret or "—"

    def get_form(self, request: HttpRequest, obj: NewsroomClient | None = None, **kwargs: Any) -> Any:
        if obj is None:
            kwargs["form"] = NewsroomClientAddForm
            kwargs["fields"] = NewsroomClientAddForm.Meta.fields
        return super().get_form(request, obj, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: NewsroomClient | None = None) -> Any:
        if obj is None:
            return [(None, {"fields": NewsroomClientAddForm.Meta.fields})]
        return super().get_fieldsets(request, obj)

    def save_model(self, request: HttpRequest, obj: NewsroomClient, form: Any, change: bool) -> None:
        if change:
            was_active = NewsroomClient.objects.values_list("is_active", flat=True).get(pk=obj.pk)
            if was_active and not obj.is_active:
                services.client_revoke(actor=request.user, client=obj, reason="revoked in the admin")
                obj.refresh_from_db()
                return
            if obj.webhook_url and not obj.webhook_secret:
                obj.webhook_secret = NewsroomClient.new_webhook_secret()
            super().save_model(request, obj, form, change)
            return
        client, key = services.client_create(
            actor=request.user,
            name=obj.name,
            rate=obj.rate,
            contact_email=obj.contact_email,
            webhook_url=obj.webhook_url,
        )
        obj.pk = client.pk
        obj.__dict__.update(client.__dict__)
        self._show_key_once(request, client, key)

    def _show_key_once(self, request: HttpRequest, client: NewsroomClient, key: str) -> None:
        # The key is in this message and nowhere else: only its hash is stored.
        messages.warning(
            request,
            format_html(
                "API key for {}: <code>{}</code> — copy it now; it will not be shown again.",
                client.name,
                key,
            ),
        )

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/rotate-key/",
                self.admin_site.admin_view(self.rotate_key_view),
                name="newsroom_newsroomclient_rotate",
            ),
            *super().get_urls(),
        ]

    def rotate_key_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        client = get_object_or_404(NewsroomClient, pk=pk)
        if not self.has_change_permission(request, client):
            raise DjangoPermissionDenied
        if request.method == "POST":
            self._show_key_once(
                request, client, services.client_rotate_key(actor=request.user, client=client)
            )
            return HttpResponseRedirect(reverse("admin:newsroom_newsroomclient_change", args=[pk]))
        return TemplateResponse(
            request,
            "admin/newsroom/rotate_key.html",
            {
                **self.admin_site.each_context(request),
                "client": client,
                "opts": self.opts,
                "title": "Rotate API key",
            },
        )

    @admin.action(description="Revoke the selected clients' keys", permissions=["change"])
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[NewsroomClient]) -> None:
        for client in queryset:
            services.client_revoke(actor=request.user, client=client, reason="revoked in the admin")
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "attempted_at",
        "client",
        "event_type",
        "claim_id",
        "attempt",
        "outcome",
        "status_code",
        "duration_ms",
    ]
    list_filter = ["outcome", "event_type", "client"]
    list_select_related = ["client"]
    search_fields = ["event_id", "claim_id"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "format",
        "status",
        "progress",
        "download",
        "created_by",
        "created_at",
        "finished_at",
    ]
    list_filter = ["status", "format"]
    list_select_related = ["created_by"]
    fields = [
        "format",
        "status",
        "progress",
        "download",
        "error",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]
    readonly_fields = [
        "status",
        "progress",
        "download",
        "error",
        "created_by",
        "created_at",
        "started_at",
        "finished_at",
    ]

    @admin.display(description="progress")
    def progress(self, job: ExportJob) -> str:
        percent = job.progress_percent
        if percent is None:
            return "—"
        return format_html(
            '<progress max="100" value="{}"></progress> {}% ({} of {})',
            percent,
            percent,
            job.rows_done,
            job.rows_total,
        )

    @admin.display(description="file")
    def download(self, job: ExportJob) -> str:
        if job.status != ExportJob.Status.SUCCEEDED or not job.file:
            return "—"
        url = reverse("admin:newsroom_exportjob_download", args=[job.pk])
        return format_html('<a href="{}">Download</a>', url)

    def get_readonly_fields(self, request: HttpRequest, obj: ExportJob | None = None) -> list[str]:
        return [*self.readonly_fields, "format"] if obj else self.readonly_fields

    def save_model(self, request: HttpRequest, obj: ExportJob, form: Any, change: bool) -> None:
        if change:
            return
        job = services.export_job_create(actor=request.user, format=obj.format)
        obj.pk = job.pk
        obj.__dict__.update(job.__dict__)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False if obj is not None else super().has_change_permission(request, obj)

    def get_urls(self) -> list:
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="newsroom_exportjob_download",
            ),
            *super().get_urls(),
        ]

    def download_view(self, request: HttpRequest, pk: int) -> FileResponse:
        # Served through the admin (staff, with view permission), never from a public URL.
        job = get_object_or_404(ExportJob, pk=pk, status=ExportJob.Status.SUCCEEDED)
        if not self.has_view_permission(request, job):
            raise DjangoPermissionDenied
        try:
            handle = job.file.open("rb")
        except (FileNotFoundError, ValueError) as exc:
            raise Http404("The export file is gone.") from exc
        return FileResponse(handle, as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1])


class ImportForm(forms.Form):
    file = forms.FileField(help_text="ClaimReview JSON-LD: one object, a list, or a DataFeed.")


@admin.register(ImportedReview)
class ImportedReviewAdmin(admin.ModelAdmin):
    list_display = ["url", "publisher", "language", "claim", "imported_by", "imported_at"]
    list_select_related = ["claim", "imported_by"]
    search_fields = ["url", "publisher"]
    readonly_fields = ["url", "publisher", "language", "claim", "document", "imported_by", "imported_at"]
    change_list_template = "admin/newsroom/importedreview/change_list.html"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_urls(self) -> list:
        return [
            path(
                "upload/", self.admin_site.admin_view(self.upload_view), name="newsroom_importedreview_upload"
            ),
            *super().get_urls(),
        ]

    def upload_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("claims.publish_claim"):
            raise DjangoPermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        summary = None
        if request.method == "POST" and form.is_valid():
            try:
                summary = importing.import_claim_reviews_text(
                    form.cleaned_data["file"].read(), importer=request.user
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return TemplateResponse(
            request,
            "admin/newsroom/importedreview/upload.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "form": form,
                "summary": summary,
                "title": "Import ClaimReview",
            },
        )
