"""Reads in the feed: the For you and Following pages, profiles, posts and comments.

Pages are cut with keyset cursors, never offsets, so a page stays stable while new posts
arrive: a cursor remembers where the last page ended, and what comes after it is fixed.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.fields import BooleanField

from accounts.models import User
from accounts.selectors import followee_ids, hidden_author_ids

from .models import Comment, Like, Post

CURSOR_SALT = "feed.cursor"


class InvalidCursor(ValueError):
    """The cursor given was not one this site made."""


@dataclass
class Page:
    """A page of results and the cursor of the next one (None at the end)."""

    items: list[Any]
    next_cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def cursor_encode(kind: str, **values: Any) -> str:
    """Return an opaque, tamper-proof cursor for a page of `kind`."""
    return signing.dumps({"k": kind, **values}, salt=CURSOR_SALT, compress=True)


def cursor_decode(kind: str, cursor: str | None) -> dict[str, Any] | None:
    """Return the values in `cursor`, None for the first page; raise InvalidCursor if forged."""
    if not cursor:
        return None
    try:
        values = signing.loads(cursor, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidCursor("This cursor is not valid.") from None
    if not isinstance(values, dict) or values.get("k") != kind:
        raise InvalidCursor("This cursor belongs to another list.")
    return values


def page_size(requested: int | str | None) -> int:
    """Return the page size asked for, bounded; a bad value falls back to the default."""
    try:
        size = int(requested) if requested not in (None, "") else settings.FEED_PAGE_SIZE
    except (TypeError, ValueError):
        size = settings.FEED_PAGE_SIZE
    return max(1, min(size, settings.FEED_MAX_PAGE_SIZE))


def _with_viewer(qs: QuerySet[Post], viewer: User | None) -> QuerySet[Post]:
    """Join what a post card shows, and whether `viewer` liked each post, in the same query."""
    qs = qs.select_related("author", "remix_of__author")
    if viewer is not None and viewer.is_authenticated:
        return qs.annotate(liked=Exists(Like.objects.filter(post=OuterRef("pk"), user=viewer)))
    return qs.annotate(liked=Value(False, output_field=BooleanField()))


def posts_visible(*, viewer: User | None) -> QuerySet[Post]:
    """Return the posts `viewer` may see: published ones not hidden by a block, and their own."""
    qs = Post.objects.all()
    if viewer is not None and viewer.is_authenticated:
        qs = qs.filter(Q(state=Post.State.PUBLISHED) | Q(author=viewer))
        hidden = hidden_author_ids(user=viewer)
        if hidden:
            qs = qs.exclude(author_id__in=hidden)
    else:
        qs = qs.filter(state=Post.State.PUBLISHED)
    return qs


def post_get(*, post_id: int, viewer: User | None) -> Post | None:
    """Return post `post_id` if `viewer` may see it, with its author and the viewer's like."""
    return _with_viewer(posts_visible(viewer=viewer), viewer).filter(pk=post_id).first()


def spread_authors(posts: list[Post], previous_author: int | None) -> list[Post]:
    """Reorder `posts` (best first) so no author comes twice in a row where that can be helped.

    Greedy: take the best post whose author differs from the one before, unless one author
    holds so many of the remaining posts that they must come now for the rest to alternate.
    """
    pool = list(posts)
    out: list[Post] = []
    prev = previous_author
    while pool:
        counts = Counter(p.author_id for p in pool)
        top_author, top_count = counts.most_common(1)[0]
        if top_author != prev and top_count > len(pool) - top_count:
            index = next(i for i, p in enumerate(pool) if p.author_id == top_author)
        else:
            index = next((i for i, p in enumerate(pool) if p.author_id != prev), 0)
        chosen = pool.pop(index)
        out.append(chosen)
        prev = chosen.author_id
    return out


def feed_for_you(*, viewer: User | None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Return a page of the For you feed: fresh, liked and followed first, authors spread.

    A post's score is its stored rank (freshness + engagement) plus a boost when the viewer
    follows its author. Two index-ordered queries (followed authors, everyone else) each
    yield their best `limit + 1` posts below the cursor; merging them gives the exact page
    and tells whether another follows.
    """
    limit = page_size(limit)
    after = cursor_decode("for_you", cursor)
    followed = followee_ids(user=viewer)
    hidden = hidden_author_ids(user=viewer)
    boost = float(settings.FEED_FOLLOW_BOOST)

    base = _with_viewer(Post.objects.published(), viewer)
    if hidden:
        base = base.exclude(author_id__in=hidden)
    order = ("-rank_score", "-id")

    def below(qs: QuerySet[Post], offset: float) -> QuerySet[Post]:
        if after is None:
            return qs
        score = after["s"] - offset
        return qs.filter(Q(rank_score__lt=score) | Q(rank_score=score, id__lt=after["i"]))

    others = base.exclude(author_id__in=followed) if followed else base
    candidates = [(p.rank_score, p) for p in below(others, 0.0).order_by(*order)[: limit + 1]]
    if followed:
        mine = base.filter(author_id__in=followed)
        candidates += [(p.rank_score + boost, p) for p in below(mine, boost).order_by(*order)[: limit + 1]]
    candidates.sort(key=lambda pair: (pair[0], pair[1].pk), reverse=True)
    chosen = candidates[:limit]
    for score, post in chosen:
        post.score = score
    previous_author = after.get("a") if after else None
    items = spread_authors([post for _score, post in chosen], previous_author)
    next_cursor = None
    if len(candidates) > limit:
        last_score, last_post = chosen[-1]
        next_cursor = cursor_encode("for_you", s=last_score, i=last_post.pk, a=items[-1].author_id)
    return Page(items=items, next_cursor=next_cursor)


def _time_page(qs: QuerySet[Post], *, kind: str, cursor: str | None, limit: int | None) -> Page:
    """Return a page of `qs` newest first, cut by (published_at, id)."""
    limit = page_size(limit)
    after = cursor_decode(kind, cursor)
    if after is not None:
        try:
            at = dt.datetime.fromisoformat(after["t"])
        except (KeyError, TypeError, ValueError):
            raise InvalidCursor("This cursor is not valid.") from None
        qs = qs.filter(Q(published_at__lt=at) | Q(published_at=at, id__lt=after["i"]))
    rows = list(qs.order_by("-published_at", "-id")[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more:
        last = items[-1]
        next_cursor = cursor_encode(kind, t=last.published_at.isoformat(), i=last.pk)
    return Page(items=items, next_cursor=next_cursor)


def feed_following(*, viewer: User, cursor: str | None = None, limit: int | None = None) -> Page:
    """Return a page of the Following feed: posts of the people `viewer` follows, newest first."""
    followed = followee_ids(user=viewer) - hidden_author_ids(user=viewer)
    qs = _with_viewer(Post.objects.published().filter(author_id__in=followed), viewer)
    return _time_page(qs, kind="following", cursor=cursor, limit=limit)


def profile_posts(*, author: User, viewer: User | None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Return a page of `author`'s published posts, newest first, as `viewer` sees them."""
    qs = _with_viewer(Post.objects.published().filter(author=author), viewer)
    return _time_page(qs, kind=f"profile:{author.pk}", cursor=cursor, limit=limit)


def comments_page(*, post: Post, viewer: User | None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Return a page of comments under `post`, newest first, without those of hidden people."""
    limit = page_size(limit)
    after = cursor_decode(f"comments:{post.pk}", cursor)
    qs = Comment.objects.filter(post=post).select_related("author")
    hidden = hidden_author_ids(user=viewer)
    if hidden:
        qs = qs.exclude(author_id__in=hidden)
    if after is not None:
        try:
            at = dt.datetime.fromisoformat(after["t"])
        except (KeyError, TypeError, ValueError):
            raise InvalidCursor("This cursor is not valid.") from None
        qs = qs.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=after["i"]))
    rows = list(qs.order_by("-created_at", "-id")[: limit + 1])
    items, more = rows[:limit], len(rows) > limit
    next_cursor = None
    if more:
        last = items[-1]
        next_cursor = cursor_encode(f"comments:{post.pk}", t=last.created_at.isoformat(), i=last.pk)
    return Page(items=items, next_cursor=next_cursor)


def comment_get(*, comment_id: int, viewer: User | None) -> Comment | None:
    """Return comment `comment_id` if `viewer` may see the post it is under."""
    comment = Comment.objects.select_related("author", "post").filter(pk=comment_id).first()
    if comment is None or not posts_visible(viewer=viewer).filter(pk=comment.post_id).exists():
        return None
    if comment.author_id in hidden_author_ids(user=viewer):
        return None
    return comment
