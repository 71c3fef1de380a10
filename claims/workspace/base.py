"""What every model admin of the project shares: a reason on every change, the audit context
around every write, and a history page built from the database's audit trail."""

from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from claims.selectors import HistoryEntry, object_history
from factcheck.audit import audit_context

REASON_FIELD = "change_reason"


class AuditedModelForm(forms.ModelForm):
    """A model form with a "Reason for this change" field, required when editing."""

    change_reason = forms.CharField(
        label="Reason for this change",
        required=False,
        max_length=500,
        widget=forms.TextInput(attrs={"size": 80, "placeholder": "e.g. fixed the outlet's name"}),
        help_text="Recorded in the history with your name. Required when you change something.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if REASON_FIELD in self.fields:
            self.fields[REASON_FIELD].required = self.instance.pk is not None


def _reason(request: HttpRequest, default: str) -> str:
    return request.POST.get(REASON_FIELD, "").strip() or default


class AuditedAdmin(admin.ModelAdmin):
    """Every write the stock admin makes (forms, inlines, deletes, bulk actions) runs inside the
    audit context, so the database's event rows carry the actor and the reason."""

    form = AuditedModelForm
    history_template = "admin/workspace/history.html"

    def get_fieldsets(self, request: HttpRequest, obj: models.Model | None = None) -> list:
        # The default fieldset lists every form field: take the reason out of it and give it a
        # box of its own at the end, shown only to those who may write.
        fieldsets = [
            (name, {**opts, "fields": [f for f in opts.get("fields", ()) if f != REASON_FIELD]})
            for name, opts in super().get_fieldsets(request, obj)
        ]
        writable = self.has_change_permission(request, obj) if obj else self.has_add_permission(request)
        if not writable:
            return fieldsets
        return [*fieldsets, ("Why", {"fields": [REASON_FIELD], "classes": ["reason-box"]})]

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict | None = None,
    ) -> HttpResponse:
        default = "added in the admin" if object_id is None else "changed in the admin"
        with audit_context(request.user, _reason(request, default)):
            return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        with audit_context(request.user, _reason(request, "deleted in the admin")):
            return super().delete_view(request, object_id, extra_context)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        action = request.POST.get("action", "") if request.method == "POST" else ""
        with audit_context(request.user, _reason(request, f"admin list action {action}".strip())):
            return super().changelist_view(request, extra_context)

    # --- History from the audit trail (not Django's LogEntry) ------------------------------

    def get_history(self, obj: models.Model) -> list[HistoryEntry]:
        return object_history(obj)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {self.opts.verbose_name} with id {object_id!r}.")
        if not self.has_view_or_change_permission(request, obj):
            raise PermissionDenied
        entries = list(reversed(self.get_history(obj)))  # newest first, as a desk reads it
        context = {
            **self.admin_site.each_context(request),
            "title": f"History: {obj}",
            "subtitle": None,
            "object": obj,
            "opts": self.opts,
            "entries": entries,
            "covers_related": self.history_covers_related,
            "has_view_permission": True,
            **(extra_context or {}),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.history_template, context)

    history_covers_related = ""


class ReadOnlyAdmin(AuditedAdmin):
    """Rows the database refuses to change (snapshots, reviews): view and history only."""

    def has_add_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: models.Model | None = None) -> bool:
        return False
