from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "feed"
    verbose_name = _("Feed")

    def ready(self) -> None:
        from accounts.profiles import profile_sections
        from cameo.signals import consent_withdrawn, likeness_removed
        from generation.sources import POST, remix_sources
        from moderation.signals import bank_entry_added, case_decided
        from moderation.subjects import subject_types

        from .receivers import (
            bank_entry_added_receiver,
            case_decided_receiver,
            consent_withdrawn_receiver,
            likeness_removed_receiver,
        )
        from .selectors import comment_get, post_get, remix_source_get
        from .views import profile_videos

        case_decided.connect(case_decided_receiver, dispatch_uid="feed.case_decided")
        consent_withdrawn.connect(consent_withdrawn_receiver, dispatch_uid="feed.consent_withdrawn")
        likeness_removed.connect(likeness_removed_receiver, dispatch_uid="feed.likeness_removed")
        bank_entry_added.connect(bank_entry_added_receiver, dispatch_uid="feed.bank_entry_added")
        # Questions lower apps ask, answered here (see config.registry).
        remix_sources.register(POST, remix_source_get)
        profile_sections.register("videos", profile_videos)
        # People can report, and authors appeal, what they can see of the feed.
        subject_types.register(
            "post", lambda *, subject_id, viewer: post_get(post_id=int(subject_id), viewer=viewer)
        )
        subject_types.register(
            "comment", lambda *, subject_id, viewer: comment_get(comment_id=int(subject_id), viewer=viewer)
        )
