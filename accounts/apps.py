from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from django.contrib import admin

        from accounts.forms import TwoFactorAdminAuthenticationForm

        # The stock admin login, with an optional one-time code that is checked only for
        # people who have an authenticator app enrolled.
        admin.site.login_form = TwoFactorAdminAuthenticationForm
        admin.site.login_template = "admin/accounts/login.html"
