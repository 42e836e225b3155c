"""Writes in the feed: posts, likes and comments with exact counts, and taking posts down.

Whether a post may be published is decided in one place, the gate (`feed.gate`); this module
only carries it out.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import F, Value
from django.db.models.expressions import CombinedExpression
from django.db.models.functions import Log
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Notification, User
from accounts.selectors import hidden_author_ids
from accounts.services import notification_create, user_counts_add
from config.files import files_delete_on_commit, stored
from moderation.checks import evidence_from_verdicts, text_check_or_refuse
from moderation.enums import CaseKind, Decision
from moderation.media import MediaContext, media_check_file
from moderation.selectors import protected_media_get
from moderation.services import case_open

from .models import WITHHELD, Comment, Like, Post, poster_upload_to, video_upload_to

logger = logging.getLogger(__name__)

# One unit of rank score is worth 12.5 hours of freshness (45,000 s) or ten times the engagement.
FRESHNESS_SECONDS = 45_000.0
COMMENT_WEIGHT = 2


def fresh_score_at(moment: dt.datetime) -> float:
    """Return the freshness part of the rank score of a post published at `moment`."""
    return moment.timestamp() / FRESHNESS_SECONDS


def rank_score(*, fresh_score: float, like_count: int, comment_count: int) -> float:
    """Return the rank score of a post (mirrors `_rank_expression`, which runs in the database)."""
    return fresh_score + math.log10(1 + like_count + COMMENT_WEIGHT * comment_count)


def _rank_expression() -> CombinedExpression:
    return F("fresh_score") + Log(
        Value(10.0), Value(1.0) + F("like_count") + COMMENT_WEIGHT * F("comment_count")
    )


def _post_for_interaction(*, post_id: int, user: User) -> Post:
    """Return the published post `post_id` as `user` may act on it, else raise Post.DoesNotExist."""
    post = Post.objects.published().filter(pk=post_id).select_related("author").first()
    if post is None or post.author_id in hidden_author_ids(user=user):
        raise Post.DoesNotExist(_("This video does not exist or is not available."))
    return post


def caption_clean(caption: str) -> str:
    """Return the caption stripped, or raise ValidationError if it is too long."""
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
    job_id: int | None = None,
) -> Post:
    """Create a post from an encoded video and its poster; publish it at once if `publish`."""
    post = Post(
        author=author,
        caption=caption_clean(caption),
        duration=duration,
        width=width,
        height=height,
        video_size=video.size,
        remix_of=remix_of,
        job_id=job_id,
    )
    # Stored where its state says from the start: public only if published at once.
    withheld = "" if publish else WITHHELD
    post.video = post.video.storage.save(withheld + video_upload_to(post, "video.mp4"), video)
    post.poster = post.poster.storage.save(withheld + poster_upload_to(post, "poster.jpg"), poster)
    post.save()
    if publish:
        post_publish(post=post)
    return post


@transaction.atomic
def post_publish(*, post: Post, at: dt.datetime | None = None) -> Post:
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
    _post_files_move(post, withheld=False)
    user_counts_add(user_id=post.author_id, post_count=1)
    return post


@transaction.atomic
def post_unpublish(*, post: Post, state: str = Post.State.REMOVED) -> Post:
    """Take `post` out of the feeds, into `state` (removed, or back to review)."""
    was_published = post.state == Post.State.PUBLISHED
    post.state = state
    post.save(update_fields=["state"])
    _post_files_move(post, withheld=True)
    if was_published:
        user_counts_add(user_id=post.author_id, post_count=-1)
    return post


def _post_files_move(post: Post, *, withheld: bool) -> None:
    """Move the post's video and poster into the withheld folder, or back to the public ones.

    A post that is not published must not be reachable at its public address, on local
    storage or S3 alike, so its files change name, not only its state. The new copies are
    written now; the old ones are deleted once the transaction commits (a rollback keeps
    them, and the row still names them).
    """
    replaced = []
    for file in (post.video, post.poster):
        if not file or not file.name:
            continue
        public_name = file.name.removeprefix(WITHHELD)
        target = WITHHELD + public_name if withheld else public_name
        if file.name == target:
            continue
        with file.storage.open(file.name, "rb") as handle:
            moved = file.storage.save(target, File(handle))
        replaced.append((file.storage, file.name))
        file.name = moved
    if replaced:
        post.save(update_fields=["video", "poster"])
        files_delete_on_commit(replaced)


@transaction.atomic
def post_update(*, post: Post, user: User, caption: str) -> Post:
    """Change the caption of `user`'s own post."""
    if post.author_id != user.pk:
        raise PermissionDenied(_("Only the author can edit this video."))
    post.caption = caption_clean(caption)
    post.save(update_fields=["caption"])
    return post


@transaction.atomic
def post_delete(*, post: Post, user: User) -> None:
    """Delete `user`'s own post and, once committed, its files."""
    if post.author_id != user.pk:
        raise PermissionDenied(_("Only the author can delete this video."))
    if post.state == Post.State.PUBLISHED:
        user_counts_add(user_id=post.author_id, post_count=-1)
    files = stored(post.video, post.poster)
    post.delete()
    files_delete_on_commit(files)


def _counts_changed(post_id: int, **deltas: Any) -> dict[str, int]:
    """Apply count deltas in the database and refresh the rank; return the new counts."""
    Post.objects.filter(pk=post_id).update(**{k: F(k) + v for k, v in deltas.items()})
    Post.objects.filter(pk=post_id, state=Post.State.PUBLISHED).update(rank_score=_rank_expression())
    counts = Post.objects.filter(pk=post_id).values("like_count", "comment_count").get()
    return {"like_count": counts["like_count"], "comment_count": counts["comment_count"]}


@transaction.atomic
@transaction.atomic
def like_create(*, user: User, post_id: int) -> tuple[bool, int]:
    """Like the post; return (whether a like was added, the post's like count). Idempotent.

    The like and its count change in one transaction: a connection lost between the two
    (PostgreSQL restarting under load) leaves neither, and the count stays exact.
    """
    post = _post_for_interaction(post_id=post_id, user=user)
    try:
        with transaction.atomic():  # a savepoint: a like already there leaves the outer one usable
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
    verdict = text_check_or_refuse(text=body, context="comment", field="body", what=_("This comment"))
    comment = Comment.objects.create(post=post, author=author, body=body)
    if verdict.decision == Decision.REVIEW:
        evidence, categories = evidence_from_verdicts(text=verdict)
        case_open(kind=CaseKind.FLAGGED_COMMENT, subject=comment, evidence=evidence, categories=categories,
                  owner=author)
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


@transaction.atomic
def comment_case_decide(*, comment_id: int, kind: str, approved: bool) -> None:
    """Take down a comment a moderator refused (an appeal refused changes nothing)."""
    comment = Comment.objects.filter(pk=comment_id).first()
    if comment is not None and not approved and kind != CaseKind.APPEAL:
        comment_remove(comment=comment)


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
        matches = [f for f in verdict.findings if f.rule == rule and f.action != Decision.ALLOW]
        if not matches:
            continue
        with transaction.atomic():
            post_unpublish(post=post, state=Post.State.PENDING_REVIEW)
            evidence, categories = evidence_from_verdicts(media=verdict)
            evidence["bank_entry"] = {"id": entry.pk, "label": entry.label, "category": entry.category}
            case_open(kind=CaseKind.FLAGGED_MEDIA, subject=post, evidence=evidence, categories=categories)
        sent_back += 1
    return sent_back


def posts_take_down(*, post_ids: Iterable[int]) -> dict[int, str]:
    """Take the posts and every remix of them out of the feeds; return {post id: what happened}.

    The authors of the posts are told by cameo; the authors of the remixes are told here.
    """
    post_ids = list(post_ids)
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
