"""The "Two-factor authentication" admin page: enrol an authenticator app, or remove it.

Every view is wrapped in ``admin.site.admin_view`` (accounts/urls.py): staff only, CSRF
protected, never cached. All writes go through accounts.services.
"""

import qrcode
import qrcode.image.svg
from django.contrib import admin, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_GET, require_POST
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login

from accounts import selectors, services
from accounts.forms import CodeForm
from factcheck.errors import DomainError


def _next_url(request: HttpRequest) -> str:
    """Where to go after enrolling: the admin page the person was sent away from, if local."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _page_url(request: HttpRequest) -> str:
    url = reverse("accounts:two-factor")
    next_url = _next_url(request)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _render(request: HttpRequest, form: CodeForm | None = None) -> TemplateResponse:
    user = request.user
    device = selectors.confirmed_device(user)
    pending = None if device else selectors.pending_device(user)
    context = {
        **admin.site.each_context(request),
        "title": "Two-factor authentication",
        "device": device,
        "pending": pending,
        "secret": selectors.secret_for_display(pending) if pending else "",
        "form": form or CodeForm(),
        "next": _next_url(request),
        "required": device is None and selectors.enrolment_required(user),
    }
    request.current_app = admin.site.name
    return TemplateResponse(request, "admin/accounts/two_factor.html", context)


@require_GET
def two_factor(request: HttpRequest) -> HttpResponse:
    return _render(request)


@require_POST
def two_factor_start(request: HttpRequest) -> HttpResponse:
    try:
        services.totp_enrolment_start(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(_page_url(request))


@require_POST
def two_factor_confirm(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            device = services.totp_enrolment_confirm(user=request.user, token=form.cleaned_data["otp_token"])
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            # The code just typed proves the app: this session counts as verified.
            otp_login(request, device)
            messages.success(
                request, "Two-factor authentication is on: from now on, log in with a one-time code."
            )
            return HttpResponseRedirect(_next_url(request) or reverse("accounts:two-factor"))
    return _render(request, form)


@require_POST
def two_factor_remove(request: HttpRequest) -> HttpResponse:
    form = CodeForm(request.POST)
    if form.is_valid():
        try:
            services.totp_device_remove(user=request.user, token=form.cleaned_data["otp_token"])
        except DomainError as exc:
            form.add_error(exc.field, exc.message)
        else:
            request.session.pop(DEVICE_ID_SESSION_KEY, None)
            messages.success(request, "Two-factor authentication is off for your account.")
            return HttpResponseRedirect(reverse("accounts:two-factor"))
    return _render(request, form)


@require_GET
def two_factor_qr(request: HttpRequest) -> HttpResponse:
    """The QR code of the pending enrolment only: once confirmed, the secret is never shown."""
    pending = selectors.pending_device(request.user)
    if pending is None:
        raise Http404("No enrolment in progress.")
    # A filled background, so that the code scans on the admin's dark theme too.
    image = qrcode.make(selectors.provisioning_uri(pending), image_factory=qrcode.image.svg.SvgPathFillImage)
    return HttpResponse(image.to_string(encoding="unicode"), content_type="image/svg+xml")
