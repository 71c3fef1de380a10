"""The user admin for a desk where Administrators manage people but are not superusers.

Django's stock user admin lets anyone who may change users tick "superuser status" or grant
single permissions, so an Administrator could make themselves all-powerful. Here only a
superuser can touch those fields or edit a superuser; Administrators assign the role groups.
"""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest

User = get_user_model()
_SUPERUSER_ONLY = ("is_superuser", "user_permissions")

admin.site.unregister(User)


@admin.register(User)
class DeskUserAdmin(UserAdmin):
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else fields + _SUPERUSER_ONLY

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)
