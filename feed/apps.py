from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "feed"
    verbose_name = _("Feed")

    def ready(self) -> None:
        from accounts.signals import profile_shown

        from .views import profile_videos

        profile_shown.connect(profile_videos, dispatch_uid="feed.profile_videos")
