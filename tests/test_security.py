"""Security settings that hold whatever page is served: headers, CSRF, login throttling."""

import pytest
from django.test import Client

from tests.factories import EditorFactory

pytestmark = pytest.mark.django_db


def test_security_headers_on_every_response(client):
    response = client.get("/admin/login/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_admin_login_rejects_a_post_without_csrf_token():
    EditorFactory(username="csrf-editor")
    client = Client(enforce_csrf_checks=True)
    response = client.post("/admin/login/", {"username": "csrf-editor", "password": "pw-for-tests-only"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_login_is_throttled_after_repeated_failures(settings):
    settings.AXES_FAILURE_LIMIT = 3
    EditorFactory(username="locked-editor")
    client = Client()
    for _ in range(3):
        response = client.post(
            "/admin/login/?next=/admin/", {"username": "locked-editor", "password": "wrong"}
        )
    assert response.status_code == 429
    # Even the right password is refused while the lock-out lasts.
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "locked-editor", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_successful_login_works_and_resets_failures(settings):
    settings.AXES_FAILURE_LIMIT = 3
    EditorFactory(username="good-editor")
    client = Client()
    client.post("/admin/login/", {"username": "good-editor", "password": "wrong"})
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "good-editor", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302 and response["Location"] == "/admin/"
