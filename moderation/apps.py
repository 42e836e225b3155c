from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from accounts.selectors import user_get_visible

        from . import signals  # noqa: F401  (connects the bank receiver)
        from .services import subject_type_register

        subject_type_register(
            name="user",
            resolve=lambda *, subject_id, viewer: user_get_visible(handle=str(subject_id), viewer=viewer),
        )
        # Build the text policy's indexes now (about a second), not on the first request.
        from .policy import default_engine

        default_engine()
