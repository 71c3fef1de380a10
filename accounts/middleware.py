from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts import selectors

# Admin pages a person who must enrol can still reach: signing in and out.
_ALLOWED_ADMIN_VIEWS = {"login", "logout"}


class TwoFactorEnrolmentMiddleware:
    """With ``EDITOR_2FA_REQUIRED`` on, Editors and Administrators without a confirmed
    authenticator app are sent to the enrolment page from every admin page until they enrol.

    Only admin views are guarded (the public site and the keyed API are not session logins);
    the enrolment pages live outside the admin namespace, so they stay reachable. With the
    setting off (the default) this costs nothing; on, one query per admin request of a staff
    session that is not already verified by a code.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: Callable, view_args: tuple, view_kwargs: dict[str, Any]
    ) -> HttpResponse | None:
        if not settings.EDITOR_2FA_REQUIRED:
            return None
        match = request.resolver_match
        if match is None or match.app_name != "admin" or match.url_name in _ALLOWED_ADMIN_VIEWS:
            return None
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            return None  # the admin sends them to its login page itself
        if getattr(user, "is_verified", lambda: False)():
            return None  # signed in with a code, so a device exists
        if not selectors.enrolment_required(user):
            return None
        url = reverse("accounts:two-factor")
        return HttpResponseRedirect(f"{url}?{urlencode({'next': request.get_full_path()})}")
