from django.contrib import admin
from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("", admin.site.admin_view(views.two_factor), name="two-factor"),
    path("start/", admin.site.admin_view(views.two_factor_start), name="two-factor-start"),
    path("confirm/", admin.site.admin_view(views.two_factor_confirm), name="two-factor-confirm"),
    path("remove/", admin.site.admin_view(views.two_factor_remove), name="two-factor-remove"),
    path("qr.svg", admin.site.admin_view(views.two_factor_qr), name="two-factor-qr"),
]
