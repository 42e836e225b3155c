"""A feed-sized PostgreSQL database for the benchmarks, bulk-loaded with COPY.

The data is synthetic but shaped like a real platform: a few prolific authors and a long
tail, popular and ignored videos, people who follow about fifty others, some blocks. Every
stored count (likes, comments, followers, posts) and every rank score agrees with the rows,
so the ranking the app computes is the ranking it would have computed itself.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import psycopg
from psycopg import sql

# Bump when the shape of the data changes, so an older database is reseeded.
SEED_VERSION = 4
FRESHNESS_SECONDS = 45_000.0  # feed.services.FRESHNESS_SECONDS
COMMENT_WEIGHT = 2  # feed.services.COMMENT_WEIGHT
DAY_US = 86_400 * 1_000_000


@dataclass(frozen=True)
class Shape:
    """How much of everything to create."""

    users: int = 10_000
    posts: int = 100_000
    likes: int = 1_000_000
    comments: int = 150_000
    follows_per_user: int = 50
    viewer_follows: int = 200
    viewer_likes: int = 1_500
    blocks: int = 2_000
    days: int = 90
    seed: int = 2026

    def marker(self) -> str:
        """Return the text stored on the database once it holds exactly this data."""
        return (
            f"reel-bench v{SEED_VERSION} users={self.users} posts={self.posts} likes={self.likes} "
            f"comments={self.comments} follows={self.follows_per_user}/{self.viewer_follows} "
            f"blocks={self.blocks} seed={self.seed}"
        )


VIEWER_ID = 1
VIEWER_HANDLE = "viewer"


def log(message: str) -> None:
    print(f"  {message}", flush=True)


def database_marker(conninfo: str, dbname: str) -> str | None:
    """Return the seed marker of `dbname`, or None if it has none or does not exist."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [dbname],
        ).fetchone()
    return row[0] if row else None


def database_create(conninfo: str, dbname: str, *, drop: bool) -> None:
    """Create `dbname` (dropping it first when `drop`) through the maintenance database."""
    with psycopg.connect(conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [dbname]).fetchone()
        if exists and drop:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(dbname)))
            exists = None
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def database_mark(conninfo: str, dbname: str, marker: str) -> None:
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(sql.Identifier(dbname), sql.Literal(marker))
        )


def _timestamps(epoch_us: np.ndarray) -> list[str]:
    """Return PostgreSQL timestamptz literals (UTC) for microseconds since the epoch."""
    text = np.datetime_as_string(epoch_us.astype("datetime64[us]"), unit="us")
    return [f"{t}+00" for t in text.tolist()]


def _copy(
    cur: psycopg.Cursor, table: str, columns: Sequence[str], count: int,
    row: Callable[[int], Iterable[object]],
) -> None:
    """COPY `count` rows made by `row(i)` into `table`, in text format, a chunk at a time."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    started = time.perf_counter()
    with cur.copy(statement) as copy:
        chunk: list[str] = []
        for i in range(count):
            chunk.append("\t".join("\\N" if v is None else str(v) for v in row(i)))
            if len(chunk) == 50_000:
                copy.write("\n".join(chunk) + "\n")
                chunk.clear()
        if chunk:
            copy.write("\n".join(chunk) + "\n")
    log(f"{table}: {count:,} rows in {time.perf_counter() - started:.1f} s")


def _unique_pairs(
    a: np.ndarray, b: np.ndarray, base: int, *, drop_self: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Return the distinct (a, b) pairs (without a == b when `drop_self`), first ones kept."""
    keys = a.astype(np.int64) * base + b.astype(np.int64)
    if drop_self:
        keys = keys[a != b]
    _uniq, first = np.unique(keys, return_index=True)
    first.sort()
    keys = keys[first]
    return keys // base, keys % base


def seed(conninfo: str, shape: Shape) -> dict[str, int]:
    """Fill the (migrated, empty) feed tables of `conninfo` with `shape`; return the counts."""
    rng = np.random.default_rng(shape.seed)
    now_us = int(dt.datetime.now(dt.UTC).timestamp()) * 1_000_000
    users, posts = shape.users, shape.posts
    user_ids = np.arange(1, users + 1)

    # --- Posts: a long tail of authors, spread over the last `days` days, ids in time order.
    author_rank = rng.permutation(users) + 1  # author_rank[k] is the user with the k-th most posts
    weights = 1.0 / (np.arange(users) + 10.0)
    author = author_rank[rng.choice(users, size=posts, p=weights / weights.sum())]
    published_us = np.sort(now_us - rng.integers(60_000_000, shape.days * DAY_US, size=posts))
    created_us = published_us - rng.integers(30_000_000, 3_600_000_000, size=posts)
    roll = rng.random(posts)
    state = np.where(roll < 0.02, 1, np.where(roll < 0.03, 2, 0))  # 0 published, 1 pending, 2 removed
    published = state == 0
    remix = np.full(posts, -1, dtype=np.int64)
    remixing = (rng.random(posts) < 0.05) & (np.arange(posts) > 100)
    remix[remixing] = (rng.random(remixing.sum()) * np.nonzero(remixing)[0]).astype(np.int64) + 1

    # --- Likes: popular posts and active people get most of them; the viewer likes some
    # of the newest posts (which rank high) so "liked" is true on the first pages.
    published_idx = np.nonzero(published)[0]
    popularity = rng.lognormal(0.0, 1.3, size=published_idx.size)
    p_post = popularity / popularity.sum()
    activity = rng.lognormal(0.0, 1.0, size=users - 1)
    p_user = activity / activity.sum()
    newest = published_idx[-3_000:]
    viewer_posts = np.unique(
        np.concatenate([
            rng.choice(newest, size=shape.viewer_likes * 2 // 3, replace=False),
            rng.choice(published_idx, size=shape.viewer_likes // 3, replace=False),
        ])
    )
    wanted = shape.likes - viewer_posts.size
    like_post = np.empty(0, dtype=np.int64)
    like_user = np.empty(0, dtype=np.int64)
    while like_post.size < wanted:
        n = int((wanted - like_post.size) * 1.2) + 1_000
        lp = published_idx[rng.choice(published_idx.size, size=n, p=p_post)]
        lu = rng.choice(users - 1, size=n, p=p_user) + 2  # everyone but the viewer
        like_post, like_user = _unique_pairs(
            np.concatenate([like_post, lp]), np.concatenate([like_user, lu]), users + 1, drop_self=False
        )
    like_post, like_user = like_post[:wanted], like_user[:wanted]
    like_post = np.concatenate([like_post, viewer_posts])
    like_user = np.concatenate([like_user, np.full(viewer_posts.size, VIEWER_ID)])
    like_count = np.bincount(like_post, minlength=posts)

    # --- Comments, on the same popular posts.
    comment_post = published_idx[rng.choice(published_idx.size, size=shape.comments, p=p_post)]
    comment_author = rng.integers(1, users + 1, size=shape.comments)
    comment_count = np.bincount(comment_post, minlength=posts)

    # --- Scores, exactly as post_publish and _counts_changed compute them.
    fresh = np.where(published | (state == 2), (published_us / 1e6) / FRESHNESS_SECONDS, 0.0)
    rank = np.where(
        published | (state == 2), fresh + np.log10(1.0 + like_count + COMMENT_WEIGHT * comment_count), 0.0
    )

    # --- Follows: ~`follows_per_user` each, leaning towards prolific authors; the viewer
    # follows `viewer_follows` people who post.
    posts_by = np.bincount(author, minlength=users + 1)[1:].astype(float)
    p_followee = 0.5 * posts_by / posts_by.sum() + 0.5 / users
    per_user = rng.integers(shape.follows_per_user - 20, shape.follows_per_user + 21, size=users - 1)
    follower = np.repeat(user_ids[1:], per_user)
    followee = rng.choice(users, size=follower.size, p=p_followee) + 1
    posting = np.nonzero(posts_by > 0)[0] + 1
    posting = posting[posting != VIEWER_ID]
    p_viewer = p_followee[posting - 1] / p_followee[posting - 1].sum()
    viewer_followees = rng.choice(posting, size=shape.viewer_follows, replace=False, p=p_viewer)

    # --- Blocks: the viewer blocks a few people and is blocked by a few; others at random.
    strangers = np.setdiff1d(user_ids[1:], viewer_followees)
    picked = rng.choice(strangers, size=8, replace=False)
    block_a = np.concatenate([np.full(5, VIEWER_ID), picked[5:], rng.integers(2, users + 1, size=shape.blocks)])
    block_b = np.concatenate([picked[:5], np.full(3, VIEWER_ID), rng.integers(2, users + 1, size=shape.blocks)])
    block_a, block_b = _unique_pairs(block_a, block_b, users + 1)

    follower = np.concatenate([follower, np.full(viewer_followees.size, VIEWER_ID)])
    followee = np.concatenate([followee, viewer_followees])
    follower, followee = _unique_pairs(follower, followee, users + 1)
    # A block ends any follow between the two people, both ways.
    blocked_keys = np.concatenate([block_a * (users + 1) + block_b, block_b * (users + 1) + block_a])
    keep = ~np.isin(follower * (users + 1) + followee, blocked_keys)
    follower, followee = follower[keep], followee[keep]

    follower_count = np.bincount(followee, minlength=users + 1)
    following_count = np.bincount(follower, minlength=users + 1)
    post_count = np.bincount(author[published], minlength=users + 1)

    # --- Load.
    started = time.perf_counter()
    joined_us = now_us - rng.integers(shape.days * DAY_US, 400 * DAY_US, size=users)
    states = ["published", "pending_review", "removed"]
    published_ts = _timestamps(published_us)
    created_ts = _timestamps(created_us)
    joined_ts = _timestamps(joined_us)
    like_us = np.minimum(published_us[like_post] + rng.integers(0, 3 * DAY_US, size=like_post.size), now_us)
    like_order = np.argsort(like_us, kind="stable")
    like_post, like_user, like_us = like_post[like_order], like_user[like_order], like_us[like_order]
    like_ts = _timestamps(like_us)
    comment_ts = _timestamps(np.minimum(published_us[comment_post] + rng.integers(0, 3 * DAY_US, size=comment_post.size), now_us))
    follow_ts = _timestamps(now_us - rng.integers(0, shape.days * DAY_US, size=follower.size))
    block_ts = _timestamps(now_us - rng.integers(0, shape.days * DAY_US, size=block_a.size))
    bodies = ["So calming", "Trop beau !", "How did you make this?", "On repeat all day", "Remix incoming"]

    a_list, fresh_list, rank_list = author.tolist(), fresh.tolist(), rank.tolist()
    lc, cc, st, rx = like_count.tolist(), comment_count.tolist(), state.tolist(), remix.tolist()
    dur = (rng.integers(20, 150, size=posts) / 10).tolist()
    size = rng.integers(200_000, 9_000_000, size=posts).tolist()
    fc, gc, pc = follower_count.tolist(), following_count.tolist(), post_count.tolist()
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        cur.execute("SET synchronous_commit = off")
        _copy(
            cur, "accounts_user",
            ["id", "password", "is_superuser", "email", "is_staff", "is_active", "date_joined", "handle",
             "display_name", "bio", "avatar", "date_of_birth", "follower_count", "following_count", "post_count"],
            users,
            lambda i: (
                i + 1, "!bench", "f", f"{_handle(i + 1)}@bench.invalid", "f", "t", joined_ts[i], _handle(i + 1),
                f"Person {i + 1}", "Loops, light and slow motion." if i % 3 == 0 else "",
                f"avatars/{i + 1}/bench.webp" if i % 2 == 0 else "", "1995-05-17",
                fc[i + 1], gc[i + 1], pc[i + 1],
            ),
        )
        _copy(
            cur, "feed_post",
            ["id", "author_id", "video", "poster", "duration", "video_size", "width", "height", "caption",
             "state", "remix_of_id", "created_at", "published_at", "like_count", "comment_count",
             "fresh_score", "rank_score"],
            posts,
            lambda i: (
                i + 1, a_list[i], "videos/bench.mp4", "posters/bench.jpg", dur[i], size[i], 720, 1280,
                f"Clip {i + 1} #loop #light", states[st[i]], rx[i] if rx[i] > 0 else None,
                created_ts[i], None if st[i] == 1 else published_ts[i], lc[i], cc[i],
                repr(fresh_list[i]), repr(rank_list[i]),
            ),
        )
        lp, lu = (like_post + 1).tolist(), like_user.tolist()
        _copy(cur, "feed_like", ["post_id", "user_id", "created_at"], len(lp),
              lambda i: (lp[i], lu[i], like_ts[i]))
        cp, ca = (comment_post + 1).tolist(), comment_author.tolist()
        _copy(cur, "feed_comment", ["post_id", "author_id", "body", "created_at"], len(cp),
              lambda i: (cp[i], ca[i], bodies[i % len(bodies)], comment_ts[i]))
        fa, fb = follower.tolist(), followee.tolist()
        _copy(cur, "accounts_follow", ["follower_id", "followee_id", "created_at"], len(fa),
              lambda i: (fa[i], fb[i], follow_ts[i]))
        ba, bb = block_a.tolist(), block_b.tolist()
        _copy(cur, "accounts_block", ["blocker_id", "blocked_id", "created_at"], len(ba),
              lambda i: (ba[i], bb[i], block_ts[i]))
        for table in ("accounts_user", "feed_post"):
            cur.execute(
                sql.SQL("SELECT setval(pg_get_serial_sequence({t}, 'id'), (SELECT max(id) FROM {i}))").format(
                    t=sql.Literal(table), i=sql.Identifier(table)
                )
            )
        log("committing (foreign keys are checked now)…")
    log(f"loaded in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
    log(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")
    return counts(conninfo)


def _handle(user_id: int) -> str:
    return VIEWER_HANDLE if user_id == VIEWER_ID else f"person{user_id:05d}"


def counts(conninfo: str) -> dict[str, int]:
    """Return the row counts of the feed tables."""
    tables = ["accounts_user", "feed_post", "feed_like", "feed_comment", "accounts_follow", "accounts_block"]
    with psycopg.connect(conninfo, autocommit=True) as conn:
        return {
            t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
            for t in tables
        }
