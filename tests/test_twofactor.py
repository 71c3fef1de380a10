"""Optional two-factor authentication for the admin (accounts/, django-otp TOTP devices).

Codes are computed the way an authenticator app does (django_otp.oath.TOTP over the device's
key), one time step after the last one the device accepted, since a used code is refused.
"""

import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from claims.roles import ADMINISTRATOR
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-for-tests-only"
PAGE = "/admin/two-factor/"
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture(autouse=True)
def _no_throttle_wait(settings):
    # django-otp refuses any code for 1 s after a failure, doubling each time; tests that send a
    # wrong code and then the right one would otherwise depend on the clock.
    settings.OTP_TOTP_THROTTLE_FACTOR = 0


def code(device: TOTPDevice, *, wrong: bool = False) -> str:
    """A code the app would show, for a time step the device has not accepted yet."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    while totp.t() <= device.last_t:
        totp.time += device.step
    token = totp.token()
    if wrong:
        token = (token + 1) % 10**device.digits
    return f"{token:0{device.digits}d}"


def enrolled(user: AbstractBaseUser) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def login(client: Client, user: AbstractBaseUser, otp_token: str | None = None) -> HttpResponse:
    data = {"username": user.username, "password": PASSWORD}
    if otp_token is not None:
        data["otp_token"] = otp_token
    return client.post(LOGIN, data)


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


# --- Enrolment --------------------------------------------------------------------------------


def test_the_admin_links_the_page_from_the_user_tools(client, reviewer):
    client.force_login(reviewer)
    response = client.get("/admin/")
    assert f'<a href="{PAGE}">Two-factor authentication</a>' in response.text


def test_enrolment_completes_only_with_a_valid_code(client, editor):
    client.force_login(editor)
    response = client.get(PAGE)
    assert response.status_code == 200 and "Set up an authenticator app" in response.text
    # Looking at the page writes nothing; starting makes an unconfirmed device with a secret.
    assert not TOTPDevice.objects.filter(user=editor).exists()
    response = client.post(reverse("accounts:two-factor-start"))
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=editor)
    assert not device.confirmed

    page = client.get(PAGE).text
    assert 'id="otp-secret"' in page and reverse("accounts:two-factor-qr") in page
    qr = client.get(reverse("accounts:two-factor-qr"))
    assert qr["Content-Type"] == "image/svg+xml" and qr.text.startswith("<svg")
    assert "no-store" in qr["Cache-Control"]

    response = client.post(reverse("accounts:two-factor-confirm"), {"otp_token": code(device, wrong=True)})
    assert response.status_code == 200
    assert "That code is wrong or has expired" in response.text
    device.refresh_from_db()
    assert not device.confirmed

    response = client.post(reverse("accounts:two-factor-confirm"), {"otp_token": "abc"})
    assert response.status_code == 200 and "That code is wrong" in response.text
    response = client.post(reverse("accounts:two-factor-confirm"), {"otp_token": ""})
    assert response.status_code == 200 and "This field is required" in response.text

    token = code(device)
    response = client.post(reverse("accounts:two-factor-confirm"), {"otp_token": f"{token[:3]} {token[3:]}"})
    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    # The session that enrolled counts as verified by a code.
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    page = client.get(PAGE).text
    assert "Turn two-factor authentication off" in page and 'id="otp-secret"' not in page
    # Once confirmed, the secret is never shown again.
    assert client.get(reverse("accounts:two-factor-qr")).status_code == 404


def test_a_code_is_accepted_once(client, editor):
    client.force_login(editor)
    client.post(reverse("accounts:two-factor-start"))
    device = TOTPDevice.objects.get(user=editor)
    token = code(device)
    assert client.post(reverse("accounts:two-factor-confirm"), {"otp_token": token}).status_code == 302
    # The same code again, to turn it off: refused.
    response = client.post(reverse("accounts:two-factor-remove"), {"otp_token": token})
    assert response.status_code == 200 and "That code is wrong" in response.text
    assert TOTPDevice.objects.filter(user=editor).exists()


def test_starting_again_replaces_the_unconfirmed_key_but_not_a_confirmed_device(client, editor):
    client.force_login(editor)
    client.post(reverse("accounts:two-factor-start"))
    first = TOTPDevice.objects.get(user=editor)
    client.post(reverse("accounts:two-factor-start"))
    second = TOTPDevice.objects.get(user=editor)
    assert second.pk != first.pk and second.key != first.key

    TOTPDevice.objects.filter(pk=second.pk).update(confirmed=True)
    response = client.post(reverse("accounts:two-factor-start"), follow=True)
    assert "already on" in response.text
    assert list(TOTPDevice.objects.filter(user=editor)) == [second]


def test_removal_requires_a_valid_code(client, editor):
    device = enrolled(editor)
    client.force_login(editor)
    response = client.post(reverse("accounts:two-factor-remove"), {"otp_token": code(device, wrong=True)})
    assert response.status_code == 200 and "That code is wrong" in response.text
    assert TOTPDevice.objects.filter(user=editor).exists()
    response = client.post(reverse("accounts:two-factor-remove"), {"otp_token": ""})
    assert response.status_code == 200 and TOTPDevice.objects.filter(user=editor).exists()

    response = client.post(reverse("accounts:two-factor-remove"), {"otp_token": code(device)})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=editor).exists()
    # And the next login asks for no code.
    client.logout()
    assert login(client, editor).status_code == 302 and logged_in(client)


def test_pages_are_for_staff_only_and_actions_are_posts(client, editor):
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    response = client.post(reverse("accounts:two-factor-start"))
    assert response.status_code == 302 and not TOTPDevice.objects.exists()
    not_staff = UserFactory(is_staff=False)
    client.force_login(not_staff)
    assert client.get(PAGE).status_code == 302
    client.force_login(editor)
    assert client.get(reverse("accounts:two-factor-start")).status_code == 405
    assert client.get(reverse("accounts:two-factor-remove")).status_code == 405


def test_a_run_of_wrong_codes_makes_the_page_ask_to_wait(client, editor, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 600  # the first wait lasts ten minutes: no race
    device = enrolled(editor)
    client.force_login(editor)
    client.post(reverse("accounts:two-factor-remove"), {"otp_token": code(device, wrong=True)})
    response = client.post(reverse("accounts:two-factor-remove"), {"otp_token": code(device)})
    assert "Too many wrong codes" in response.text
    assert TOTPDevice.objects.filter(user=editor).exists()


def test_removing_when_not_enrolled_says_so(client, editor):
    client.force_login(editor)
    response = client.post(reverse("accounts:two-factor-remove"), {"otp_token": "123456"})
    assert response.status_code == 200 and "is not on for your account" in response.text


def test_confirming_without_starting_says_so(client, editor):
    client.force_login(editor)
    response = client.post(reverse("accounts:two-factor-confirm"), {"otp_token": "123456"})
    assert response.status_code == 200 and "Start the set-up again" in response.text


@pytest.mark.parametrize("action", ["two-factor-start", "two-factor-confirm", "two-factor-remove"])
def test_every_post_needs_a_csrf_token(editor, action):
    device = enrolled(editor) if action == "two-factor-remove" else None
    if action == "two-factor-confirm":
        device = TOTPDevice.objects.create(user=editor, confirmed=False)
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    before = list(TOTPDevice.objects.filter(user=editor).values_list("pk", "confirmed"))
    data = {"otp_token": code(device)} if device else {}
    response = client.post(reverse(f"accounts:{action}"), data)
    assert response.status_code == 403
    assert list(TOTPDevice.objects.filter(user=editor).values_list("pk", "confirmed")) == before


def test_enrolment_and_removal_are_logged(client, editor, caplog):
    client.force_login(editor)
    with caplog.at_level("INFO", logger="accounts.twofactor"):
        client.post(reverse("accounts:two-factor-start"))
        device = TOTPDevice.objects.get(user=editor)
        client.post(reverse("accounts:two-factor-confirm"), {"otp_token": code(device)})
        client.post(reverse("accounts:two-factor-remove"), {"otp_token": code(device)})
    events = [(r.getMessage(), r.user_id) for r in caplog.records if r.name == "accounts.twofactor"]
    assert events == [
        ("two-factor enrolment started", editor.pk),
        ("two-factor enrolled", editor.pk),
        ("two-factor removed", editor.pk),
    ]


# --- Login ------------------------------------------------------------------------------------


def test_login_page_keeps_the_stock_look_with_an_optional_code_field(client):
    page = client.get(LOGIN).text
    assert 'id="login-form"' in page and 'name="username"' in page and 'name="password"' in page
    assert 'name="otp_token"' in page and 'autocomplete="one-time-code"' in page
    assert "required" not in page.split('name="otp_token"')[1].split(">")[0]


def test_users_without_a_device_log_in_as_before(client, editor):
    response = login(client, editor)
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert logged_in(client)
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_enrolled_user_needs_the_code(client, editor, caplog):
    device = enrolled(editor)
    response = login(client, editor)
    assert response.status_code == 200 and not logged_in(client)
    assert "one-time code" in response.context["form"].non_field_errors()[0]

    response = login(client, editor, code(device, wrong=True))
    assert response.status_code == 200 and not logged_in(client)

    with caplog.at_level("INFO", logger="accounts.twofactor"):
        response = login(client, editor, code(device))
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert logged_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    events = [(r.getMessage(), r.user_id) for r in caplog.records if r.name == "accounts.twofactor"]
    assert events[-1] == ("two-factor login", editor.pk)
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_reads_like_a_wrong_password(client, editor):
    """The form must not tell a guesser that the password was right."""
    enrolled(editor)
    wrong_password = client.post(LOGIN, {"username": editor.username, "password": "nope"})
    no_code = login(client, editor)
    assert wrong_password.context["form"].non_field_errors() == no_code.context["form"].non_field_errors()


def test_a_code_does_not_replace_the_password(client, editor):
    device = enrolled(editor)
    response = client.post(
        LOGIN, {"username": editor.username, "password": "nope", "otp_token": code(device)}
    )
    assert response.status_code == 200 and not logged_in(client)
    device.refresh_from_db()
    assert device.last_t == -1  # the code was never even checked


def test_a_code_from_another_users_device_is_refused(client, editor, second_editor):
    enrolled(editor)
    other = enrolled(second_editor)
    response = login(client, editor, code(other))
    assert response.status_code == 200 and not logged_in(client)


def test_missing_and_wrong_codes_count_as_failed_logins_for_axes(client, editor, settings):
    settings.AXES_FAILURE_LIMIT = 3
    device = enrolled(editor)
    login(client, editor)
    login(client, editor, code(device, wrong=True))
    assert AccessAttempt.objects.get(username=editor.username).failures_since_start == 2
    response = login(client, editor, "000000")
    assert response.status_code == 429
    # Locked out: even the right password and code are refused.
    response = login(client, editor, code(device))
    assert response.status_code == 429 and not logged_in(client)


def test_a_good_code_resets_the_failure_count(client, editor, settings):
    settings.AXES_FAILURE_LIMIT = 3
    device = enrolled(editor)
    login(client, editor)
    assert login(client, editor, code(device)).status_code == 302
    assert not AccessAttempt.objects.filter(username=editor.username, failures_since_start__gt=0).exists()


def test_login_with_a_code_needs_a_csrf_token(editor):
    device = enrolled(editor)
    client = Client(enforce_csrf_checks=True)
    response = login(client, editor, code(device))
    assert response.status_code == 403 and not logged_in(client)


# --- EDITOR_2FA_REQUIRED ----------------------------------------------------------------------


def test_when_required_editors_without_a_device_are_sent_to_enrolment(client, editor, settings):
    settings.EDITOR_2FA_REQUIRED = True
    response = login(client, editor)
    assert response.status_code == 302 and logged_in(client)
    for path in ("/admin/", "/admin/claims/claim/", reverse("admin:claims_desk")):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"{PAGE}?next={path.replace('/', '%2F')}"
    page = client.get(PAGE)
    assert page.status_code == 200 and "Your role requires two-factor authentication" in page.text
    # Logging out stays possible.
    assert client.post(reverse("admin:logout")).status_code == 200


def test_when_required_enrolment_lets_the_editor_back_to_where_they_were(client, editor, settings):
    settings.EDITOR_2FA_REQUIRED = True
    client.force_login(editor)
    next_page = "/admin/claims/claim/"
    client.post(reverse("accounts:two-factor-start"), {"next": next_page})
    device = TOTPDevice.objects.get(user=editor)
    response = client.post(
        reverse("accounts:two-factor-confirm"), {"otp_token": code(device), "next": next_page}
    )
    assert response.status_code == 302 and response["Location"] == next_page
    assert client.get(next_page).status_code == 200
    # Only local pages: an outside address falls back to the enrolment page.
    client.post(reverse("accounts:two-factor-remove"), {"otp_token": code(device)})
    client.post(reverse("accounts:two-factor-start"))
    device = TOTPDevice.objects.get(user=editor)
    response = client.post(
        reverse("accounts:two-factor-confirm"), {"otp_token": code(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == PAGE


def test_when_required_administrators_too_but_not_reviewers(client, reviewer, settings):
    settings.EDITOR_2FA_REQUIRED = True
    administrator = UserFactory(role=ADMINISTRATOR)
    client.force_login(administrator)
    assert client.get("/admin/").status_code == 302
    client.force_login(reviewer)
    assert client.get("/admin/").status_code == 200
    assert "Your role requires" not in client.get(PAGE).text


def _admin_index_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/admin/").status_code == 200
    return len(queries)


def test_when_required_enrolled_editors_use_the_admin_at_little_cost(client, editor, settings):
    device = enrolled(editor)
    assert login(client, editor, code(device)).status_code == 302
    settings.EDITOR_2FA_REQUIRED = False
    before = _admin_index_queries(client)
    settings.EDITOR_2FA_REQUIRED = True
    # A session verified by a code needs no check of its own.
    assert _admin_index_queries(client) == before

    # A session opened without a code (here force_login) is checked with one query.
    client = Client()
    client.force_login(editor)
    settings.EDITOR_2FA_REQUIRED = False
    before = _admin_index_queries(client)
    settings.EDITOR_2FA_REQUIRED = True
    assert _admin_index_queries(client) == before + 1


def test_not_required_by_default(client, editor):
    client.force_login(editor)
    assert client.get("/admin/").status_code == 200


def test_the_public_site_is_not_guarded(client, editor, settings):
    settings.EDITOR_2FA_REQUIRED = True
    client.force_login(editor)
    assert client.get("/healthz/live").status_code == 200
    assert client.get("/").status_code == 200


# --- Administrators' view of devices ----------------------------------------------------------


def test_device_admin_never_shows_the_secret(client, editor):
    device = enrolled(editor)
    superuser = UserFactory(is_superuser=True)
    client.force_login(superuser)
    changelist = client.get(reverse("admin:otp_totp_totpdevice_changelist"))
    assert changelist.status_code == 200 and editor.username in changelist.text
    detail = client.get(reverse("admin:otp_totp_totpdevice_change", args=[device.pk]))
    assert detail.status_code == 200
    for page in (changelist.text, detail.text):
        assert device.key not in page and "otpauth" not in page and "qrcode" not in page.lower()
    response = client.post(reverse("admin:otp_totp_totpdevice_delete", args=[device.pk]), {"post": "yes"})
    assert response.status_code == 302 and not TOTPDevice.objects.exists()


def test_device_admin_is_closed_to_desk_roles(client, editor):
    enrolled(editor)
    client.force_login(editor)
    assert client.get(reverse("admin:otp_totp_totpdevice_changelist")).status_code == 403
