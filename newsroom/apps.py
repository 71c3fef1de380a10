from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "newsroom"
    verbose_name = "Newsroom API"

    def ready(self) -> None:
        # Connects the webhook fan-out to claims.signals.public_change.
        from newsroom import receivers  # noqa: F401
