from django.contrib import admin
from django.urls import include, path

from ops import health

urlpatterns = [
    path("healthz/live", health.live, name="health-live"),
    path("healthz/ready", health.ready, name="health-ready"),
    # Before the admin, whose catch-all view would otherwise answer these paths.
    path("admin/two-factor/", include("accounts.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("claims.api.urls")),
    # The public site owns the root; keep it last so that the paths above win.
    path("", include("claims.urls")),
]
