"""Serve uploaded media from local storage with HTTP range requests, so browsers can seek.

Every stored file was named by the server from what it verified (`.mp4`, `.jpg`...), and is
served with the type of that name from a short list, never guessed: anything else goes out
as bytes to download. No response can run in the site's origin: `nosniff`, a sandboxing
Content-Security-Policy and an explicit Content-Disposition come with every file.

Behind nginx (`MEDIA_ACCEL_REDIRECT_PREFIX` set, see deploy/nginx.conf), Django still
decides who may read a file but no longer sends its bytes: the answer carries
`X-Accel-Redirect` to nginx's internal location for MEDIA_ROOT, with the headers the file
must go out with, and nginx streams it, ranges and conditional requests included, without
holding a Python thread for the length of a video. nginx keeps the upstream's Content-Type,
Content-Disposition and Cache-Control; the internal location adds `nosniff` and the
sandboxing policy again, since nginx drops the other headers of an X-Accel-Redirect answer.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

from django.conf import settings
from django.db.models.fields.files import FieldFile
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header, http_date, parse_http_date_safe
from django.views.decorators.http import require_safe

# Only these folders are public; private media (drafts, likenesses) is served by
# permission-checked views of its own app.
PUBLIC_PREFIXES = ("videos/", "posters/", "avatars/")
RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
CHUNK = 256 * 1024
# The only types media are served as, by the suffix the server gave the file.
SERVED_TYPES = {
    ".mp4": "video/mp4", ".webm": "video/webm", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".png": "image/png", ".webp": "image/webp",
}
# A media file opened on its own is a sandboxed document that can load nothing, run nothing.
MEDIA_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
# Anything published can be taken down: shared caches may keep a public file a minute at most.
PUBLIC_CACHE = "public, max-age=60"


class _RangeFile:
    """Yield `length` bytes of an open file from `start`, in chunks."""

    def __init__(self, handle, start: int, length: int) -> None:
        self.handle, self.remaining = handle, length
        handle.seek(start)

    def __iter__(self):
        try:
            while self.remaining > 0:
                data = self.handle.read(min(CHUNK, self.remaining))
                if not data:
                    break
                self.remaining -= len(data)
                yield data
        finally:
            self.handle.close()


def _resolve(path: str) -> Path:
    if "\x00" in path:  # no file has one; the filesystem calls would raise ValueError
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    full = (root / path).resolve()
    if root not in full.parents or not full.is_file():
        raise Http404
    # Check the folder after resolving, so `videos/../drafts/x` cannot reach a private one.
    if not full.relative_to(root).as_posix().startswith(PUBLIC_PREFIXES):
        raise Http404
    return full


@require_safe
def media_serve(request: HttpRequest, path: str) -> HttpResponseBase:
    """Return the public media file at `path`, whole (200) or the byte range asked for (206)."""
    return file_response(request, _resolve(path), private=False)


def file_response(
    request: HttpRequest, path: Path, *, private: bool, download_name: str | None = None
) -> HttpResponseBase:
    """Return the file at `path`, whole (200) or the byte range asked for (206).

    Public files may be cached by anyone for a day; private ones (drafts, likenesses) are
    never stored by a cache, the browser's included. With `download_name`, the browser saves
    the file under that name instead of showing it.
    """
    if not path.is_file():
        raise Http404
    content_type = SERVED_TYPES.get(path.suffix.lower(), "application/octet-stream")
    accel = accel_redirect_uri(path)
    if accel is not None:
        response: HttpResponseBase = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = accel
        _file_headers(response, path, content_type, private=private, download_name=download_name)
        return response
    stat = path.stat()
    size = stat.st_size
    modified = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    if modified is not None and int(stat.st_mtime) <= modified and "Range" not in request.headers:
        return HttpResponseNotModified()

    range_header = request.headers.get("Range", "").strip()
    match = RANGE_RE.match(range_header) if range_header else None
    if range_header and not match:
        return _unsatisfiable(size)
    if match:
        first, last = match.groups()
        if first == "" and last == "":
            return _unsatisfiable(size)
        if first == "":  # the last N bytes
            length = min(int(last), size)
            start, end = size - length, size - 1
        else:
            start = int(first)
            end = min(int(last), size - 1) if last else size - 1
        if start >= size or start > end:
            return _unsatisfiable(size)
        handle = open(path, "rb")  # noqa: SIM115 - closed by _RangeFile
        response = StreamingHttpResponse(
            _RangeFile(handle, start, end - start + 1), status=206, content_type=content_type
        )
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
        response["Content-Length"] = str(end - start + 1)
    else:
        response = FileResponse(open(path, "rb"), content_type=content_type)  # noqa: SIM115
        response["Content-Length"] = str(size)
    response["Accept-Ranges"] = "bytes"
    response["Last-Modified"] = http_date(stat.st_mtime)
    _file_headers(response, path, content_type, private=private, download_name=download_name)
    return response


def _file_headers(
    response: HttpResponseBase, path: Path, content_type: str, *, private: bool, download_name: str | None
) -> None:
    """Set what every media answer carries: caching, no sniffing, the sandbox, the disposition."""
    response["Cache-Control"] = "private, no-store" if private else PUBLIC_CACHE
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = MEDIA_CSP
    # Known types show inline; anything else is only ever saved, never displayed.
    attachment = bool(download_name) or content_type == "application/octet-stream"
    response["Content-Disposition"] = content_disposition_header(attachment, download_name or path.name) or ""


def accel_redirect_uri(path: Path) -> str | None:
    """Return the internal URI under which nginx serves the file at `path`, or None.

    None when no proxy is in front (`MEDIA_ACCEL_REDIRECT_PREFIX` empty) or the file is not
    under MEDIA_ROOT, the one folder nginx's internal location maps.
    """
    prefix = settings.MEDIA_ACCEL_REDIRECT_PREFIX
    if not prefix:
        return None
    root = Path(settings.MEDIA_ROOT).resolve()
    full = path.resolve()
    if root not in full.parents:
        return None
    # Percent-encoded: nginx decodes the URI before mapping it onto the folder.
    return "/" + prefix.strip("/") + "/" + quote(full.relative_to(root).as_posix(), safe="/")


def _unsatisfiable(size: int) -> HttpResponse:
    response = HttpResponse(status=416)
    response["Content-Range"] = f"bytes */{size}"
    return response


def private_file_response(
    request: HttpRequest, file: FieldFile, *, download_name: str | None = None
) -> HttpResponseBase:
    """Return a private stored file (a draft, a likeness) to someone already allowed to see it.

    Local storage streams it with ranges and no caching, or behind nginx hands it over with
    X-Accel-Redirect (`MEDIA_ACCEL_REDIRECT_PREFIX`); remote storage (S3) redirects to the
    file's own signed, short-lived address.
    """
    if not file:
        raise Http404
    try:
        path = Path(file.path)
    except NotImplementedError:
        return _signed_redirect(file, download_name=download_name)
    return file_response(request, path, private=True, download_name=download_name)


def _signed_redirect(file: FieldFile, *, download_name: str | None) -> HttpResponseRedirect:
    """Redirect to the file's signed S3 address, which answers ranges itself and, told by
    its signed response-* parameters, the Cache-Control and Content-Disposition that the
    local answer would carry (a download is saved under its name, nothing is cached)."""
    parameters = {"ResponseCacheControl": "private, no-store"}
    if download_name:
        parameters["ResponseContentDisposition"] = content_disposition_header(True, download_name) or ""
    # S3Storage's options and url() parameters; Storage, all mypy knows of, has neither.
    storage = cast(Any, file.storage)
    if not getattr(storage, "querystring_auth", True):
        # Public URLs unsigned (S3_SIGNED_URLS=false): the bucket refuses a private file
        # there, so it is still handed over signed, by a copy of the storage that signs.
        storage = copy.copy(storage)
        storage.querystring_auth = True
    response = HttpResponseRedirect(storage.url(file.name, parameters=parameters))
    response["Cache-Control"] = "private, no-store"  # the signed address is for this person only
    return response


def media_is_local() -> bool:
    """Return whether media lives on the local filesystem (and so is served by this view)."""
    # The settings build STORAGES in two shapes, which mypy joins into dict[str, object].
    backend = cast(dict[str, dict[str, Any]], settings.STORAGES)["default"]["BACKEND"]
    return backend.endswith("FileSystemStorage") and not os.environ.get("S3_BUCKET")


def media_served_here() -> bool:
    """Return whether Django answers /media/ for public files.

    Not when media lives on S3 (the bucket serves it), nor behind a proxy that serves the
    public folders itself (`MEDIA_SERVE_PUBLIC` false, the default once
    `MEDIA_ACCEL_REDIRECT_PREFIX` is set): a video then never holds a web worker.
    """
    return media_is_local() and bool(settings.MEDIA_SERVE_PUBLIC)
