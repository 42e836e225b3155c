"""Request bodies over the limit are refused before they are read, whatever server runs the site.

The largest honest request is a cameo (five photos) or a verification clip; anything larger
than `REQUEST_BODY_MAX_BYTES` is refused with 413 as soon as its size is known: from its
`Content-Length`, or, for a chunked body, as soon as the bytes received pass the limit.

Three layers, one per place a body can be read:

- **Daphne** (`make run`, the tests) buffers a whole body in Twisted before the ASGI
  application sees it, and for multipart bodies also parses them whole on its event loop: a
  200 MB upload cost the web process 2.4 GB and stalled every other request for seconds.
  `daphne_bodies_limit()` gives Daphne a request class that refuses an oversized body at its
  headers, stops reading the socket, never parses multipart (Django does that, streaming),
  and keeps what it buffers in a temporary file past Twisted's 100 kB threshold.
- **Any ASGI server** (uvicorn, hypercorn...): `BodyLimitMiddleware` wraps the application,
  answers 413 to an oversized `Content-Length` without reading, and cuts off a chunked body
  that runs past the limit.
- **WSGI**: `body_limit_middleware`, a Django middleware, refuses an oversized
  `Content-Length` before Django reads the body.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

TOO_LARGE = b"This request is too large."


def body_limit() -> int:
    """Return the largest request body the site reads, in bytes."""
    return int(settings.REQUEST_BODY_MAX_BYTES)


def _declared_length(value: bytes | str | None) -> int | None:
    try:
        return int(value) if value not in (None, b"", "") else None
    except ValueError:
        return None


# --- Daphne


def daphne_bodies_limit() -> None:
    """Make every Daphne server of this process refuse oversized bodies before reading them.

    Daphne builds its HTTP factory by name when a server starts, after the application (this
    module's importer) is loaded; replacing that name is the one hook it offers.
    """
    try:
        from daphne import server
        from daphne.http_protocol import HTTPFactory, WebRequest
    except ImportError:  # pragma: no cover - daphne is a dependency
        return
    if getattr(server.HTTPFactory, "bodies_limited", False):
        return

    class LimitedRequest(WebRequest):
        """Daphne's request, with a size limit and without Twisted's own form parsing."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["parsePOSTFormSubmission"] = False  # Django parses forms, streaming
            self.limit = body_limit()
            self.received = 0
            self.refused = False
            super().__init__(*args, **kwargs)

        def gotLength(self, length: int | None) -> None:  # noqa: N802 - Twisted's name
            if length is not None and length > self.limit:
                self.content = io.BytesIO()
                self._refuse()
                return
            super().gotLength(length)

        def handleContentChunk(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
            if self.refused:
                return
            self.received += len(data)
            if self.received > self.limit:
                self._refuse()
                return
            super().handleContentChunk(data)

        def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:  # noqa: N802
            if not self.refused:
                super().requestReceived(command, path, version)

        def _refuse(self) -> None:
            """Answer 413 at once, stop reading the socket, and close it once the answer is out."""
            self.refused = True
            transport = self.channel.transport
            transport.write(
                b"HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(TOO_LARGE), TOO_LARGE)
            )
            transport.pauseProducing()
            transport.loseConnection()

    class LimitedHTTPFactory(HTTPFactory):
        bodies_limited = True

        def buildProtocol(self, addr: Any) -> Any:  # noqa: N802 - Twisted's name
            protocol = super().buildProtocol(addr)
            protocol.requestFactory = LimitedRequest
            return protocol

    server.HTTPFactory = LimitedHTTPFactory


# --- Any ASGI server


class _BodyTooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse HTTP requests whose body is over the limit, reading no more than the limit."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit()
        headers = dict(scope.get("headers") or [])
        declared = _declared_length(headers.get(b"content-length"))
        if declared is not None and declared > limit:
            await _send_too_large(send)
            return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message.get("type") == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message.get("type") == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _BodyTooLarge:
            if not started:
                await _send_too_large(send)


async def _send_too_large(send: Send) -> None:
    await send({
        "type": "http.response.start", "status": 413,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"connection", b"close"),
                    (b"content-length", str(len(TOO_LARGE)).encode())],
    })
    await send({"type": "http.response.body", "body": TOO_LARGE})


# --- WSGI


def body_limit_middleware(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Refuse a request whose declared body is over the limit before Django reads it."""

    def middleware(request: HttpRequest) -> HttpResponse:
        declared = _declared_length(request.META.get("CONTENT_LENGTH"))
        if declared is not None and declared > body_limit():
            return HttpResponse(TOO_LARGE, status=413, content_type="text/plain; charset=utf-8")
        return get_response(request)

    return middleware
