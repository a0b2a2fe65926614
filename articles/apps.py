from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "articles"
    verbose_name = "Sources"

    def ready(self) -> None:
        from articles import checks  # noqa: F401  (registers the system checks)
