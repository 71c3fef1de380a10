"""django-otp registers an admin for TOTP devices that shows each secret key (and its QR
code) to whoever may view devices. Replace it with one that lists who has two-factor
authentication on and lets an administrator delete a lost device (its owner then logs in with
the password alone and enrols again), never showing a secret."""

import logging

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

logger = logging.getLogger("accounts.twofactor")

admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    list_select_related = ("user",)
    search_fields = ("user__username",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields
    ordering = ("user__username", "pk")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people enrol themselves, from the "Two-factor authentication" page

    def has_change_permission(self, request: HttpRequest, obj: TOTPDevice | None = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: TOTPDevice) -> None:
        device_id = obj.pk  # None once deleted
        super().delete_model(request, obj)
        logger.info(
            "two-factor device deleted by an administrator",
            extra={"user_id": obj.user_id, "device_id": device_id, "actor_id": request.user.pk},
        )

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[TOTPDevice]) -> None:
        deleted = list(queryset.values_list("pk", "user_id"))
        super().delete_queryset(request, queryset)
        for device_id, user_id in deleted:
            logger.info(
                "two-factor device deleted by an administrator",
                extra={"user_id": user_id, "device_id": device_id, "actor_id": request.user.pk},
            )


# The user admin with superuser-only fields (accounts/users.py).
from accounts import users  # noqa: E402, F401
