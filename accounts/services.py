"""Enrolment, removal and checking of a person's authenticator app (django-otp's TOTP device).

Devices live in django-otp's own table, which the audit trail (pghistory) does not track, so
every enrolment, removal and two-factor login is logged instead (logger ``accounts.twofactor``).

A failed code must still count against the device's throttle (django-otp doubles the wait
after each failure), so verification runs in a transaction that commits either way and the
refusal is raised only after it.
"""

import logging

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from factcheck.errors import DomainError

logger = logging.getLogger("accounts.twofactor")

DEVICE_NAME = "Authenticator app"
WRONG_CODE = "That code is wrong or has expired. Enter the code your authenticator app shows now."
THROTTLED = "Too many wrong codes in a row: wait a little, then enter the code your app shows."


def normalize_code(value: str) -> str:
    # Apps show codes as "123 456"; people paste them with the space.
    return "".join(value.split())


def _locked_confirmed_device(user: AbstractBaseUser) -> TOTPDevice | None:
    # Locked, so that two requests cannot both accept the same code.
    return (
        TOTPDevice.objects.select_for_update(of=("self",))
        .filter(user=user, confirmed=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )


def _refuse_while_throttled(device: TOTPDevice) -> None:
    """On the enrolment page (not at login, where it would tell that the password was right),
    say why a code is refused after a run of wrong ones."""
    allowed, _ = device.verify_is_allowed()
    if not allowed:
        raise DomainError(THROTTLED, field="otp_token")


def totp_verify(*, user: AbstractBaseUser, token: str) -> TOTPDevice | None:
    """The user's confirmed device if ``token`` is a current, unused code for it, else None.

    A used code is refused the second time (django-otp remembers the last time step).
    """
    token = normalize_code(token)
    if not token:
        return None
    with transaction.atomic():
        device = _locked_confirmed_device(user)
        if device is None or not device.verify_token(token):
            return None
    return device


@transaction.atomic
def totp_enrolment_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """A new, unconfirmed device with a fresh secret; any earlier unfinished one is dropped."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise DomainError("Two-factor authentication is already on for your account.")
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    logger.info("two-factor enrolment started", extra={"user_id": user.pk})
    return device


def totp_enrolment_confirm(*, user: AbstractBaseUser, token: str) -> TOTPDevice:
    """Confirm the pending device with a code from the app: from now on login asks for one."""
    token = normalize_code(token)
    with transaction.atomic():
        if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
            raise DomainError("Two-factor authentication is already on for your account.")
        device = (
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
        )
        if device is None:
            raise DomainError("Start the set-up again: there is no pending authenticator app.")
        _refuse_while_throttled(device)
        verified = bool(token) and device.verify_token(token)
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
    if not verified:
        logger.warning("two-factor enrolment: wrong code", extra={"user_id": user.pk})
        raise DomainError(WRONG_CODE, field="otp_token")
    logger.info("two-factor enrolled", extra={"user_id": user.pk, "device_id": device.pk})
    return device


def totp_device_remove(*, user: AbstractBaseUser, token: str) -> None:
    """Turn two-factor authentication off; a current code proves the app is still at hand."""
    token = normalize_code(token)
    with transaction.atomic():
        device = _locked_confirmed_device(user)
        if device is None:
            raise DomainError("Two-factor authentication is not on for your account.")
        _refuse_while_throttled(device)
        verified = bool(token) and device.verify_token(token)
        if verified:
            TOTPDevice.objects.filter(user=user).delete()
    if not verified:
        logger.warning("two-factor removal: wrong code", extra={"user_id": user.pk})
        raise DomainError(WRONG_CODE, field="otp_token")
    logger.info("two-factor removed", extra={"user_id": user.pk, "device_id": device.pk})
