from django.apps import AppConfig


class DisputesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "disputes"
    verbose_name = "Disputes"

    def ready(self) -> None:
        # Listen to the re-check pipeline: articles announces, disputes flags (DESIGN §2).
        from . import receivers  # noqa: F401
