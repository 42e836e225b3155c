#!/usr/bin/env python
"""Feed API latency on PostgreSQL, side by side with a one-query psycopg baseline.

    make bench-feed            # or: .venv/bin/python bench/feed_api.py [--reseed] [--requests N]

Seeds (once) a dedicated database with 10,000 people, 100,000 posts, 1,000,000 likes,
150,000 comments and ~500,000 follows, then for each case times the REST API in process
(django.test.Client: middleware, session, DRF, ORM, JSON) against one hand-written SQL
statement run through psycopg and serialised with json.dumps, interleaving the two.
See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "platform"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

import feed_data  # noqa: E402  (bench/ is this script's own folder)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/reel_bench"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
CACHE_PREFIX = "reel-bench"
HOST = "127.0.0.1"
TARGET_RATIO_P50 = 2.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reseed", action="store_true", help="drop and re-create the benchmark database")
    parser.add_argument("--requests", type=int, default=400, help="timed requests per case and side (default 400)")
    parser.add_argument("--warmup", type=int, default=40, help="untimed requests per case first (default 40)")
    parser.add_argument("--deep", type=int, default=100, help="the deep page is page N+1 of 10 (default 100)")
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help="PostgreSQL database to use (default $BENCH_DATABASE_URL or %(default)s)",
    )
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of the API's SQL")
    return parser.parse_args()


def configure_environment(database_url: str) -> None:
    """Point the settings at the benchmark database and Redis, before Django loads them."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    os.environ["CACHE_KEY_PREFIX"] = CACHE_PREFIX
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_ALLOWED_HOSTS"] = f"{HOST},localhost"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # The throttles still run (a cache read and write per request); only their limits are
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
