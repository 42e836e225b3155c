from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        # Build the text policy's indexes now (about a second), not on the first request.
        from .policy import default_engine

        default_engine()
