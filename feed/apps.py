from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedConfig(AppConfig):
    name = "feed"
    verbose_name = _("Feed")

    def ready(self) -> None:
        from accounts.signals import profile_shown
        from cameo.signals import consent_withdrawn, likeness_removed
        from generation.services import post_source_register
        from moderation.services import subject_type_register
        from moderation.signals import bank_entry_added, case_decided

        from .selectors import comment_get, post_get
        from .services import (
            bank_entry_added_receiver,
            case_decided_receiver,
            consent_withdrawn_receiver,
            likeness_removed_receiver,
            post_source,
        )
        from .views import profile_videos

        post_source_register(post_source)
        profile_shown.connect(profile_videos, dispatch_uid="feed.profile_videos")
        case_decided.connect(case_decided_receiver, dispatch_uid="feed.case_decided")
        consent_withdrawn.connect(consent_withdrawn_receiver, dispatch_uid="feed.consent_withdrawn")
        likeness_removed.connect(likeness_removed_receiver, dispatch_uid="feed.likeness_removed")
        bank_entry_added.connect(bank_entry_added_receiver, dispatch_uid="feed.bank_entry_added")
        # People can report, and authors appeal, what they can see of the feed.
        subject_type_register(
            name="post", resolve=lambda *, subject_id, viewer: post_get(post_id=int(subject_id), viewer=viewer)
        )
        subject_type_register(
            name="comment",
            resolve=lambda *, subject_id, viewer: comment_get(comment_id=int(subject_id), viewer=viewer),
        )
