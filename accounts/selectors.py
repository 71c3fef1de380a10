"""Reads about a person's second factor, for the login form, the enrolment page and the
middleware that enforces ``EDITOR_2FA_REQUIRED``."""

from base64 import b32encode
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef
from django_otp.plugins.otp_totp.models import TOTPDevice

from claims.roles import ADMINISTRATOR, EDITOR

# The roles that must enrol when EDITOR_2FA_REQUIRED is on: those who can publish.
ENFORCED_ROLES = (EDITOR, ADMINISTRATOR)


def confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    """The authenticator app that guards this person's login, if they enrolled one."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def pending_device(user: AbstractBaseUser) -> TOTPDevice | None:
    """The device of an enrolment that was started and not yet confirmed by a code."""
    return (
        TOTPDevice.objects.filter(user=user, confirmed=False).select_related("user").order_by("-pk").first()
    )


def enrolment_required(user: AbstractBaseUser) -> bool:
    """Whether this person is in an enforced role and has no confirmed device (one query)."""
    if not settings.EDITOR_2FA_REQUIRED:
        return False
    has_device = TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
    return (
        get_user_model()
        .objects.filter(pk=user.pk, groups__name__in=ENFORCED_ROLES)
        .filter(~Exists(has_device))
        .exists()
    )


def secret_for_display(device: TOTPDevice) -> str:
    """The key in base32, in groups of four, for typing into an app that cannot scan."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def provisioning_uri(device: TOTPDevice) -> str:
    """The ``otpauth://`` URI that authenticator apps read from the QR code.

    Built here rather than with ``TOTPDevice.config_url`` so that the issuer shown in the app
    is the publisher's name without another setting.
    """
    issuer = settings.PUBLISHER_NAME.replace(":", "")
    label = f"{issuer}:{device.user.get_username()}"
    params = urlencode(
        {
            "secret": b32encode(device.bin_key).decode().rstrip("="),
            "algorithm": "SHA1",
            "digits": device.digits,
            "period": device.step,
        }
    )
    return f"otpauth://totp/{quote(label)}?{params}&issuer={quote(issuer)}"
