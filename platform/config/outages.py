"""What the site answers while a part it depends on is down: 503 and Retry-After, never a 500.

A request can fail because PostgreSQL is down or restarting (no connection, a connection
that died, no free connection in the pool within DATABASE_POOL_TIMEOUT), because Redis is
(where a caller needs it rather than a cache), or because the Celery broker is. None of that
is a bug in the site, and the client can do something useful with it: try again shortly.
So those exceptions, wherever they are raised (a view, DRF, a middleware reading the
session), become a 503 with `Retry-After: UNAVAILABLE_RETRY_AFTER`: under /api/ the API's
error `{"error": {"code": "unavailable", "message": ...}}`, elsewhere the site's "back in a
moment" page (templates/503.html), which reloads itself when the time is up.

What can be served without the failed part still is, so fewer requests get here: the cache
answers a miss while Redis is down (config.cache), throttles let requests through
(config.throttling), sessions are read from the database (`cached_db`). Nothing here holds
state about an outage: the next request after the server returns simply succeeds.
"""

from __future__ import annotations

import logging
import threading
import time

from django.conf import settings
from django.db import InterfaceError as DjangoInterfaceError
from django.db import OperationalError as DjangoOperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext
from kombu.exceptions import OperationalError as BrokerOperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger("config.outages")

# Django wraps every psycopg/sqlite error of a lost or refused connection, and the pool's
# timeout, in its OperationalError or InterfaceError; redis-py raises these two whatever the
# reason the server could not be reached; kombu raises its OperationalError once a publish
# has used up its retries.
OUTAGE_ERRORS: tuple[type[BaseException], ...] = (
    DjangoOperationalError,
    DjangoInterfaceError,
    RedisConnectionError,
    RedisTimeoutError,
    BrokerOperationalError,
)

API_PREFIX = "/api/"


def is_outage(exc: BaseException | None) -> bool:
    """Return whether `exc` says that a server the site depends on cannot be reached."""
    return isinstance(exc, OUTAGE_ERRORS)


def retry_after() -> int:
    """Return the seconds a client is asked to wait before it tries again."""
    return max(1, int(settings.UNAVAILABLE_RETRY_AFTER))


def unavailable_message() -> str:
    """Return the sentence an API client is shown, in the request's language."""
    return gettext("Reel is briefly unavailable. Try again in a moment.")


def unavailable_response(request: HttpRequest) -> HttpResponse:
    """Return the 503 for `request`: the API's JSON error, or the "back in a moment" page.

    Touches neither the database, nor the session, nor the cache: any of them may be what
    failed. The page is rendered without the request's context processors for that reason.
    """
    seconds = retry_after()
    response: HttpResponse
    if request.path_info.startswith(API_PREFIX):
        response = JsonResponse(
            {"error": {"code": "unavailable", "message": unavailable_message()}}, status=503
        )
    else:
        page = loader.get_template("503.html").render({
            "retry_after": seconds,
            # Only a read is reloaded by itself; a form sent again could act twice.
            "reload": request.method in ("GET", "HEAD"),
            "path": request.get_full_path(),
        })
        response = HttpResponse(page, status=503)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response


class _Throttled:
    """Log a degraded part at most once per `interval` seconds per part, with the count missed."""

    def __init__(self, interval: float = 10.0) -> None:
        self.interval = interval
        self.lock = threading.Lock()
        self.last: dict[str, float] = {}
        self.missed: dict[str, int] = {}

    def __call__(self, part: str, message: str, exc: BaseException) -> None:
        now = time.monotonic()
        with self.lock:
            if now - self.last.get(part, -self.interval) < self.interval:
                self.missed[part] = self.missed.get(part, 0) + 1
                return
            self.last[part] = now
            missed = self.missed.pop(part, 0)
        more = f" ({missed} more since the last report)" if missed else ""
        logger.warning("%s: %s: %s: %s%s", part, message, type(exc).__name__, exc, more)


# One line per part every ten seconds at most: an outage of Redis under load would
# otherwise write one line per request.
degraded = _Throttled()
