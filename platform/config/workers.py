"""The ASGI worker production runs under gunicorn: uvicorn, set up for this site.

Why gunicorn with uvicorn workers rather than several Daphne processes (docs/deploy.md):
gunicorn is the supervisor (it restarts a worker that dies or stops answering its
heartbeat, replaces workers after `max_requests` to bound slow leaks, reloads on SIGHUP
and drains on SIGTERM), and all workers share one listening socket, so nginx needs one
upstream address per host. uvicorn speaks HTTP/1.1 and websockets (Channels runs unchanged)
with C parsers (httptools, uvloop). Daphne stays the server of `make run` and the tests.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker as BaseUvicornWorker


class UvicornWorker(BaseUvicornWorker):
    """uvicorn as a gunicorn worker, with what differs from its defaults for this site.

    - **No lifespan**: neither Django nor Channels answers the lifespan protocol; asking
      only logs an error at every start.
    - **No proxy headers**: the client's address is the peer's, and only
      `config.network.client_address` reads X-Forwarded-For, from the proxies named in
      TRUSTED_PROXIES. Two places that trust the header would be two places to get wrong.
    - **No Server header**: nothing to advertise.

    Bodies over REQUEST_BODY_MAX_BYTES are refused by `config.bodies.BodyLimitMiddleware`,
    which config.asgi wraps around the application for any ASGI server.
    """

    CONFIG_KWARGS: dict[str, Any] = {
        **BaseUvicornWorker.CONFIG_KWARGS,
        "lifespan": "off",
        "proxy_headers": False,
        "server_header": False,
    }
