from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ModerationConfig(AppConfig):
    name = "moderation"
    verbose_name = _("Moderation")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from accounts.selectors import user_get_visible

        from .models import ProtectedMedia
        from .policy import default_engine
        from .receivers import protected_media_saved_receiver
        from .subjects import subject_types

        post_save.connect(
            protected_media_saved_receiver, sender=ProtectedMedia, dispatch_uid="moderation.bank_entry_added"
        )
        subject_types.register(
            "user", lambda *, subject_id, viewer: user_get_visible(handle=str(subject_id), viewer=viewer)
        )
        # Build the text policy's indexes now (about a second), not on the first request.
        default_engine()
