"""The Content-Security-Policy of every HTML page, with a fresh nonce for each response.

The policy is the second line of defence against injected markup: even if a template ever
printed a visitor's text unescaped, the browser would run no script and load no style that
the site did not serve itself. Scripts and styles come from the site's own origin only
(static files); the rare inline `<script>` or `<style>` a page needs carries
`nonce="{{ csp_nonce }}"`, a value that changes with every response, so markup injected into
a page cannot guess it. Inline `style=` attributes and event handlers (`onclick=`) are
blocked: templates must not use them (tests/config/test_csp.py checks the templates).

Images and videos may also come from the media origin (S3 or a CDN when media is not served
by the site itself); the browser opens websockets to the site itself for live progress.
A deployment adds origins with `CSP_EXTRA_MEDIA_ORIGINS` and `CSP_EXTRA_CONNECT_ORIGINS`.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Callable, Iterable
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest
from django.http.response import HttpResponseBase

HEADER = "Content-Security-Policy"
# The django-storages S3 options that decide where files are served from, and their settings.
S3_SETTINGS = {
    "bucket_name": "AWS_STORAGE_BUCKET_NAME",
    "custom_domain": "AWS_S3_CUSTOM_DOMAIN",
    "endpoint_url": "AWS_S3_ENDPOINT_URL",
    "region_name": "AWS_S3_REGION_NAME",
    "url_protocol": "AWS_S3_URL_PROTOCOL",
}


def csp_nonce_new() -> str:
    """Return a new nonce: 144 random bits in base64, as CSP's grammar wants it."""
    return base64.b64encode(secrets.token_bytes(18)).decode("ascii")


def _origin(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme in ("http", "https") and parts.netloc:
        return f"{parts.scheme}://{parts.netloc}"
    return None


def media_origins() -> list[str]:
    """Return the origins that serve media when it is not the site itself.

    An absolute MEDIA_URL names one. With S3-compatible storage, files are served from the
    storage's URLs (`django-storages` builds them: a custom domain, or the endpoint with the
    bucket in the path or as a subdomain, or AWS's bucket hosts); the private views of drafts
    and likenesses redirect there too, and a CSP checks the target of a redirect.
    """
    origins: list[str] = []
    absolute = _origin(str(settings.MEDIA_URL))
    if absolute:
        origins.append(absolute)
    storage = cast(dict[str, Any], settings.STORAGES.get("default") or {})
    if str(storage.get("BACKEND", "")).startswith("storages.backends.s3"):
        options = storage.get("OPTIONS", {})

        def option(name: str) -> str:
            # django-storages reads each option from OPTIONS, else from its AWS_* setting.
            return str(options.get(name) or getattr(settings, S3_SETTINGS[name], None) or "")

        bucket = option("bucket_name")
        custom_domain = option("custom_domain")
        endpoint = option("endpoint_url")
        region = option("region_name")
        if custom_domain:
            protocol = option("url_protocol") or "https:"
            origins.append(f"{protocol}//{custom_domain.split('/')[0]}")
        elif endpoint:
            parts = urlsplit(endpoint)
            origins.append(f"{parts.scheme}://{parts.netloc}")
            if bucket:
                origins.append(f"{parts.scheme}://{bucket}.{parts.netloc}")
        elif bucket:
            origins.append(f"https://{bucket}.s3.amazonaws.com")
            if region:
                origins.append(f"https://{bucket}.s3.{region}.amazonaws.com")
            if "." in bucket:  # no valid certificate for a dotted subdomain: path style
                origins.append(f"https://s3.{region}.amazonaws.com" if region else "https://s3.amazonaws.com")
    origins.extend(getattr(settings, "CSP_EXTRA_MEDIA_ORIGINS", []))
    return _unique(origins)


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values if value))


def csp_policy(request: HttpRequest, nonce: str) -> str:
    """Return the policy of an HTML response to `request` whose inline blocks carry `nonce`."""
    media = media_origins()
    # CSP Level 3 browsers (Chromium, current Firefox and Safari) let 'self' cover the page's
    # own ws:/wss: origin; older ones did not, so the websocket origin is also named.
    try:
        socket = f"{'wss' if request.is_secure() else 'ws'}://{request.get_host()}"
    except DisallowedHost:  # the answer is an error page; 'self' covers it
        socket = ""
    connect = _unique([socket, *getattr(settings, "CSP_EXTRA_CONNECT_ORIGINS", [])])
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", f"'nonce-{nonce}'"],
        "style-src": ["'self'", f"'nonce-{nonce}'"],
        "img-src": ["'self'", "data:", "blob:", *media],
        "media-src": ["'self'", "blob:", *media],
        "connect-src": ["'self'", *connect],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(sources)}" for name, sources in directives.items())


class ContentSecurityPolicyMiddleware:
    """Give each request a nonce (`request.csp_nonce`) and each HTML response the policy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        nonce = csp_nonce_new()
        request.csp_nonce = nonce  # type: ignore[attr-defined]
        response = self.get_response(request)
        content_type = response.get("Content-Type", "")
        if not content_type.startswith("text/html") or HEADER in response:
            return response
        if settings.DEBUG and response.status_code in (404, 500):
            # Django's debug pages (a developer's machine only) are built of inline scripts
            # and styles without a nonce: the policy would leave them unreadable.
            return response
        response[HEADER] = csp_policy(request, nonce)
        return response


def csp(request: HttpRequest) -> dict[str, str]:
    """Context processor: `{{ csp_nonce }}` for the `nonce` attribute of an inline block."""
    return {"csp_nonce": getattr(request, "csp_nonce", "")}
