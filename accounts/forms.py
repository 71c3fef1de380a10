import logging

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.signals import user_login_failed

from accounts import selectors, services

logger = logging.getLogger("accounts.twofactor")


def _code_field(*, required: bool, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label="One-time code",
        required=required,
        help_text=help_text,
        max_length=16,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )


class TwoFactorAdminAuthenticationForm(AdminAuthenticationForm):
    """The admin login form with an optional one-time code.

    The code is checked only for people with a confirmed authenticator app. A missing or wrong
    code gets the same message as a wrong password, so the form never tells a guesser that the
    password was right; and it is reported to django-axes as a failed login, so that guessing
    codes is throttled like guessing passwords.
    """

    otp_token = _code_field(required=False, help_text="Only if you have set up two-factor authentication.")

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "invalid_login": (
            "Please enter the correct %(username)s and password for a staff account, and the "
            "one-time code from your authenticator app if you have set one up. Note that both "
            "fields may be case-sensitive."
        ),
    }

    def clean(self) -> dict:
        cleaned_data = super().clean()
        user = self.get_user()
        if user is None or selectors.confirmed_device(user) is None:
            return cleaned_data
        device = services.totp_verify(user=user, token=cleaned_data.get("otp_token") or "")
        if device is None:
            logger.warning("two-factor login: missing or wrong code", extra={"user_id": user.pk})
            # authenticate() succeeded, so django-axes has not counted this attempt: tell it.
            user_login_failed.send(
                sender=__name__,
                credentials={"username": cleaned_data.get("username")},
                request=self.request,
            )
            self.user_cache = None
            raise self.get_invalid_login_error()
        # django-otp's user_logged_in receiver stores the device in the session, which marks
        # it verified (request.user.is_verified()).
        user.otp_device = device
        logger.info("two-factor login", extra={"user_id": user.pk})
        return cleaned_data


class CodeForm(forms.Form):
    """One code from the authenticator app, to confirm an enrolment or a removal."""

    otp_token = _code_field(required=True)
