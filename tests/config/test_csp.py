"""The Content-Security-Policy: on every kind of page, a fresh nonce each time, and no inline
script, style or event handler in the markup that the policy would block."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from config.csp import media_origins
from tests.factories import PostFactory
from tests.moderation.test_views import make_moderator

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
# Script types a browser runs; other types (application/json, ld+json) are data blocks.
EXECUTABLE_TYPES = {"", "text/javascript", "application/javascript", "module"}


class _Inline(HTMLParser):
    """Collect the inline scripts and styles of a page, and every style attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.styles: list[dict[str, str | None]] = []
        self.style_attributes: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        kind = (attributes.get("type") or "").strip().lower()
        if tag == "script" and "src" not in attributes and kind in EXECUTABLE_TYPES:
            self.scripts.append(attributes)
        if tag == "style":
            self.styles.append(attributes)
        if "style" in attributes:
            self.style_attributes.append(tag)
        self.handlers.extend(f"{tag} {name}" for name in attributes if name.startswith("on"))


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: sources
        for name, *sources in (part.split() for part in header.split(";") if part.strip())
    }


def _nonce(policy: dict[str, list[str]]) -> str:
    nonces = [source for source in policy["script-src"] if source.startswith("'nonce-")]
    assert len(nonces) == 1, policy["script-src"]
    return nonces[0][len("'nonce-"):-1]


def _check_page(client: Client, url: str) -> str:
    """Fetch `url` twice; check the policy and the markup; return the page."""
    first, second = client.get(url), client.get(url)
    assert first.status_code == 200, url
    policy = _policy(first)
    assert policy["default-src"] == ["'self'"]
    nonce = _nonce(policy)
    assert len(nonce) >= 22
    assert nonce != _nonce(_policy(second)), "the nonce must change with every response"
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    assert policy["style-src"] == ["'self'", f"'nonce-{nonce}'"]
    header = first["Content-Security-Policy"]
    assert "unsafe-inline" not in header and "unsafe-eval" not in header
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["img-src"][:3] == ["'self'", "data:", "blob:"]
    assert policy["media-src"][:2] == ["'self'", "blob:"]
    assert policy["connect-src"][:2] == ["'self'", "ws://testserver"]

    html = first.content.decode()
    parsed = _Inline()
    parsed.feed(html)
    assert all(script.get("nonce") == nonce for script in parsed.scripts), (url, parsed.scripts)
    assert all(style.get("nonce") == nonce for style in parsed.styles), (url, parsed.styles)
    assert parsed.style_attributes == [], (url, parsed.style_attributes)
    assert parsed.handlers == [], (url, parsed.handlers)
    return html


def test_every_kind_of_page_has_the_policy_with_a_fresh_nonce(client, user):
    post = PostFactory(author=user)
    for url in (
        reverse("feed:for_you"),
        reverse("feed:post", kwargs={"post_id": post.pk}),
        reverse("accounts:profile", kwargs={"handle": user.handle}),
        reverse("accounts:login"),
        "/api/docs/",
    ):
        _check_page(client, url)
    client.force_login(user)
    _check_page(client, reverse("generation:create"))
    _check_page(client, reverse("feed:for_you"))
    moderator = Client()
    moderator.force_login(make_moderator())
    _check_page(moderator, reverse("moderation:queue"))


def test_a_job_page_draws_its_shape_and_progress_without_inline_styles(client, user):
    from generation.models import GenerationJob
    from tests.generation.test_views import make_job

    job = make_job(user, state=GenerationJob.State.RUNNING, phase="rendering", progress=0.4,
                   aspect_ratio="16:9", width=112, height=64)
    client.force_login(user)
    html = _check_page(client, reverse("generation:job", args=[job.pk]))
    assert 'data-ratio="16:9"' in html and 'aria-valuenow="40"' in html


def test_the_api_docs_load_their_start_up_script_from_a_url(client):
    html = _check_page(client, "/api/docs/")
    sources = re.findall(r'<script src="([^"]+)"', html)
    assert "/api/docs/?script=" in sources
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_error_pages_have_the_policy_too(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Content-Security-Policy" in response


def test_json_responses_are_left_alone(client):
    response = client.get("/api/v1/feed/for-you/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response


def test_the_media_origin_is_derived_from_the_storage_and_extended_by_settings(settings):
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    settings.MEDIA_URL = "/media/"
    settings.CSP_EXTRA_MEDIA_ORIGINS = []
    assert media_origins() == []
    settings.MEDIA_URL = "https://media.example.org/files/"
    assert media_origins() == ["https://media.example.org"]
    settings.MEDIA_URL = "/media/"
    s3 = {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {"bucket_name": "reel-media"}}
    settings.STORAGES = {**settings.STORAGES, "default": s3}
    assert media_origins() == ["https://reel-media.s3.amazonaws.com"]
    s3["OPTIONS"] = {"bucket_name": "reel-media", "endpoint_url": "https://s3.example.org:9000"}
    assert media_origins() == ["https://s3.example.org:9000", "https://reel-media.s3.example.org:9000"]
    s3["OPTIONS"] = {"bucket_name": "reel-media", "custom_domain": "cdn.example.org/media"}
    settings.CSP_EXTRA_MEDIA_ORIGINS = ["https://other.example.org"]
    assert media_origins() == ["https://cdn.example.org", "https://other.example.org"]


def test_the_media_origin_reaches_img_src_and_media_src(client, settings):
    settings.MEDIA_URL = "https://media.example.org/"
    settings.CSP_EXTRA_MEDIA_ORIGINS = ["https://cdn.example.org"]
    settings.CSP_EXTRA_CONNECT_ORIGINS = ["wss://live.example.org"]
    policy = _policy(client.get(reverse("accounts:login")))
    assert policy["img-src"] == ["'self'", "data:", "blob:", "https://media.example.org", "https://cdn.example.org"]
    assert policy["media-src"] == ["'self'", "blob:", "https://media.example.org", "https://cdn.example.org"]
    assert policy["connect-src"] == ["'self'", "ws://testserver", "wss://live.example.org"]


def test_over_https_the_websocket_origin_is_wss(client, settings):
    policy = _policy(client.get(reverse("accounts:login"), secure=True))
    assert policy["connect-src"][:2] == ["'self'", "wss://testserver"]


# Attributes a CSP without 'unsafe-inline' blocks: event handlers (onclick=…), javascript: URLs
# and style="" (style-src nonces cover <style> blocks only, never attributes).
BLOCKED_MARKUP = re.compile(r"""<[^>]*?\s(on[a-z]+\s*=|style\s*=|(?:href|src|action)\s*=\s*["']?\s*javascript:)""",
                            re.IGNORECASE | re.DOTALL)


def test_no_template_has_markup_the_policy_would_block():
    offences = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        for match in BLOCKED_MARKUP.finditer(path.read_text()):
            line = path.read_text()[: match.start()].count("\n") + 1
            offences.append(f"{path.relative_to(ROOT)}:{line}: {match.group(1)}")
    assert offences == []


def test_the_template_check_catches_what_it_looks_for():
    for markup in ('<button onclick="go()">', "<div class='a' style='color: red'>", '<a href="javascript:go()">',
                   '<body\n  onload="x()">'):
        assert BLOCKED_MARKUP.search(markup), markup
    for markup in ('<button data-onclick="x">', '<span class="meter__bar" data-meter-bar>', "<p>style = fun</p>"):
        assert not BLOCKED_MARKUP.search(markup), markup


def test_with_debug_on_djangos_error_pages_stay_readable(client, settings):
    settings.DEBUG = True
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Content-Security-Policy" not in response  # Django's debug page: inline styles
    assert "Content-Security-Policy" in client.get(reverse("accounts:login"))


def test_a_request_for_a_host_the_site_does_not_serve_is_still_answered(client):
    response = client.get(reverse("accounts:login"), HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "evil.example" not in response.get("Content-Security-Policy", "")
