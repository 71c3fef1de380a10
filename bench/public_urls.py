"""The project's URLs plus ``/bench/minimal/``: the cheapest Django response, the yardstick."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from factcheck.urls import urlpatterns as project_urlpatterns


def minimal(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/minimal/", minimal), *project_urlpatterns]
