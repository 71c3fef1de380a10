"""Administrators manage people but cannot make anyone, themselves included, a superuser."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import ReviewerFactory

pytestmark = pytest.mark.django_db
User = get_user_model()


def change_form(client, user):
    return client.get(f"/admin/auth/user/{user.pk}/change/")


def test_administrator_cannot_grant_superuser_status(client, administrator):
    client.force_login(administrator)
    response = change_form(client, administrator)
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "is_superuser" not in form.fields and "user_permissions" not in form.fields
    data = {
        "username": administrator.username,
        "is_active": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
        "groups": [g.pk for g in administrator.groups.all()],
        "_reason": "promote myself",
    }
    client.post(f"/admin/auth/user/{administrator.pk}/change/", data)
    administrator.refresh_from_db()
    assert not administrator.is_superuser


def test_administrator_cannot_edit_or_delete_a_superuser(client, administrator):
    root = User.objects.create_superuser("root", "root@example.org", "x-very-long-password-1")
    client.force_login(administrator)
    page = change_form(client, root)  # administrators may view users: read-only for a superuser
    assert page.status_code == 200 and page.context["has_change_permission"] is False
    response = client.post(f"/admin/auth/user/{root.pk}/change/", {"username": "taken-over"})
    root.refresh_from_db()
    assert root.username == "root"
    assert client.post(f"/admin/auth/user/{root.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=root.pk).exists()
    assert response.status_code == 403


def test_administrator_still_assigns_roles_and_superuser_sees_everything(client, administrator, admin_user):
    reviewer = ReviewerFactory()
    client.force_login(administrator)
    assert change_form(client, reviewer).status_code == 200
    client.force_login(admin_user)
    form = change_form(client, reviewer).context["adminform"].form
    assert "is_superuser" in form.fields and "user_permissions" in form.fields
