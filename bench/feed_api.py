#!/usr/bin/env python
"""Feed API latency on PostgreSQL, side by side with a one-query psycopg baseline.

    make bench-feed        # = .venv/bin/python bench/feed_api.py [--reseed] [--requests N] [--explain]

Seeds (once) a dedicated database, reel_bench, with 10,000 people, 100,000 posts, 1,000,000
likes, 150,000 comments and ~490,000 follows, then times each feed page through the REST API
in process (django.test.Client: middleware, session, DRF, selector, JSON) against one hand-written
SQL statement run through psycopg and serialised with json.dumps, interleaving the two.
BENCH_DATABASE_URL and BENCH_REDIS_URL choose other servers. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "platform"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import feed_data  # noqa: E402  (bench/ is this script's own folder)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/reel_bench"
# A Redis database of its own: test suites empty theirs (cache.clear() is FLUSHDB), which
# would drop the benchmark's sessions and cached follow sets in the middle of a run.
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/7"
CACHE_PREFIX = "reel-bench"
HOST = "127.0.0.1"
TARGET_RATIO_P50 = 2.0
QUERY_SAMPLES = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reseed", action="store_true", help="drop and re-create the benchmark database")
    parser.add_argument("--requests", type=int, default=400, help="timed requests per case and side (default 400)")
    parser.add_argument("--warmup", type=int, default=40, help="untimed requests per case first (default 40)")
    parser.add_argument("--deep", type=int, default=100, help="the deep page starts after N pages of 10 (default 100)")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is not met")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL database to use (default $BENCH_DATABASE_URL or %(default)s)",
    )
    parser.add_argument(
        "--prepared-baseline", action="store_true",
        help="let psycopg prepare the baseline's statements (the server then skips planning them; "
        "Django never does this, so by default neither side does)",
    )
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the API's SQL")
    args = parser.parse_args()
    if args.deep < 1 or args.requests < 1 or args.warmup < 0:
        parser.error("--deep and --requests must be at least 1, --warmup at least 0")
    return args


def configure_environment(database_url: str) -> None:
    """Point the settings at the benchmark database and Redis, before Django loads them."""
    # No collectstatic has to have run for an API benchmark.
    warnings.filterwarnings("ignore", message="No directory at: ")
    os.environ["DATABASE_URL"] = database_url
    os.environ["REDIS_URL"] = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["CACHE_KEY_PREFIX"] = CACHE_PREFIX
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_ALLOWED_HOSTS"] = f"{HOST},localhost"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The throttles still run (one Redis command per request counts them all); only their limits are
    # lifted, or a few hundred requests a minute from one client would be refused.
    for scope in ("ANON", "USER", "WRITES"):
        os.environ[f"API_THROTTLE_{scope}"] = "1000000/minute"


def libpq_url(database_url: str, dbname: str | None = None) -> str:
    """Return `database_url` as libpq accepts it, optionally naming another database."""
    parts = urlsplit(database_url)
    scheme = "postgresql" if parts.scheme in ("postgres", "postgresql", "pgsql") else parts.scheme
    path = f"/{dbname}" if dbname is not None else parts.path
    return urlunsplit((scheme, parts.netloc, path, parts.query, parts.fragment))


# --------------------------------------------------------------------------------------
# Preparing the database


def prepare_database(database_url: str, *, reseed: bool) -> dict[str, int]:
    """Create, migrate and seed the benchmark database unless it already holds this data."""
    import django
    from django.core.management import call_command

    shape = feed_data.Shape()
    dbname = urlsplit(database_url).path.lstrip("/")
    admin = libpq_url(database_url, "postgres")
    conninfo = libpq_url(database_url)
    marker = feed_data.database_marker(admin, dbname)
    fresh = reseed or marker != shape.marker()
    if fresh and marker is not None and not marker.startswith("reel-bench") and not reseed:
        sys.exit(f"Database {dbname!r} exists and was not made by this benchmark; pass --reseed to replace it.")
    if fresh:
        print(f"Seeding database {dbname!r} ({shape.marker()}):", flush=True)
        started = time.perf_counter()
        feed_data.database_create(admin, dbname, drop=True)
    else:
        print(f"Reusing database {dbname!r} ({marker}).", flush=True)
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    if fresh:
        feed_data.seed(conninfo, shape)
        feed_data.database_mark(admin, dbname, shape.marker())
        print(f"  seeded in {time.perf_counter() - started:.0f} s", flush=True)
    counts = feed_data.counts(conninfo)
    assert counts["accounts_user"] >= 10_000, counts
    assert counts["feed_post"] >= 100_000, counts
    assert counts["feed_like"] >= 1_000_000, counts
    return counts


def clear_bench_cache() -> None:
    """Drop the benchmark's own keys from Redis (never the whole database: others share it)."""
    from django.conf import settings

    location = settings.CACHES["default"].get("LOCATION")
    if not location:
        return
    import redis

    client = redis.Redis.from_url(location)
    keys = list(client.scan_iter(match=f"{CACHE_PREFIX}:*", count=1000))
    for start in range(0, len(keys), 500):
        client.delete(*keys[start : start + 500])


# --------------------------------------------------------------------------------------
# The baseline: one SQL statement through psycopg, rows serialised with json.dumps

CARD_COLUMNS = """
    p.id, p.author_id, p.caption, p.video, p.poster, p.duration, p.width, p.height,
    p.video_size, p.like_count, p.comment_count, p.published_at, p.state, p.remix_of_id,
    a.handle, a.display_name, a.avatar, ra.handle AS remix_handle"""

CARD_JOINS = """
    JOIN accounts_user a ON a.id = p.author_id
    LEFT JOIN feed_post r ON r.id = p.remix_of_id
    LEFT JOIN accounts_user ra ON ra.id = r.author_id"""

HIDDEN = """(
        SELECT blocked_id FROM accounts_block WHERE blocker_id = %(viewer)s
        UNION ALL
        SELECT blocker_id FROM accounts_block WHERE blocked_id = %(viewer)s)"""

LIKED = "EXISTS (SELECT 1 FROM feed_like l WHERE l.post_id = p.id AND l.user_id = %(viewer)s)"


def for_you_sql(*, keyset: bool) -> str:
    """For you as a viewer sees it: the best posts of followed authors (boosted) and of
    everyone else, each read in rank-index order below the cursor, merged, then joined."""
    below = "AND (p.rank_score, p.id) < ({s}, %(i)s)"  # a row comparison bounds the index scan
    below_mine = below.format(s="%(s_mine)s") if keyset else ""
    below_others = below.format(s="%(s)s") if keyset else ""
    return f"""
WITH page AS (
    (SELECT p.id, p.rank_score + %(boost)s AS score
       FROM feed_post p
      WHERE p.state = 'published'
        AND EXISTS (SELECT 1 FROM accounts_follow f
                     WHERE f.follower_id = %(viewer)s AND f.followee_id = p.author_id)
        AND p.author_id NOT IN {HIDDEN}
        {below_mine}
      ORDER BY p.rank_score DESC, p.id DESC
      LIMIT %(n)s)
    UNION ALL
    (SELECT p.id, p.rank_score AS score
       FROM feed_post p
      WHERE p.state = 'published'
        AND p.author_id NOT IN (SELECT followee_id FROM accounts_follow WHERE follower_id = %(viewer)s)
        AND p.author_id NOT IN {HIDDEN}
        {below_others}
      ORDER BY p.rank_score DESC, p.id DESC
      LIMIT %(n)s)
)
SELECT {CARD_COLUMNS}, {LIKED} AS liked, page.score
  FROM page
  JOIN feed_post p ON p.id = page.id {CARD_JOINS}
 ORDER BY page.score DESC, page.id DESC
 LIMIT %(n)s"""


FOR_YOU_ANONYMOUS_SQL = f"""
SELECT {CARD_COLUMNS}, false AS liked, p.rank_score AS score
  FROM feed_post p {CARD_JOINS}
 WHERE p.state = 'published'
 ORDER BY p.rank_score DESC, p.id DESC
 LIMIT %(n)s"""

# The newest posts, read in time-index order, keeping those of followed authors.
FOLLOWING_SQL = f"""
SELECT {CARD_COLUMNS}, {LIKED} AS liked, page.published_at AS score
  FROM (SELECT p.id, p.published_at
          FROM feed_post p
         WHERE p.state = 'published'
           AND EXISTS (SELECT 1 FROM accounts_follow f
                        WHERE f.follower_id = %(viewer)s AND f.followee_id = p.author_id)
           AND p.author_id NOT IN {HIDDEN}
         ORDER BY p.published_at DESC, p.id DESC
         LIMIT %(n)s) page
  JOIN feed_post p ON p.id = page.id {CARD_JOINS}
 ORDER BY page.published_at DESC, page.id DESC"""


@dataclass
class Baseline:
    """Fetches a feed page with one statement and writes the same JSON as the API."""

    conn: Any
    viewer_id: int
    boost: float
    origin: str
    media_url: str
    post_url: tuple[str, str]
    profile_url: tuple[str, str]
    last_rows: list[tuple] = field(default_factory=list)

    def _iso(self, value: dt.datetime | None) -> str | None:
        if value is None:
            return None
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    def _render(self, rows: list[tuple], limit: int, cursor_of: Callable[[tuple], str]) -> bytes:
        media, (post_a, post_b), (prof_a, prof_b) = self.media_url, self.post_url, self.profile_url
        results = []
        for (pid, _author_id, caption, video, poster, duration, width, height, video_size, likes,
             comments, published_at, state, remix_id, handle, display_name, avatar, remix_handle,
             liked, _score) in rows[:limit]:
            url = f"{post_a}{pid}{post_b}"
            results.append({
                "id": pid,
                "url": url,
                "share_url": self.origin + url,
                "author": {
                    "handle": handle,
                    "display_name": display_name,
                    "avatar_url": media + avatar if avatar else None,
                    "url": f"{prof_a}{handle}{prof_b}",
                },
                "caption": caption,
                "video_url": media + video if video else None,
                "poster_url": media + poster if poster else None,
                "duration": duration,
                "width": width,
                "height": height,
                "video_size": video_size,
                "like_count": likes,
                "comment_count": comments,
                "liked": liked,
                "published_at": self._iso(published_at),
                "state": state,
                "remix_of": {"id": remix_id, "author_handle": remix_handle} if remix_id is not None else None,
            })
        next_cursor = cursor_of(rows[limit - 1]) if len(rows) > limit else None
        self.last_rows = rows[:limit]
        return json.dumps({"results": results, "next": next_cursor}, ensure_ascii=False,
                          separators=(",", ":")).encode()

    def for_you(self, *, cursor: str | None, limit: int) -> bytes:
        params: dict[str, Any] = {"viewer": self.viewer_id, "boost": self.boost, "n": limit + 1}
        if cursor:
            score, _, post_id = cursor.partition(":")
            params.update(s=float(score), s_mine=float(score) - self.boost, i=int(post_id))
        rows = self.conn.execute(FOR_YOU_KEYSET_SQL if cursor else FOR_YOU_FIRST_SQL, params).fetchall()
        return self._render(rows, limit, lambda row: f"{row[-1]!r}:{row[0]}")

    def for_you_anonymous(self, *, limit: int) -> bytes:
        rows = self.conn.execute(FOR_YOU_ANONYMOUS_SQL, {"n": limit + 1}).fetchall()
        return self._render(rows, limit, lambda row: f"{row[-1]!r}:{row[0]}")

    def following(self, *, limit: int) -> bytes:
        rows = self.conn.execute(FOLLOWING_SQL, {"viewer": self.viewer_id, "n": limit + 1}).fetchall()
        return self._render(rows, limit, lambda row: f"{row[-1].isoformat()}:{row[0]}")


FOR_YOU_FIRST_SQL = for_you_sql(keyset=False)
FOR_YOU_KEYSET_SQL = for_you_sql(keyset=True)


def url_template(name: str, **placeholder: Any) -> tuple[str, str]:
    """Return the parts of the path of route `name` before and after its one argument."""
    from django.urls import reverse

    (key, marker), = placeholder.items()
    path = reverse(name, kwargs={key: marker})
    before, found, after = path.partition(str(marker))
    assert found, path
    return before, after


# --------------------------------------------------------------------------------------
# Measuring


@dataclass
class Case:
    """One feed page, fetched through the API and through the baseline."""

    name: str
    path: str
    signed_in: bool
    cursor: str | None
    baseline: Callable[[int], bytes]
    previous_author: int | None = None
    ordered_by_rank: bool = True


@dataclass
class Result:
    case: str
    limit: int
    api: list[float]
    base: list[float]
    queries: int
    query_counts: list[int]
    extra_sql: list[str]
    same_set: bool
    same_order: bool
    same_order_after_spreading: bool
    field_mismatches: list[str]
    api_bytes: int
    base_bytes: int


def quantile(values: list[float], q: float) -> float:
    """Return the nearest-rank `q` quantile of `values`."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 1))  # ceil(n * q)
    return ordered[int(rank) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f}"


class Runner:
    def __init__(self, *, viewer, baseline: Baseline, requests: int, warmup: int) -> None:
        from django.test import Client

        self.baseline, self.requests, self.warmup = baseline, requests, warmup
        self.viewer_client = Client(HTTP_HOST=HOST)
        self.viewer_client.force_login(viewer)
        self.anonymous_client = Client(HTTP_HOST=HOST)

    def client(self, case: Case):
        return self.viewer_client if case.signed_in else self.anonymous_client

    def api(self, case: Case, limit: int) -> bytes:
        data = {"limit": limit}
        if case.cursor:
            data["cursor"] = case.cursor
        response = self.client(case).get(case.path, data)
        if response.status_code != 200:
            raise SystemExit(f"{case.name}: HTTP {response.status_code}: {response.content[:500]!r}")
        return response.content

    def run(self, case: Case, limit: int) -> Result:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from feed.selectors import spread_authors

        def call_api() -> bytes:
            return self.api(case, limit)

        def call_base() -> bytes:
            return case.baseline(limit)

        for _ in range(self.warmup):
            call_api()
            call_base()

        # Queries per request, over a few requests: a cache entry expiring (the follow and
        # block sets live 5 minutes) can add one now and then; the usual count is reported.
        counts, extra_sql = [], []
        for _ in range(QUERY_SAMPLES):
            with CaptureQueriesContext(connection) as captured:
                api_body = call_api()
            sql = [q["sql"] for q in captured.captured_queries]  # read now: the next request clears it
            counts.append(len(sql))
            if len(sql) > min(counts):
                extra_sql = sql
        queries = max(set(counts), key=counts.count)
        base_body = call_base()
        rows = list(self.baseline.last_rows)
        api_page, base_page = json.loads(api_body), json.loads(base_body)
        api_ids = [item["id"] for item in api_page["results"]]
        base_ids = [item["id"] for item in base_page["results"]]
        same_set = set(api_ids) == set(base_ids) and len(api_ids) == len(base_ids) == limit
        if not same_set:
            raise SystemExit(
                f"{case.name}, limit {limit}: the baseline returned other posts than the API\n"
                f"  API:      {api_ids}\n  baseline: {base_ids}"
            )
        if case.ordered_by_rank:
            stand_ins = [_StandIn(row[0], row[1]) for row in rows]
            spread = [p.pk for p in spread_authors(stand_ins, case.previous_author)]
        else:
            spread = base_ids
        base_items = {item["id"]: item for item in base_page["results"]}
        mismatches = sorted({
            key for item in api_page["results"] for key in set(item) | set(base_items[item["id"]])
            if item.get(key) != base_items[item["id"]].get(key)
        })

        api_times: list[float] = []
        base_times: list[float] = []
        clock = time.perf_counter
        for k in range(self.requests):
            # Alternate which side goes first, so neither always finds the other's warm caches.
            if k % 2:
                t0 = clock()
                call_base()
                t1 = clock()
                call_api()
                t2 = clock()
                base_times.append(t1 - t0)
                api_times.append(t2 - t1)
            else:
                t0 = clock()
                call_api()
                t1 = clock()
                call_base()
                t2 = clock()
                api_times.append(t1 - t0)
                base_times.append(t2 - t1)
        return Result(
            case=case.name, limit=limit, api=api_times, base=base_times,
            queries=queries, query_counts=counts, extra_sql=extra_sql, same_set=same_set,
            same_order=api_ids == base_ids, same_order_after_spreading=api_ids == spread,
            field_mismatches=mismatches, api_bytes=len(api_body), base_bytes=len(base_body),
        )


@dataclass
class _StandIn:
    """Enough of a post for feed.selectors.spread_authors."""

    pk: int
    author_id: int


def walk_cursor(runner: Runner, path: str, pages: int, limit: int) -> tuple[str, dict[str, Any]]:
    """Follow `next` through `pages` pages of the API; return the cursor and what it holds."""
    from config.pagination import cursor_decode

    cursor = None
    for _ in range(pages):
        data = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        response = runner.viewer_client.get(path, data)
        assert response.status_code == 200, response.content[:500]
        cursor = response.json()["next"]
        assert cursor, "the feed ended before the deep page"
    return cursor, cursor_decode("for_you", cursor)


def explain(runner: Runner, case: Case, limit: int) -> None:
    """Print the SQL the API ran for `case` and PostgreSQL's plan of each statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        runner.api(case, limit)
    print(f"\n--- {case.name}, limit {limit}: {len(captured.captured_queries)} queries")
    for query in captured.captured_queries:
        print(f"\n[{query['time']} s] {query['sql'][:2000]}")
        if query["sql"].lstrip().upper().startswith("SELECT"):
            with connection.cursor() as cur:
                cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                print("\n".join("    " + row[0] for row in cur.fetchall()))


# --------------------------------------------------------------------------------------
# Reporting


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def revision() -> str:
    """Return the commit measured, and whether the working tree differed from it."""
    try:
        out = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty=+uncommitted changes"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.replace("+", " (with ", 1) + ")" if "+" in out else out


def machine() -> dict[str, str]:
    """Return what the figures depend on: hardware and versions."""
    import platform as std_platform

    import django
    import psycopg
    import rest_framework
    from django.db import connection

    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal"))
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    except (OSError, StopIteration, ValueError):
        memory = "unknown"
    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        server = cur.fetchone()[0]
        cur.execute("SHOW shared_buffers")
        buffers = cur.fetchone()[0]
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores, {memory} RAM",
        "PostgreSQL": f"{server} (shared_buffers {buffers}), on 127.0.0.1",
        "Code": f"git {revision()}",
        "Software": (
            f"Python {std_platform.python_version()}, Django {django.get_version()}, "
            f"DRF {rest_framework.VERSION}, psycopg {psycopg.__version__} ({psycopg.pq.__impl__})"
        ),
    }


def report(results: list[Result], counts: dict[str, int], info: dict[str, str], *, requests: int, warmup: int) -> bool:
    """Print the figures as Markdown tables; return whether the targets are met."""
    print("\n## Feed API: results\n")
    for key, value in info.items():
        if key != "load before":
            print(f"- {key}: {value}")
    names = {"accounts_user": "people", "feed_post": "posts", "feed_like": "likes", "feed_comment": "comments",
             "accounts_follow": "follows", "accounts_block": "blocks"}
    print("- Data: " + ", ".join(f"{value:,} {names.get(name, name)}" for name, value in counts.items()))
    print(f"- Load average (1, 5, 15 min) before / after: {info['load before']} / {load_average()}")
    print(f"- {requests} timed requests per case and side, after {warmup} untimed; milliseconds\n")
    print("| Case | limit | API p50 | API p99 | baseline p50 | baseline p99 | ratio p50 | ratio p99 | SQL queries |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    worst = 0.0
    for r in results:
        a50, a99, b50, b99 = quantile(r.api, 0.5), quantile(r.api, 0.99), quantile(r.base, 0.5), quantile(r.base, 0.99)
        worst = max(worst, a50 / b50)
        print(
            f"| {r.case} | {r.limit} | {ms(a50)} | {ms(a99)} | {ms(b50)} | {ms(b99)} | "
            f"{a50 / b50:.2f}x | {a99 / b99:.2f}x | {r.queries} |"
        )
    print(f"\nSQL queries per request (API, the usual count over {QUERY_SAMPLES} requests; the baseline always runs 1):\n")
    print("| Case | limit 10 | limit 50 | constant |")
    print("|---|---:|---:|---|")
    by_case: dict[str, dict[int, int]] = {}
    for r in results:
        by_case.setdefault(r.case, {})[r.limit] = r.queries
    constant = True
    for case, per_limit in by_case.items():
        same = len(set(per_limit.values())) == 1
        constant = constant and same
        print(f"| {case} | {per_limit.get(10, '-')} | {per_limit.get(50, '-')} | {'yes' if same else 'NO'} |")
    for r in results:
        if len(set(r.query_counts)) > 1:
            print(f"\nNote: {r.case}, limit {r.limit}: counts over {QUERY_SAMPLES} requests were {r.query_counts}; "
                  "the largest ran:")
            for sql in r.extra_sql:
                print(f"    {' '.join(sql.split())[:160]}")
    print("\nSame page as the API (post ids compared as sets; order after the API's author spreading):\n")
    print("| Case | limit | same posts | same order | same order once spread | fields that differ | bytes API / baseline |")
    print("|---|---:|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.case} | {r.limit} | {'yes' if r.same_set else 'NO'} | {'yes' if r.same_order else 'no'} | "
            f"{'yes' if r.same_order_after_spreading else 'NO'} | {', '.join(r.field_mismatches) or 'none'} | "
            f"{r.api_bytes:,} / {r.base_bytes:,} |"
        )
    met = worst <= TARGET_RATIO_P50 and constant
    print(
        f"\nTarget (API within {TARGET_RATIO_P50:.0f}x of the baseline at p50, constant queries per page): "
        f"{'met' if met else 'NOT met'} (worst p50 ratio {worst:.2f}x)."
    )
    return met


# --------------------------------------------------------------------------------------


def main() -> int:
    args = parse_args()
    configure_environment(args.database_url)
    counts = prepare_database(args.database_url, reseed=args.reseed)

    import psycopg
    from django.conf import settings

    from accounts.models import User

    clear_bench_cache()
    viewer = User.objects.get(pk=feed_data.VIEWER_ID)
    conn = psycopg.connect(libpq_url(args.database_url), autocommit=True, options="-c TimeZone=UTC")
    conn.prepare_threshold = 5 if args.prepared_baseline else None
    baseline = Baseline(
        conn=conn, viewer_id=viewer.pk, boost=float(settings.FEED_FOLLOW_BOOST), origin=f"http://{HOST}",
        media_url=settings.MEDIA_URL, post_url=url_template("feed:post", post_id=987654321),
        profile_url=url_template("accounts:profile", handle="zzbenchzz"),
    )
    runner = Runner(viewer=viewer, baseline=baseline, requests=args.requests, warmup=args.warmup)
    for_you, following = "/api/v1/feed/for-you/", "/api/v1/feed/following/"

    deep_cursor, deep = walk_cursor(runner, for_you, args.deep, 10)
    deep_plain = f"{deep['s']!r}:{deep['i']}"
    deep_name = f"For you, signed in, {args.deep * 10:,} posts deep (cursor)"
    cases = [
        Case("For you, signed in, first page", for_you, True, None,
             lambda n: baseline.for_you(cursor=None, limit=n)),
        Case(deep_name, for_you, True, deep_cursor,
             lambda n: baseline.for_you(cursor=deep_plain, limit=n), previous_author=deep.get("a")),
        Case("Following, signed in, first page", following, True, None,
             lambda n: baseline.following(limit=n), ordered_by_rank=False),
        Case("For you, anonymous, first page", for_you, False, None,
             lambda n: baseline.for_you_anonymous(limit=n)),
    ]
    load_before = load_average()
    print(f"\nTiming {len(cases)} cases x 2 page sizes, {args.requests} requests each side…", flush=True)
    results = []
    for case in cases:
        for limit in (10, 50):
            started = time.perf_counter()
            results.append(runner.run(case, limit))
            print(f"  {case.name}, limit {limit}: {time.perf_counter() - started:.1f} s", flush=True)
    if args.explain:
        for case in cases:
            explain(runner, case, 10)
    met = report(results, counts, {**machine(), "load before": load_before}, requests=args.requests, warmup=args.warmup)
    conn.close()
    return 1 if args.strict and not met else 0


if __name__ == "__main__":
    sys.exit(main())
