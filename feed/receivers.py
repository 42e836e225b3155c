"""What the feed does when something happens elsewhere (connected in `FeedConfig.ready`):
a moderator decided about a post or a comment, a protected work entered the bank, consent
for a cameo was withdrawn, or the person in a video removed it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from moderation.enums import Action

from .gate import post_case_decide
from .models import Comment, Post
from .services import comment_case_decide, posts_take_down

if TYPE_CHECKING:
    from cameo.models import Appearance
    from moderation.models import Case, Decision, ProtectedMedia


def case_decided_receiver(sender: type, *, case: Case, decision: Decision, **kwargs: Any) -> None:
    """Publish, take down or restore the post or comment a moderator decided about."""
    if decision.action not in (Action.APPROVE, Action.REJECT):
        return
    model = case.subject_type.model_class()
    approved = decision.action == Action.APPROVE
    if model is Post:
        post = Post.objects.filter(pk=case.subject_id).first()
        if post is not None:
            post_case_decide(post=post, kind=case.kind, approved=approved)
    elif model is Comment:
        comment_case_decide(comment_id=case.subject_id, kind=case.kind, approved=approved)


def bank_entry_added_receiver(sender: type, *, entry: ProtectedMedia, **kwargs: Any) -> None:
    """Have the worker recheck published videos against a new protected-media entry."""
    from .tasks import posts_recheck_against_bank_task

    posts_recheck_against_bank_task.delay(entry.pk)


def consent_withdrawn_receiver(sender: type, *, appearances: list[Appearance], **kwargs: Any) -> dict[int, list[str]]:
    """Unpublish the posts that show a cameo whose consent is gone, and the remixes of them."""
    posted = [a for a in appearances if a.post_id]
    done = posts_take_down(post_ids=[a.post_id for a in posted if a.post_id is not None])
    outcome: dict[int, list[str]] = {}
    for appearance in posted:
        outcome[appearance.pk] = [done.get(appearance.post_id or 0, "unpublished")]
        remixes = [pk for pk in done if pk != appearance.post_id]
        if remixes:
            outcome[appearance.pk].append("remixes_unpublished")
    return outcome


def likeness_removed_receiver(
    sender: type, *, appearances: list[Appearance], actor: Any = None, **kwargs: Any
) -> dict[int, list[str]]:
    """The person in these posts removed them (co-ownership): take them down like a withdrawal."""
    return consent_withdrawn_receiver(sender, appearances=appearances)
