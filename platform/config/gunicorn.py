"""Gunicorn's settings for the production web server: `gunicorn -c python:config.gunicorn config.asgi:application`.

Every value can be changed from the environment (docs/deploy.md). Gunicorn reads this
module before any worker starts; nothing here imports Django.

How many workers: an ASGI worker is one process running one event loop, and Django runs
each request's synchronous code in a thread of that process, so a worker keeps one core
busy and serves many requests at once. One worker per core (WEB_CONCURRENCY, by default the
cores of the host) uses the machine without making processes fight over it. Each worker
holds its own pool of at most DATABASE_POOL_MAX PostgreSQL connections: PostgreSQL must
allow WEB_CONCURRENCY x DATABASE_POOL_MAX connections per web host, plus the workers'.
"""

from __future__ import annotations

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or os.cpu_count() or 1)
worker_class = "config.workers.UvicornWorker"
# A worker that has not told the arbiter it is alive for this long is killed and replaced.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
# On SIGTERM (a deploy, `docker compose stop`), requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("WEB_GRACEFUL_TIMEOUT", "30"))
# Idle keep-alive connections from nginx are kept this long (nginx's upstream keepalive_timeout
# must be shorter, see deploy/nginx.conf).
keepalive = int(os.environ.get("WEB_KEEPALIVE", "75"))
# Each worker is replaced after this many requests (spread by the jitter): whatever a long-lived
# process accumulates is given back. 0 turns it off.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "20000"))
max_requests_jitter = int(os.environ.get("WEB_MAX_REQUESTS_JITTER", "2000"))
# Logs to standard output and error, for the container's log driver.
accesslog = os.environ.get("WEB_ACCESS_LOG", "-") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Load the application in each worker, not in the arbiter: a worker then opens its own
# database pool and Redis connections after the fork, never sharing a socket with another.
preload_app = False
# Gunicorn 24+ opens a control socket in the home folder by default; nothing here uses it,
# and a container's user may have no writable home.
control_socket_disable = True
