"""Writes in the feed: the moderation gate, publishing posts, likes and comments, with exact counts."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.functions import Log
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Notification, User
from accounts.selectors import hidden_author_ids
from accounts.services import notification_create, user_counts_add
from cameo.services import appearances_posted, consent_for_post, post_has_consent
from generation.models import GenerationJob
from generation.selectors import draft_get
from generation.services import PostSource
from moderation.media import MediaContext, media_check_file
from moderation.selectors import protected_media_get
from moderation.services import (
    case_open,
    evidence_from_verdicts,
    refusal_message,
    text_check_or_refuse,
)

from .models import Comment, Like, Post
from .selectors import post_get

logger = logging.getLogger(__name__)

# One unit of rank score is worth 12.5 hours of freshness (45,000 s) or ten times the engagement.
FRESHNESS_SECONDS = 45_000.0
COMMENT_WEIGHT = 2


def fresh_score_at(moment) -> float:
    """Return the freshness part of the rank score of a post published at `moment`."""
    return moment.timestamp() / FRESHNESS_SECONDS


def rank_score(*, fresh_score: float, like_count: int, comment_count: int) -> float:
    """Return the rank score of a post (mirrors `_rank_expression`, which runs in the database)."""
    return fresh_score + math.log10(1 + like_count + COMMENT_WEIGHT * comment_count)


def _rank_expression():
    return F("fresh_score") + Log(
        Value(10.0), Value(1.0) + F("like_count") + COMMENT_WEIGHT * F("comment_count")
    )


def _post_for_interaction(*, post_id: int, user: User) -> Post:
    """Return the published post `post_id` as `user` may act on it, else raise Post.DoesNotExist."""
    post = Post.objects.published().filter(pk=post_id).select_related("author").first()
    if post is None or post.author_id in hidden_author_ids(user=user):
        raise Post.DoesNotExist(_("This video does not exist or is not available."))
    return post


def _clean_caption(caption: str) -> str:
    caption = (caption or "").strip()
    if len(caption) > settings.CAPTION_MAX_LENGTH:
        raise ValidationError(
            {"caption": [_("A caption is at most %(n)d characters.") % {"n": settings.CAPTION_MAX_LENGTH}]}
        )
    return caption


@transaction.atomic
def post_create(
    *,
    author: User,
    video: File,
    poster: File,
    duration: float,
    width: int,
    height: int,
    caption: str = "",
    remix_of: Post | None = None,
    publish: bool = True,
    job: GenerationJob | None = None,
) -> Post:
    """Create a post from an encoded video and its poster; publish it at once if `publish`."""
    post = Post(
        author=author,
        caption=_clean_caption(caption),
        duration=duration,
        width=width,
        height=height,
        video_size=video.size,
        remix_of=remix_of,
        job=job,
    )
    post.video.save("video.mp4", video, save=False)
    post.poster.save("poster.jpg", poster, save=False)
    post.save()
    if publish:
        post_publish(post=post)
    return post


def _text_verdict(*, text: str, context: str, field: str):
    """Return the text policy's verdict on `text`; refuse it, naming the category and rule, if blocked."""
    what = _("This caption") if context == "caption" else _("This comment")
    return text_check_or_refuse(text=text, context=context, field=field, what=what)


def _new_account_held(author: User) -> bool:
    """Return whether `author` is new enough for their next post to wait for a moderator."""
    hold_first = int(getattr(settings, "MODERATION_HOLD_FIRST_POSTS", 0))
    return hold_first > 0 and Post.objects.filter(author=author).count() < hold_first


def _through_the_gate(
    *, author: User, text_verdict, media_review: bool, evidence: dict[str, Any], categories: list[str],
    create: Any,
) -> Post:
    """Create the post with `create(publish=...)`: published when the caption and the video are
    allowed, otherwise held, with a case carrying `evidence`, for a moderator (and so are a new
    account's first posts)."""
    new_account = _new_account_held(author)
    held = new_account or media_review or (text_verdict is not None and text_verdict.decision == "review")
    with transaction.atomic():
        post = create(publish=not held)
        if held:
            evidence = {**evidence, "new_account": new_account}
            case_open(kind="held_post", subject=post, evidence=evidence, categories=categories, owner=author)
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
    caption = _clean_caption(caption)
    text_verdict = _text_verdict(text=caption, context="caption", field="caption") if caption else None
    media_verdict = media_check_file(
        path=video, context=MediaContext(source="post", subject=f"accounts.user:{author.pk}", user_id=author.pk)
    )
    video.seek(0)
    if media_verdict.decision == "block":
        finding = next(f for f in media_verdict.findings if f.action == "block")
        raise ValidationError(
            {"video": [refusal_message(what=_("This video"), category=finding.category, rule=finding.rule)]},
            code="blocked",
        )
    evidence, categories = evidence_from_verdicts(text=text_verdict, media=media_verdict)
    return _through_the_gate(
        author=author, text_verdict=text_verdict, media_review=media_verdict.decision == "review",
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
    job = draft_get(job_id=job_id, owner=author)
    if job is None:
        raise ValidationError({"draft": [_("This draft does not exist or is not yours.")]})
    caption = _clean_caption(caption)
    text_verdict = _text_verdict(text=caption, context="caption", field="caption") if caption else None
    remix_of = Post.objects.filter(pk=job.source_post_id).first() if job.source_post_id else None
    # The output's verdict was taken when the draft was made; it travels as its JSON record.
    evidence, categories = evidence_from_verdicts(text=text_verdict)
    evidence["media"] = job.output_verdict
    categories = sorted(
        set(categories)
        | {f.get("category") for f in (job.output_verdict or {}).get("findings", []) if f.get("action") != "allow"}
    )
    # Every cameo in the video must still say yes, now; the source of a remix must still be up.
    consent_for_post(job_id=job.pk, user=author)
    if remix_of is not None and not consent_holds(remix_of):
        raise ValidationError({"draft": [_("The video this remixes was taken down.")]}, code="consent")
    with transaction.atomic(), job.video.open("rb") as video, job.poster.open("rb") as poster:
        post = _through_the_gate(
            author=author, text_verdict=text_verdict, media_review=job.review != GenerationJob.Review.ALLOW,
            evidence=evidence, categories=categories,
            create=lambda publish: post_create(
                author=author, video=File(video), poster=File(poster), duration=job.video_duration,
                width=job.width, height=job.height, caption=caption, remix_of=remix_of, publish=publish,
                job=job,
            ),
        )
        appearances_posted(job_id=job.pk, post_id=post.pk)
    return post


def post_source(*, post_id: int, viewer: User | None):
    """Return what a remix of post `post_id` starts from, if `viewer` can see the post."""
    post = post_get(post_id=post_id, viewer=viewer)
    if post is None or post.state != Post.State.PUBLISHED or not post.video:
        return None
    return PostSource(
        post_id=post.pk, author=post.author, video_name=post.video.name, job_id=post.job_id,
        poster_name=post.poster.name if post.poster else "",
    )


@transaction.atomic
def post_publish(*, post: Post, at=None) -> Post:
    """Put `post` in the feeds (its freshness counts from now, or from `at`)."""
    if post.state == Post.State.PUBLISHED:
        return post
    post.published_at = at or timezone.now()
    post.state = Post.State.PUBLISHED
    post.fresh_score = fresh_score_at(post.published_at)
    post.rank_score = rank_score(
        fresh_score=post.fresh_score, like_count=post.like_count, comment_count=post.comment_count
    )
    post.save(update_fields=["state", "published_at", "fresh_score", "rank_score"])
    user_counts_add(user_id=post.author_id, post_count=1)
    return post


@transaction.atomic
def post_unpublish(*, post: Post, state: str = Post.State.REMOVED) -> Post:
    """Take `post` out of the feeds, into `state` (removed, or back to review)."""
    was_published = post.state == Post.State.PUBLISHED
    post.state = state
    post.save(update_fields=["state"])
    if was_published:
        user_counts_add(user_id=post.author_id, post_count=-1)
    return post


@transaction.atomic
def post_update(*, post: Post, user: User, caption: str) -> Post:
    """Change the caption of `user`'s own post."""
    if post.author_id != user.pk:
        raise PermissionDenied(_("Only the author can edit this video."))
    post.caption = _clean_caption(caption)
    post.save(update_fields=["caption"])
    return post


@transaction.atomic
def post_delete(*, post: Post, user: User) -> None:
    """Delete `user`'s own post and, once committed, its files."""
    if post.author_id != user.pk:
        raise PermissionDenied(_("Only the author can delete this video."))
    if post.state == Post.State.PUBLISHED:
        user_counts_add(user_id=post.author_id, post_count=-1)
    files = [(f.storage, f.name) for f in (post.video, post.poster) if f]
    post.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])


def _counts_changed(post_id: int, **deltas: Any) -> dict[str, int]:
    """Apply count deltas in the database and refresh the rank; return the new counts."""
    Post.objects.filter(pk=post_id).update(**{k: F(k) + v for k, v in deltas.items()})
    Post.objects.filter(pk=post_id, state=Post.State.PUBLISHED).update(rank_score=_rank_expression())
    return Post.objects.filter(pk=post_id).values("like_count", "comment_count").get()


@transaction.atomic
def like_create(*, user: User, post_id: int) -> tuple[bool, int]:
    """Like the post; return (whether a like was added, the post's like count). Idempotent."""
    post = _post_for_interaction(post_id=post_id, user=user)
    try:
        with transaction.atomic():
            Like.objects.create(user=user, post=post)
    except IntegrityError:
        return False, Post.objects.filter(pk=post.pk).values_list("like_count", flat=True).get()
    counts = _counts_changed(post.pk, like_count=1)
    notification_create(recipient=post.author, actor=user, verb=Notification.Verb.LIKE, target=post)
    return True, counts["like_count"]


@transaction.atomic
def like_delete(*, user: User, post_id: int) -> tuple[bool, int]:
    """Take back a like; return (whether one was removed, the post's like count). Idempotent."""
    post = _post_for_interaction(post_id=post_id, user=user)
    deleted, _rows = Like.objects.filter(user=user, post=post).delete()
    if not deleted:
        return False, Post.objects.filter(pk=post.pk).values_list("like_count", flat=True).get()
    counts = _counts_changed(post.pk, like_count=-1)
    return True, counts["like_count"]


def comment_clean(body: str) -> str:
    """Return the comment text stripped, or raise ValidationError if empty or too long."""
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write something first.")]})
    if len(body) > settings.COMMENT_MAX_LENGTH:
        raise ValidationError(
            {"body": [_("A comment is at most %(n)d characters.") % {"n": settings.COMMENT_MAX_LENGTH}]}
        )
    if any(ord(ch) < 32 and ch not in "\n\t" for ch in body):
        raise ValidationError({"body": [_("The comment contains control characters.")]})
    return body


@transaction.atomic
def comment_create(*, author: User, post_id: int, body: str) -> Comment:
    """Add a comment under a published post the author can see.

    The text policy checks the body: blocked, it is refused with the category and the rule; to
    review, it is posted and a flagged-comment case asks a moderator whether it may stay.
    """
    body = comment_clean(body)
    post = _post_for_interaction(post_id=post_id, user=author)
    verdict = _text_verdict(text=body, context="comment", field="body")
    comment = Comment.objects.create(post=post, author=author, body=body)
    if verdict.decision == "review":
        evidence, categories = evidence_from_verdicts(text=verdict)
        case_open(kind="flagged_comment", subject=comment, evidence=evidence, categories=categories, owner=author)
    _counts_changed(post.pk, comment_count=1)
    notification_create(
        recipient=post.author, actor=author, verb=Notification.Verb.COMMENT, target=post
    )
    return comment


@transaction.atomic
def comment_delete(*, comment: Comment, user: User) -> None:
    """Delete a comment: its author may, and so may the author of the post it is under."""
    post_author_id = Post.objects.filter(pk=comment.post_id).values_list("author_id", flat=True).first()
    if user.pk not in (comment.author_id, post_author_id):
        raise PermissionDenied(_("You can only delete your own comments."))
    post_id = comment.post_id
    deleted, _rows = Comment.objects.filter(pk=comment.pk).delete()
    if deleted:
        _counts_changed(post_id, comment_count=-1)


@transaction.atomic
def post_counts_reconcile(*, post_id: int) -> dict[str, int] | None:
    """Recount a post's likes and comments from their tables and fix its counters and rank."""
    post = Post.objects.select_for_update().filter(pk=post_id).first()
    if post is None:
        return None
    counts = {"like_count": post.likes.count(), "comment_count": post.comments.count()}
    Post.objects.filter(pk=post_id).update(**counts)
    Post.objects.filter(pk=post_id, state=Post.State.PUBLISHED).update(rank_score=_rank_expression())
    return counts


@transaction.atomic
def comment_remove(*, comment: Comment) -> None:
    """Take down a comment that moderation refused."""
    deleted, _rows = Comment.objects.filter(pk=comment.pk).delete()
    if deleted:
        _counts_changed(comment.post_id, comment_count=-1)


# --- What the feed does when moderation decides

# Kinds of case whose approval lets a post into the feeds.
_PUBLISHING_KINDS = frozenset({"held_post", "flagged_media", "appeal"})


def case_decided_receiver(sender, *, case, decision, **kwargs) -> None:
    """Publish, take down or restore the post or comment a moderator decided about."""
    if decision.action not in ("approve", "reject"):
        return
    model = case.subject_type.model_class()
    approved = decision.action == "approve"
    if model is Post:
        post = Post.objects.filter(pk=case.subject_id).first()
        if post is None:
            return
        if approved and case.kind in _PUBLISHING_KINDS:
            if consent_holds(post):
                post_publish(post=post)
        elif not approved and case.kind != "appeal" and post.state != Post.State.REMOVED:
            post_unpublish(post=post, state=Post.State.REMOVED)
    elif model is Comment and not approved and case.kind != "appeal":
        comment = Comment.objects.filter(pk=case.subject_id).first()
        if comment is not None:
            comment_remove(comment=comment)


def bank_entry_added_receiver(sender, *, entry, **kwargs) -> None:
    """Have the worker recheck published videos against a new protected-media entry."""
    from .tasks import posts_recheck_against_bank_task

    posts_recheck_against_bank_task.delay(entry.pk)


def posts_recheck_against_bank(*, entry_id: int) -> int:
    """Recheck published videos against bank entry `entry_id`; send matches back to review.

    Return how many posts were sent back.
    """
    entry = protected_media_get(entry_id=entry_id)
    if entry is None:
        return 0
    rule = f"media:pdq:{entry.pk}"
    sent_back = 0
    for post in Post.objects.published().only("pk", "author_id", "video", "state").iterator():
        try:
            with post.video.open("rb") as video:
                verdict = media_check_file(
                    path=video,
                    context=MediaContext(source="recheck", subject=f"feed.post:{post.pk}", user_id=post.author_id),
                    checks=["moderation.media.checks.ProtectedMediaMatch"],
                )
        except OSError:
            logger.exception("cannot read the video of post %s to recheck it", post.pk)
            continue
        matches = [f for f in verdict.findings if f.rule == rule and f.action != "allow"]
        if not matches:
            continue
        with transaction.atomic():
            post_unpublish(post=post, state=Post.State.PENDING_REVIEW)
            evidence, categories = evidence_from_verdicts(media=verdict)
            evidence["bank_entry"] = {"id": entry.pk, "label": entry.label, "category": entry.category}
            case_open(kind="flagged_media", subject=post, evidence=evidence, categories=categories)
        sent_back += 1
    return sent_back



# --- Cameo consent: posts that show someone who no longer says yes (cameo's signals)


def consent_holds(post: Post) -> bool:
    """Return whether every cameo in `post`, and in each video it remixes, consents now."""
    seen: set[int] = set()
    while post is not None and post.pk not in seen:
        # The post itself may be coming back (an upheld appeal); what it remixes must still be up.
        if (seen and post.state == Post.State.REMOVED) or not post_has_consent(job_id=post.job_id, user=post.author):
            return False
        seen.add(post.pk)
        post = post.remix_of
    return True


def _take_down(post_ids: list[int]) -> dict[int, str]:
    """Take the posts and every remix of them out of the feeds; return {post id: what happened}.

    The authors of the posts are told by cameo; the authors of the remixes are told here.
    """
    done: dict[int, str] = {}
    frontier = list(post_ids)
    while frontier:
        posts = list(Post.objects.select_for_update().filter(pk__in=frontier).exclude(pk__in=list(done)))
        for post in posts:
            done[post.pk] = "unpublished" if post.state == Post.State.PUBLISHED else "withheld"
            if post.state != Post.State.REMOVED:
                post_unpublish(post=post, state=Post.State.REMOVED)
                if post.pk not in post_ids:
                    notification_create(recipient=post.author, actor=None,
                                        verb=Notification.Verb.CAMEO_WITHDRAWN)
        frontier = list(Post.objects.filter(remix_of_id__in=[p.pk for p in posts]).exclude(pk__in=list(done))
                        .values_list("pk", flat=True))
    return done


def consent_withdrawn_receiver(sender, *, appearances, **kwargs) -> dict[int, list[str]]:
    """Unpublish the posts that show a cameo whose consent is gone, and the remixes of them."""
    posted = [a for a in appearances if a.post_id]
    done = _take_down([a.post_id for a in posted])
    outcome: dict[int, list[str]] = {}
    for appearance in posted:
        outcome[appearance.pk] = [done.get(appearance.post_id, "unpublished")]
        remixes = [pk for pk in done if pk != appearance.post_id]
        if remixes:
            outcome[appearance.pk].append("remixes_unpublished")
    return outcome


def likeness_removed_receiver(sender, *, appearances, actor, **kwargs) -> dict[int, list[str]]:
    """The person in these posts removed them (co-ownership): take them down like a withdrawal."""
    return consent_withdrawn_receiver(sender, appearances=appearances)
