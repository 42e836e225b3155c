"""The publication gate: every way a video reaches the feeds goes through here.

Posting an upload (`post_submit`), posting a draft (`post_from_draft`) and a moderator
approving a held post (`post_case_decide`) all decide the same way: published when the
caption and the video are allowed and every cameo in it (and in what it remixes) still
consents; held for a moderator, with a case, when anything asks for a review or the author
is new; refused, naming the category and the rule, when anything is blocked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, BinaryIO, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import User
from cameo.consent import consent_for_post, post_has_consent
from cameo.services import appearances_posted
from generation.selectors import draft_for_post
from moderation.checks import evidence_from_verdicts, media_refuse, text_check_or_refuse
from moderation.enums import CaseKind, Decision
from moderation.media import MediaContext, media_check_file
from moderation.policy import Verdict
from moderation.services import case_open

from .models import Post
from .services import caption_clean, post_create, post_publish, post_unpublish

# Kinds of case whose approval lets a post into the feeds.
PUBLISHING_KINDS = frozenset({CaseKind.HELD_POST, CaseKind.FLAGGED_MEDIA, CaseKind.APPEAL})


def _caption_verdict(caption: str) -> Verdict | None:
    """Return the text policy's verdict on a caption (None when there is none); refuse it,
    naming the category and the rule, if blocked."""
    if not caption:
        return None
    return text_check_or_refuse(text=caption, context="caption", field="caption", what=_("This caption"))


def _new_account_held(author: User) -> bool:
    """Return whether `author` is new enough for their next post to wait for a moderator."""
    hold_first = int(getattr(settings, "MODERATION_HOLD_FIRST_POSTS", 0))
    return hold_first > 0 and Post.objects.filter(author=author).count() < hold_first


def _through_the_gate(
    *, author: User, text_verdict: Verdict | None, media_review: bool, evidence: dict[str, Any],
    categories: list[str], create: Callable[..., Post],
) -> Post:
    """Create the post with `create(publish=...)`: published when the caption and the video are
    allowed, otherwise held, with a case carrying `evidence`, for a moderator (and so are a new
    account's first posts)."""
    new_account = _new_account_held(author)
    held = new_account or media_review or (text_verdict is not None and text_verdict.decision == Decision.REVIEW)
    with transaction.atomic():
        post = create(publish=not held)
        if held:
            evidence = {**evidence, "new_account": new_account}
            case_open(kind=CaseKind.HELD_POST, subject=post, evidence=evidence, categories=categories, owner=author)
    return post


def post_submit(
    *,
    author: User,
    video: File,
    poster: File,
    duration: float,
    width: int,
    height: int,
    caption: str = "",
    remix_of: Post | None = None,
) -> Post:
    """Post a video through moderation: the caption and the sampled frames are checked.

    Allowed: published at once. Review: kept out of the feeds, and a held-post case waits for
    a moderator. Blocked: ValidationError naming the category and the rule; nothing is created.
    A person's first MODERATION_HOLD_FIRST_POSTS posts always wait for a moderator.
    """
    caption = caption_clean(caption)
    text_verdict = _caption_verdict(caption)
    media_verdict = media_check_file(
        path=cast(BinaryIO, video),  # a File reads and seeks like the file it wraps
        context=MediaContext(source="post", subject=f"accounts.user:{author.pk}", user_id=author.pk)
    )
    video.seek(0)
    media_refuse(media_verdict, what=_("This video"), field="video")
    evidence, categories = evidence_from_verdicts(text=text_verdict, media=media_verdict)
    return _through_the_gate(
        author=author, text_verdict=text_verdict, media_review=media_verdict.decision == Decision.REVIEW,
        evidence=evidence, categories=categories,
        create=lambda publish: post_create(
            author=author, video=video, poster=poster, duration=duration, width=width, height=height,
            caption=caption, remix_of=remix_of, publish=publish,
        ),
    )


def post_from_draft(*, author: User, job_id: Any, caption: str = "") -> Post:
    """Post one of `author`'s drafts with a caption, through moderation's gate.

    The draft's output frames were checked when it was made: allowed, the post is published
    at once; flagged for review (or the caption is), it waits for a moderator. A blocked
    caption is refused with its category and rule; nothing is created.
    """
    draft = draft_for_post(job_id=job_id, owner=author)
    if draft is None:
        raise ValidationError({"draft": [_("This draft does not exist or is not yours.")]})
    caption = caption_clean(caption)
    text_verdict = _caption_verdict(caption)
    remix_of = Post.objects.filter(pk=draft.source_post_id).first() if draft.source_post_id else None
    # The output's verdict was taken when the draft was made; it travels as its record.
    evidence, categories = evidence_from_verdicts(text=text_verdict)
    evidence["media"] = draft.verdict
    categories = sorted(set(categories) | set(draft.categories))
    # Every cameo in the video must still say yes, now; the source of a remix must still be up.
    consent_for_post(job_id=draft.job_id, user=author)
    if remix_of is not None and not consent_holds(remix_of):
        raise ValidationError({"draft": [_("The video this remixes was taken down.")]}, code="consent")
    with transaction.atomic(), draft.video.open("rb") as video, draft.poster.open("rb") as poster:
        post = _through_the_gate(
            author=author, text_verdict=text_verdict, media_review=draft.needs_review,
            evidence=evidence, categories=categories,
            create=lambda publish: post_create(
                author=author, video=File(video), poster=File(poster), duration=draft.duration,
                width=draft.width, height=draft.height, caption=caption, remix_of=remix_of, publish=publish,
                job_id=draft.job_id,
            ),
        )
        appearances_posted(job_id=draft.job_id, post_id=post.pk)
    return post


def consent_holds(post: Post | None) -> bool:
    """Return whether every cameo in `post`, and in each video it remixes, consents now."""
    seen: set[int] = set()
    while post is not None and post.pk not in seen:
        # The post itself may be coming back (an upheld appeal); what it remixes must still be up.
        if (seen and post.state == Post.State.REMOVED) or not post_has_consent(job_id=post.job_id, user=post.author):
            return False
        seen.add(post.pk)
        post = post.remix_of
    return True


def post_case_decide(*, post: Post, kind: str, approved: bool) -> None:
    """Publish, take down or restore `post` as a moderator decided a case of `kind` about it.

    An approval publishes only through the gate: every cameo must still consent.
    """
    if approved and kind in PUBLISHING_KINDS:
        if consent_holds(post):
            post_publish(post=post)
    elif not approved and kind != CaseKind.APPEAL and post.state != Post.State.REMOVED:
        post_unpublish(post=post, state=Post.State.REMOVED)
