#!/usr/bin/env python
"""Many people at once: the site over HTTP, as deployed, under 8, 32 and 64 concurrent clients.

    make bench-load        # = .venv/bin/python bench/load.py [--seconds S] [--clients 8,32,64]

Builds a database of its own (reel_load: 300 people, 3,000 posts), starts the production
server processes (`deploy/serve` settings: config.settings.production, PostgreSQL with its
connection pool, Redis for cache, sessions and throttles) on 127.0.0.1, and drives them with
wrk (Debian's package; one token per client, so every request is a signed-in person):

- **For you**: `GET /api/v1/feed/for-you/`, signed in;
- **likes**: `POST` then `DELETE /api/v1/posts/<id>/like/` on one post, every client its own
  person, with the pgbench floor of the same statements (`INSERT … ON CONFLICT` and the
  counter update) measured in the same run against the same tables;
- **comments**: `POST /api/v1/posts/<id>/comments/`;
- **submissions**: `POST /api/v1/generations/` (jobs are queued on a broker database of the
  benchmark's own; no worker renders them).

Prints requests/s, p50/p99 and errors for each, and whether the like count is exact afterwards.
Loops are bounded by time (`--seconds`) and only ever reach 127.0.0.1. BENCH_DATABASE_URL and
BENCH_REDIS_URL choose other servers. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "platform"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/reel_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/8"
HOST = "127.0.0.1"
PEOPLE = 300
POSTS = 3000
SECRET_KEY = secrets.token_urlsafe(50)
TARGET_LIKE_SHARE = 0.30
TARGET_FOR_YOU_P99_MS = 150.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=15, help="seconds per case and level (default 15)")
    parser.add_argument("--clients", default="8,32,64", help="concurrency levels (default 8,32,64)")
    parser.add_argument("--cases", default="for_you,likes,comments,submissions")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument("--workers", type=int, default=None, help="server processes (default: as deployed)")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    return parser.parse_args()


def environment(args: argparse.Namespace, media: Path) -> dict[str, str]:
    """Return the environment of the server processes: production settings on the benchmark's parts."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "DJANGO_SECRET_KEY": SECRET_KEY,
        "DJANGO_ALLOWED_HOSTS": f"{HOST},localhost",
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "CACHE_KEY_PREFIX": "reel-load",
        "MEDIA_ROOT": str(media),
        "PYTHONPATH": f"{ROOT / 'platform'}{os.pathsep}{ROOT}",
        # Limits that a benchmark of capacity must not hit (the throttles still run and count).
        "API_THROTTLE_USER": "1000000/minute",
        "API_THROTTLE_WRITES": "1000000/minute",
        "API_THROTTLE_ANON": "1000000/minute",
        "GENERATION_DAILY_QUOTA": "1000000",
        "MODERATION_HOLD_FIRST_POSTS": "0",
        "LOG_LEVEL": "WARNING",
    }
    if args.workers:
        env["WEB_CONCURRENCY"] = str(args.workers)
    return env


def libpq(url: str, dbname: str | None = None) -> str:
    parts = urlsplit(url.replace("postgres://", "postgresql://", 1))
    return urlunsplit(parts._replace(path=f"/{dbname}" if dbname else parts.path))


def prepare(args: argparse.Namespace, env: dict[str, str]) -> dict[str, object]:
    """Create the database afresh, migrate it, and seed people, tokens and posts."""
    import psycopg

    dbname = urlsplit(args.database_url).path.lstrip("/")
    with psycopg.connect(libpq(args.database_url, "postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{dbname}"')
    run = {"cwd": ROOT, "env": env, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], **run)  # noqa: S603
    seeding = subprocess.run(  # noqa: S603
        [sys.executable, str(Path(__file__).with_name("load_data.py")), str(PEOPLE), str(POSTS)],
        cwd=ROOT, env=env, check=True, capture_output=True, text=True,
    )
    return json.loads(seeding.stdout.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    """Start the production web processes (deploy/serve) and wait until they answer."""
    command = [str(ROOT / "deploy" / "serve"), "--bind", f"{HOST}:{port}"]
    process = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the server exited ({process.returncode}): {log.read_text()[-3000:]}")
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                time.sleep(1.0)  # every worker process up
                return process
        time.sleep(0.2)
    raise SystemExit("the server did not start in 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


WRK_SCRIPT = r"""
local tokens = {}
for line in io.lines(os.getenv("LOAD_TOKENS")) do tokens[#tokens + 1] = line end
local case = os.getenv("LOAD_CASE")
local post = os.getenv("LOAD_POST")

-- Each request is one of the people, at random; a like or an unlike at random on one post.
function request()
  -- As nginx forwards it (deploy/nginx.conf): the production settings redirect plain HTTP.
  local headers = {["Authorization"] = "Token " .. tokens[math.random(#tokens)],
                   ["X-Forwarded-Proto"] = "https", ["Content-Type"] = "application/json"}
  if case == "for_you" then
    return wrk.format("GET", "/api/v1/feed/for-you/", headers)
  elseif case == "likes" then
    local method = (math.random(2) == 1) and "POST" or "DELETE"
    return wrk.format(method, "/api/v1/posts/" .. post .. "/like/", headers)
  elseif case == "comments" then
    return wrk.format("POST", "/api/v1/posts/" .. post .. "/comments/", headers,
                      '{"body": "What a lovely shot of the sea"}')
  else
    return wrk.format("POST", "/api/v1/generations/", headers,
                      '{"prompt": "a paper lantern over a calm lake at dusk", "duration": 2}')
  end
end

-- Every thread counts the statuses it saw; done() adds them up (wrk's own count of errors
-- leaves out redirects, which here would be a mistake of the benchmark, not a success).
counts = {}
local threads = {}
function setup(thread)
  threads[#threads + 1] = thread
end
function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
  local all, bad = {}, 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts") or {}) do
      all[status] = (all[status] or 0) + count
      if status < 200 or status > 299 then bad = bad + count end
    end
  end
  local parts = {}
  for status, count in pairs(all) do parts[#parts + 1] = string.format('"%d": %d', status, count) end
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
                 + summary.errors.timeout + bad
  io.write(string.format('RESULT {"requests": %d, "seconds": %f, "p50": %f, "p99": %f, "errors": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors, table.concat(parts, ", ")))
end
"""


def wrk(port: int, case: str, clients: int, seconds: int, tokens: Path, post: int, script: Path) -> dict[str, float]:
    env = {**os.environ, "LOAD_TOKENS": str(tokens), "LOAD_CASE": case, "LOAD_POST": str(post)}
    threads = min(2, clients)
    result = subprocess.run(  # noqa: S603
        ["wrk", f"-t{threads}", f"-c{clients}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script),
         f"http://{HOST}:{port}/"],
        env=env, capture_output=True, text=True, timeout=seconds + 60,
    )
    line = next((line for line in result.stdout.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"wrk failed: {result.stdout}\n{result.stderr}")
    figures = json.loads(line[len("RESULT "):])
    figures["rps"] = figures["requests"] / figures["seconds"]
    return figures


PGBENCH_LIKE = """\\set user random(:first, :last)
\\set like random(0, 1)
\\if :like
WITH added AS (INSERT INTO feed_like (user_id, post_id, created_at) VALUES (:user, :post, now())
               ON CONFLICT DO NOTHING RETURNING 1)
UPDATE feed_post SET like_count = like_count + (SELECT count(*) FROM added) WHERE id = :post;
\\else
WITH removed AS (DELETE FROM feed_like WHERE user_id = :user AND post_id = :post RETURNING 1)
UPDATE feed_post SET like_count = like_count - (SELECT count(*) FROM removed) WHERE id = :post;
\\endif
"""


def pgbench_floor(args: argparse.Namespace, clients: int, seconds: int, seed: dict[str, object], work: Path) -> float:
    """Return what PostgreSQL alone does of the like path: like-then-unlike pairs, per request."""
    script = work / "like.sql"
    script.write_text(PGBENCH_LIKE)
    result = subprocess.run(  # noqa: S603
        ["pgbench", "-n", "-c", str(clients), "-j", "2", "-T", str(seconds), "-f", str(script),
         "-D", f"post={seed['bench_post']}", "-D", f"first={seed['first_user']}", "-D", f"last={seed['last_user']}",
         libpq(args.database_url)],
        capture_output=True, text=True, timeout=seconds + 60,
    )
    for line in result.stdout.splitlines():
        if line.startswith("tps = "):
            return float(line.split()[2])  # one transaction per like or unlike, as over HTTP
    raise SystemExit(f"pgbench failed: {result.stdout}\n{result.stderr}")


def like_count_exact(args: argparse.Namespace, post: int) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(libpq(args.database_url)) as db:
        stored = db.execute("SELECT like_count FROM feed_post WHERE id = %s", (post,)).fetchone()
        counted = db.execute("SELECT count(*) FROM feed_like WHERE post_id = %s", (post,)).fetchone()
    return int(stored[0]), int(counted[0])


def main() -> int:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `apt-get install wrk` (Debian's package).")
    levels = [int(level) for level in args.clients.split(",")]
    cases = args.cases.split(",")
    work = Path(tempfile.mkdtemp(prefix="reel-load-"))
    media = work / "media"
    media.mkdir()
    env = environment(args, media)
    print(f"load benchmark: {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}, {args.seconds} s per run")
    seed = prepare(args, env)
    tokens = work / "tokens.txt"
    tokens.write_text("\n".join(seed["tokens"]) + "\n")  # type: ignore[arg-type]
    script = work / "load.lua"
    script.write_text(WRK_SCRIPT)
    port = free_port()
    server = serve(env, port, work / "server.log")
    rows: list[dict[str, object]] = []
    ok = True
    try:
        for case in cases:
            for clients in levels:
                figures = wrk(port, case, clients, args.seconds, tokens, int(seed["bench_post"]), script)
                row: dict[str, object] = {"case": case, "clients": clients, **figures}
                if case == "likes":
                    stored, counted = like_count_exact(args, int(seed["bench_post"]))  # before pgbench's own
                    floor = pgbench_floor(args, clients, args.seconds, seed, work)
                    row["pgbench_rps"] = floor
                    row["share_of_floor"] = figures["rps"] / floor
                    row["like_count_exact"] = stored == counted
                    ok &= stored == counted and row["share_of_floor"] >= TARGET_LIKE_SHARE  # type: ignore[operator]
                if case == "for_you" and clients == 32:
                    ok &= figures["p99"] <= TARGET_FOR_YOU_P99_MS
                ok &= figures["errors"] == 0
                rows.append(row)
                extra = ""
                if case == "likes":
                    extra = (f"  pgbench {row['pgbench_rps']:.0f}/s  share {row['share_of_floor']:.0%}"
                             f"  count exact: {row['like_count_exact']}")
                print(f"{case:12s} {clients:3d} clients  {figures['rps']:7.1f} req/s  p50 {figures['p50']:7.1f} ms"
                      f"  p99 {figures['p99']:7.1f} ms  errors {figures['errors']:.0f}  {figures['statuses']}{extra}",
                      flush=True)
    finally:
        stop(server)
    print("targets met" if ok else "targets NOT met")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
