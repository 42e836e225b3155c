"""Reads in the feed: the For you and Following pages, profiles, posts and comments.

Pages are cut with keyset cursors (`config.pagination`), never offsets, so a page stays
stable while new posts arrive.

One idea, reading posts as people see them, and one module on purpose although it is long:
the For you and Following statements share the card columns, the block filter, the
author-spreading and the cursor rules with the profile and comment pages, and the feed
benchmark's one-query budget is easier to keep with them side by side.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from functools import cache
from typing import Any, NamedTuple, Protocol, TypeVar

from django.conf import settings
from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Value
from django.db.models.fields import BooleanField

from accounts.models import Block, Follow, User
from accounts.selectors import hidden_author_ids
from config.pagination import InvalidCursor, Page, cursor_decode, cursor_encode
from generation.sources import PostSource

from .models import Comment, Like, Post


def page_size(requested: int | str | None) -> int:
    """Return the page size asked for, bounded; a bad value falls back to the default."""
    try:
        size = int(requested) if requested not in (None, "") else settings.FEED_PAGE_SIZE
    except (TypeError, ValueError):
        size = settings.FEED_PAGE_SIZE
    return max(1, min(size, settings.FEED_MAX_PAGE_SIZE))


def remix_source_get(*, post_id: int, viewer: User | None) -> PostSource | None:
    """Return what a remix of post `post_id` starts from, if `viewer` can see the post
    (generation asks this through `generation.sources.remix_sources`)."""
    post = post_get(post_id=post_id, viewer=viewer)
    if post is None or post.state != Post.State.PUBLISHED or not post.video:
        return None
    return PostSource(
        post_id=post.pk, author=post.author, video_name=post.video.name or "", job_id=post.job_id,
        poster_name=post.poster.name or "" if post.poster else "",
    )


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


class _Authored(Protocol):
    author_id: int


AuthoredT = TypeVar("AuthoredT", bound=_Authored)


def spread_authors(posts: list[AuthoredT], previous_author: int | None) -> list[AuthoredT]:
    """Reorder `posts` (best first) so no author comes twice in a row where that can be helped.

    Greedy: take the best post whose author differs from the one before, unless one author
    holds so many of the remaining posts that they must come now for the rest to alternate.
    """
    authors = [p.author_id for p in posts]
    if all(a != b for a, b in zip([previous_author, *authors], authors, strict=False)):
        # Already alternating: the greedy pass below would keep this order (an author who
        # must come now holds over half of what is left, so stands first), skip it.
        return list(posts)
    pool = list(posts)
    counts = Counter(authors)
    out: list[AuthoredT] = []
    prev = previous_author
    # No author holds more than `most` of the posts left (counts only fall). While that is
    # at most half of them, no author has to come now, and the largest count is not searched.
    most = max(counts.values(), default=0)
    while pool:
        index = None
        if 2 * most > len(pool):
            top_author, most = max(counts.items(), key=lambda item: item[1])
            if top_author != prev and 2 * most > len(pool):
                index = next(i for i, p in enumerate(pool) if p.author_id == top_author)
        if index is None:
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
# A feed statement reads its posts in index order with the columns wanted (one stream, or
# the union of two), then adds what a card shows besides: the author (joined), the author
# of the remixed post (a subquery per row) and the viewer's like. Reading the columns in the
# streams, not joining the posts back on the page's ids, and the subquery, not two outer
# joins, leave the planner fewer relations to order: it spends a third less time on it.
# Statements leave `{post_columns}` (read in the streams) and `{card_columns}` (added
# around them) to their reader.
_REMIX_AUTHOR_ID_SQL = f"(SELECT r.author_id FROM {_POST} r WHERE r.id = page.remix_of_id)"
_REMIX_AUTHOR_HANDLE_SQL = (
    f"(SELECT ra.handle FROM {_POST} r JOIN {_USER} ra ON ra.id = r.author_id WHERE r.id = page.remix_of_id)"
)
_AUTHOR_FIELDS = ["id", "handle", "display_name", "avatar"]
_REMIX_FIELDS = ["id", "author_id"]
_REMIX_AUTHOR_FIELDS = ["id", "handle"]
_LIKED_SQL = f"EXISTS (SELECT 1 FROM {_LIKE} l WHERE l.post_id = page.id AND l.user_id = %s)"
_FOLLOWED_SQL = f"SELECT f.followee_id FROM {_FOLLOW} f WHERE f.follower_id = %s"
_HIDDEN_SQL = (
    f"p.author_id NOT IN (SELECT b.blocked_id FROM {_BLOCK} b WHERE b.blocker_id = %s "
    f"UNION ALL SELECT b.blocker_id FROM {_BLOCK} b WHERE b.blocked_id = %s)"
)


class PostCard(NamedTuple):
    """A post as a feed card shows it: one row of a feed statement, no model instances.

    The REST API writes its pages from these; taking rows as they come costs a fraction of
    building a Post, its author and its remix for each.
    """

    id: int
    author_id: int
    caption: str
    video: str
    poster: str
    duration: float
    width: int
    height: int
    video_size: int
    like_count: int
    comment_count: int
    published_at: dt.datetime | None
    state: str
    remix_of_id: int | None
    score: Any  # For you: the rank, boosted when followed; Following: the publication time
    author_handle: str
    author_display_name: str
    author_avatar: str
    remix_author_handle: str | None
    liked: bool

    @property
    def pk(self) -> int:
        return self.id


# Whole posts for the web pages; PostCard's columns, in its order, for the API.
_POST_COLUMNS = {
    "post_columns": "p.*",
    "card_columns": (
        "a.handle AS author_handle, a.display_name AS author_display_name, a.avatar AS author_avatar, "
        f"{_REMIX_AUTHOR_ID_SQL} AS remix_author_id, {_REMIX_AUTHOR_HANDLE_SQL} AS remix_author_handle"
    ),
}
_CARD_COLUMNS = {
    "post_columns": (
        "p.id, p.author_id, p.caption, p.video, p.poster, p.duration, p.width, p.height, "
        "p.video_size, p.like_count, p.comment_count, p.published_at, p.state, p.remix_of_id"
    ),
    "card_columns": f"a.handle, a.display_name, a.avatar, {_REMIX_AUTHOR_HANDLE_SQL}",
}
_PUBLISHED_AT = PostCard._fields.index("published_at")

# Runs a feed statement, given with its parameters, and returns its rows as posts or cards.
Reader = Callable[[str, list[Any]], list[Any]]


def _stream_sql(*, score: str, where: list[str], order: str) -> str:
    """Return one index-ordered, limited read of posts and their score (wrapped for a UNION)."""
    conditions = " AND ".join(["p.state = 'published'", *where])
    return (
        f"SELECT * FROM (SELECT {{post_columns}}, {score} AS score FROM {_POST} p "
        f"WHERE {conditions} ORDER BY {order} LIMIT %s) s"
    )


def _liked_sql(viewer: User | None) -> tuple[str, list[Any]]:
    """Return the expression telling whether `viewer` likes the post `page`."""
    if viewer is not None and viewer.is_authenticated:
        return _LIKED_SQL, [viewer.pk]
    return "0", []


def _page_statement(page_sql: str, page_params: list[Any], viewer: User | None, take: int) -> tuple[str, list[Any]]:
    """Return the statement reading the best `take` posts of the rows of `page_sql`, for cards."""
    liked, liked_params = _liked_sql(viewer)
    sql = (
        f"SELECT page.*, {{card_columns}}, {liked} AS liked FROM ({page_sql}) page "
        f"JOIN {_USER} a ON a.id = page.author_id ORDER BY page.score DESC, page.id DESC LIMIT %s"
    )
    # The liked test comes first in the statement, so its parameter does too.
    return sql, [*liked_params, *page_params, take]


def _posts(sql: str, params: list[Any]) -> list[Post]:
    """Run a feed statement and return its posts with authors, remixes and likes."""
    # Typed loosely: each row carries the joined columns of the statement as attributes.
    posts: list[Any] = list(Post.objects.raw(sql.format(**_POST_COLUMNS), params))
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


@cache
def _datetime_needs_loading(vendor: str) -> bool:
    """Return whether a backend's driver gives datetime columns as something else (SQLite: text)."""
    return bool(_datetime_converters())


def _datetime_converters() -> list[Callable[..., Any]]:
    column = Post._meta.get_field("published_at").get_col(_POST)
    return [*connection.ops.get_db_converters(column), *column.get_db_converters(connection)]


def _datetime_loader() -> Callable[[Any], dt.datetime | None] | None:
    """Return what turns a datetime column, as the database gives it, into a datetime.

    None where there is nothing to do: PostgreSQL's driver already returns aware datetimes.
    """
    if not _datetime_needs_loading(connection.vendor):
        return None
    column = Post._meta.get_field("published_at").get_col(_POST)
    converters = _datetime_converters()

    def load(value: Any) -> dt.datetime | None:
        for convert in converters:
            value = convert(value, column, connection)
        return value

    return load


def _cards(sql: str, params: list[Any]) -> list[PostCard]:
    """Run a feed statement and return its rows as PostCards."""
    with connection.cursor() as cursor:
        cursor.execute(sql.format(**_CARD_COLUMNS), params)
        rows = cursor.fetchall()
    load = _datetime_loader()
    if load is None:
        return [PostCard._make(row) for row in rows]
    at = _PUBLISHED_AT
    return [PostCard._make((*row[:at], load(row[at]), *row[at + 1 :])) for row in rows]


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
    """Return a page of the For you feed as posts: fresh, liked and followed first, authors spread.

    A post's score is its stored rank (freshness + engagement) plus a boost when the viewer
    follows its author. Two index-ordered reads — posts of followed authors and everyone
    else's — each yield their best `limit + 1` posts below the cursor; the page is the best
    of their union, which also tells whether another page follows.
    """
    return _for_you(viewer=viewer, cursor=cursor, limit=limit, read=_posts)


def feed_for_you_cards(*, viewer: User | None, cursor: str | None = None, limit: int | None = None) -> Page:
    """Return the same page of the For you feed as `feed_for_you`, as PostCards."""
    return _for_you(viewer=viewer, cursor=cursor, limit=limit, read=_cards)


def _for_you(*, viewer: User | None, cursor: str | None, limit: int | None, read: Reader) -> Page:
    limit = page_size(limit)
    after = cursor_decode("for_you", cursor)
    boost = float(settings.FEED_FOLLOW_BOOST)
    take = limit + 1
    order = "p.rank_score DESC, p.id DESC"

    def keyset(offset: float) -> tuple[list[str], list[Any]]:
        return _keyset("rank_score", None if after is None else (after["s"] - offset, after["i"]))

    if viewer is None or not viewer.is_authenticated:
        where, params = keyset(0.0)
        page_sql = _stream_sql(score="p.rank_score", where=where, order=order)
        scored = read(*_page_statement(page_sql, [*params, take], viewer, take))
    else:
        hidden, hidden_params = _hidden_sql(viewer)
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
        page_params = [
            boost, viewer.pk, *hidden_params, *mine_params, take,
            viewer.pk, *hidden_params, *others_params, take,
        ]
        scored = read(*_page_statement(f"{mine} UNION ALL {others}", page_params, viewer, take))
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
    return _following(viewer=viewer, cursor=cursor, limit=limit, read=_posts)


def feed_following_cards(*, viewer: User, cursor: str | None = None, limit: int | None = None) -> Page:
    """Return the same page of the Following feed as `feed_following`, as PostCards."""
    return _following(viewer=viewer, cursor=cursor, limit=limit, read=_cards)


def _following(*, viewer: User, cursor: str | None, limit: int | None, read: Reader) -> Page:
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
    # The page first, then the like test on its rows: at the same level as the ordered scan,
    # the like test was planned as a hash of all the viewer's likes.
    page_sql = _stream_sql(
        score="p.published_at", order="p.published_at DESC, p.id DESC",
        where=[f"p.author_id IN ({_FOLLOWED_SQL})", *hidden, *where],
    )
    rows = read(*_page_statement(page_sql, [viewer.pk, *hidden_params, *params, limit + 1], viewer, limit + 1))
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
