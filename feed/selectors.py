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
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.fields import BooleanField

from accounts.models import Block, Follow, User
from accounts.selectors import hidden_author_ids

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
    counts = Counter(p.author_id for p in pool)
    out: list[Post] = []
    prev = previous_author
    while pool:
        top_author, top_count = max(counts.items(), key=lambda item: item[1])
        if top_author != prev and top_count > len(pool) - top_count:
            index = next(i for i, p in enumerate(pool) if p.author_id == top_author)
        else:
            index = next((i for i, p in enumerate(pool) if p.author_id != prev), 0)
        chosen = pool.pop(index)
        counts[chosen.author_id] -= 1
        if not counts[chosen.author_id]:
            del counts[chosen.author_id]
        out.append(chosen)
        prev = chosen.author_id
    return out


def _below(qs: QuerySet[Post], field: str, value: Any, pk: int) -> QuerySet[Post]:
    """Keep the rows after (`value`, `pk`) in descending (`field`, id) order.

    The `field <= value` conjunct bounds the index scan; the OR only settles ties.
    """
    return qs.filter(Q(**{f"{field}__lte": value}) & (Q(**{f"{field}__lt": value}) | Q(pk__lt=pk)))


# The two feed pages are read with one hand-written statement each: they are the hottest
# reads of the site, and building the equivalent ORM query cost several times more than
# running it. Every other read goes through the ORM.
_POST, _USER = Post._meta.db_table, User._meta.db_table
_FOLLOW, _LIKE, _BLOCK = Follow._meta.db_table, Like._meta.db_table, Block._meta.db_table
_CARD_SQL = f"""
SELECT p.*, page.score AS score, a.handle AS author_handle, a.display_name AS author_display_name,
       a.avatar AS author_avatar, r.author_id AS remix_author_id, ra.handle AS remix_author_handle,
       {{liked}} AS liked
  FROM ({{page}}) page
  JOIN {_POST} p ON p.id = page.id
  JOIN {_USER} a ON a.id = p.author_id
  LEFT JOIN {_POST} r ON r.id = p.remix_of_id
  LEFT JOIN {_USER} ra ON ra.id = r.author_id
 ORDER BY page.score DESC, p.id DESC
 LIMIT %s"""
_AUTHOR_FIELDS = ["id", "handle", "display_name", "avatar"]
_REMIX_FIELDS = ["id", "author_id"]
_REMIX_AUTHOR_FIELDS = ["id", "handle"]
_LIKED_SQL = f"EXISTS (SELECT 1 FROM {_LIKE} l WHERE l.post_id = p.id AND l.user_id = %s)"
_FOLLOWED_SQL = f"SELECT f.followee_id FROM {_FOLLOW} f WHERE f.follower_id = %s"
_HIDDEN_SQL = (
    f"p.author_id NOT IN (SELECT b.blocked_id FROM {_BLOCK} b WHERE b.blocker_id = %s "
    f"UNION ALL SELECT b.blocker_id FROM {_BLOCK} b WHERE b.blocked_id = %s)"
)


def _stream_sql(*, score: str, where: list[str], order: str) -> str:
    """Return one index-ordered, limited read of post ids (wrapped so it can sit in a UNION)."""
    conditions = " AND ".join(["p.state = 'published'", *where])
    return (
        f"SELECT id, score FROM (SELECT p.id, {score} AS score FROM {_POST} p "
        f"WHERE {conditions} ORDER BY {order} LIMIT %s) s"
    )


def _cards(page_sql: str, page_params: list[Any], viewer: User | None, *, take: int) -> list[Post]:
    """Run a page statement and return its best `take` posts with authors, remixes and likes."""
    if viewer is not None and viewer.is_authenticated:
        # The liked test comes first in the statement, so its parameter does too.
        sql, params = _CARD_SQL.format(page=page_sql, liked=_LIKED_SQL), [viewer.pk, *page_params, take]
    else:
        sql, params = _CARD_SQL.format(page=page_sql, liked="0"), [*page_params, take]
    posts = list(Post.objects.raw(sql, params))
    db = connection.alias
    # from_db() with only the columns read builds instances far faster than User(**kwargs);
    # the fields left out are deferred, and nothing on a card reads them.
    for post in posts:
        post.liked = bool(post.liked)
        post.author = User.from_db(
            db, _AUTHOR_FIELDS,
            [post.author_id, post.author_handle, post.author_display_name, post.author_avatar],
        )
        if post.remix_of_id is not None:
            remix = Post.from_db(db, _REMIX_FIELDS, [post.remix_of_id, post.remix_author_id])
            remix.author = User.from_db(db, _REMIX_AUTHOR_FIELDS, [post.remix_author_id, post.remix_author_handle])
            post.remix_of = remix
    return posts


def _keyset(column: str, after: tuple[Any, int] | None) -> tuple[list[str], list[Any]]:
    """Return the condition keeping rows after (`value`, id) in descending order.

    `column <= value` bounds the index scan; the OR only settles ties.
    """
    if after is None:
        return [], []
    value, pk = after
    return [f"p.{column} <= %s AND (p.{column} < %s OR p.id < %s)"], [value, value, pk]


def _hidden_sql(viewer: User | None) -> tuple[list[str], list[Any]]:
    """Return the condition leaving out authors hidden from `viewer` by a block, either way."""
    if viewer is None or not viewer.is_authenticated:
        return [], []
    return [_HIDDEN_SQL], [viewer.pk, viewer.pk]


def feed_for_you(*, viewer: User | None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Return a page of the For you feed: fresh, liked and followed first, authors spread.

    A post's score is its stored rank (freshness + engagement) plus a boost when the viewer
    follows its author. Two index-ordered reads — posts of followed authors and everyone
    else's — each yield their best `limit + 1` posts below the cursor; the page is the best
    of their union, which also tells whether another page follows.
    """
    limit = page_size(limit)
    after = cursor_decode("for_you", cursor)
    boost = float(settings.FEED_FOLLOW_BOOST)
    take = limit + 1
    order = "p.rank_score DESC, p.id DESC"
    hidden, hidden_params = _hidden_sql(viewer)

    def keyset(offset: float) -> tuple[list[str], list[Any]]:
        return _keyset("rank_score", None if after is None else (after["s"] - offset, after["i"]))

    if viewer is None or not viewer.is_authenticated:
        where, params = keyset(0.0)
        page_sql = _stream_sql(score="p.rank_score", where=hidden + where, order=order)
        page_params = [*hidden_params, *params, take]
    else:
        mine_where, mine_params = keyset(boost)
        others_where, others_params = keyset(0.0)
        mine = _stream_sql(
            score="p.rank_score + %s", order=order,
            where=[f"p.author_id IN ({_FOLLOWED_SQL})", *hidden, *mine_where],
        )
        others = _stream_sql(
            score="p.rank_score", order=order,
            where=[f"p.author_id NOT IN ({_FOLLOWED_SQL})", *hidden, *others_where],
        )
        page_sql = f"{mine} UNION ALL {others}"
        page_params = [
            boost, viewer.pk, *hidden_params, *mine_params, take,
            viewer.pk, *hidden_params, *others_params, take,
        ]
    scored = _cards(page_sql, page_params, viewer, take=take)
    chosen = scored[:limit]
    previous_author = after.get("a") if after else None
    items = spread_authors(chosen, previous_author)
    next_cursor = None
    if len(scored) > limit:
        last = chosen[-1]
        next_cursor = cursor_encode("for_you", s=last.score, i=last.pk, a=items[-1].author_id)
    return Page(items=items, next_cursor=next_cursor)


def feed_following(*, viewer: User, cursor: str | None = None, limit: int | None = None) -> Page:
    """Return a page of the Following feed: posts of the people `viewer` follows, newest first."""
    limit = page_size(limit)
    after = cursor_decode("following", cursor)
    position = None
    if after is not None:
        try:
            at = dt.datetime.fromisoformat(after["t"])
        except (KeyError, TypeError, ValueError):
            raise InvalidCursor("This cursor is not valid.") from None
        position = (connection.ops.adapt_datetimefield_value(at), after["i"])
    hidden, hidden_params = _hidden_sql(viewer)
    where, params = _keyset("published_at", position)
    page_sql = _stream_sql(
        score="p.published_at", order="p.published_at DESC, p.id DESC",
        where=[f"p.author_id IN ({_FOLLOWED_SQL})", *hidden, *where],
    )
    rows = _cards(page_sql, [viewer.pk, *hidden_params, *params, limit + 1], viewer, take=limit + 1)
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = cursor_encode("following", t=last.published_at.isoformat(), i=last.pk)
    return Page(items=items, next_cursor=next_cursor)


def _time_page(
    qs: QuerySet, *, kind: str, cursor: str | None, limit: int | None, field: str = "published_at"
) -> Page:
    """Return a page of `qs` newest first, cut by (`field`, id)."""
    limit = page_size(limit)
    after = cursor_decode(kind, cursor)
    if after is not None:
        try:
            at = dt.datetime.fromisoformat(after["t"])
        except (KeyError, TypeError, ValueError):
            raise InvalidCursor("This cursor is not valid.") from None
        qs = _below(qs, field, at, after["i"])
    rows = list(qs.order_by(f"-{field}", "-id")[: limit + 1])
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = cursor_encode(kind, t=getattr(last, field).isoformat(), i=last.pk)
    return Page(items=items, next_cursor=next_cursor)


def profile_posts(*, author: User, viewer: User | None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Return a page of `author`'s published posts, newest first, as `viewer` sees them."""
    qs = _with_viewer(Post.objects.published().filter(author=author), viewer)
    return _time_page(qs, kind=f"profile:{author.pk}", cursor=cursor, limit=limit)


def comments_page(*, post: Post, viewer: User | None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Return a page of comments under `post`, newest first, without those of hidden people."""
    qs = Comment.objects.filter(post=post).select_related("author")
    hidden = hidden_author_ids(user=viewer)
    if hidden:
        qs = qs.exclude(author_id__in=hidden)
    return _time_page(qs, kind=f"comments:{post.pk}", cursor=cursor, limit=limit, field="created_at")


def comment_get(*, comment_id: int, viewer: User | None) -> Comment | None:
    """Return comment `comment_id` if `viewer` may see the post it is under."""
    comment = Comment.objects.select_related("author", "post").filter(pk=comment_id).first()
    if comment is None or not posts_visible(viewer=viewer).filter(pk=comment.post_id).exists():
        return None
    if comment.author_id in hidden_author_ids(user=viewer):
        return None
    return comment
