"""Every answer under /api/ is JSON in the API's error shape, whoever produces the error:
Django's URL resolver, a view DRF does not render as JSON, or an exception nobody handled.
And an anonymous request that needs a signed-in user gets 401 with a WWW-Authenticate."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from feed import api as feed_api
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def _assert_api_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("path", [
    "/api/v1/posts/abc/",
    "/api/v1/posts/abc/comments/",
    "/api/v1/no-such-thing/",
    "/api/no-such-thing",
    "/api/",
])
@pytest.mark.parametrize("accept", ["application/json", "text/html", "*/*"])
def test_a_path_the_api_does_not_have_is_a_json_404(api_client, path, accept):
    _assert_api_error(api_client.get(path, HTTP_ACCEPT=accept), 404, "not_found")
    _assert_api_error(api_client.post(path, {}, format="json"), 404, "not_found")


def test_outside_the_api_a_missing_page_is_still_the_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "404.html" in [t.name for t in response.templates]


@pytest.mark.parametrize("method, path", [
    ("put", "/api/v1/feed/for-you/"),
    ("post", "/api/schema/"),  # renders YAML when it succeeds
    ("post", "/api/docs/"),  # renders HTML when it succeeds
])
def test_a_method_a_view_does_not_take_is_a_json_405(api_client, method, path):
    _assert_api_error(getattr(api_client, method)(path), 405, "method_not_allowed")


def test_an_unhandled_exception_under_the_api_is_a_json_500(monkeypatch):
    def broken(self, request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(feed_api.ForYouFeedView, "get", broken)
    client = APIClient(raise_request_exception=False)
    error = _assert_api_error(client.get("/api/v1/feed/for-you/"), 500, "server_error")
    assert "a bug" not in error["message"]


def test_outside_the_api_a_server_error_is_still_the_html_page(monkeypatch):
    from feed import views as feed_views

    def broken(request, *args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(feed_views, "_feed", broken)
    response = Client(raise_request_exception=False).get("/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert b"Something went wrong" in response.content


def test_a_request_django_refuses_to_read_is_a_json_400(api_client, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    query = "&".join(f"f{n}=1" for n in range(10))
    _assert_api_error(api_client.get(f"/api/v1/feed/for-you/?{query}"), 400, "bad_request")


# --- 401 for the anonymous, 403 for the signed-in who may not


@pytest.mark.parametrize("method, path", [
    ("get", "/api/v1/me/"),
    ("get", "/api/v1/feed/following/"),
    ("post", "/api/v1/posts/{post}/like/"),
    ("post", "/api/v1/posts/{post}/comments/"),
    ("patch", "/api/v1/posts/{post}/"),
    ("get", "/api/v1/moderation/cases/"),
])
def test_an_anonymous_request_that_needs_a_user_is_401_with_a_challenge(api_client, method, path):
    post = PostFactory()
    response = getattr(api_client, method)(path.format(post=post.pk), {}, format="json")
    _assert_api_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"


def test_a_bad_token_is_401(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api_client.get("/api/v1/feed/for-you/")
    _assert_api_error(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"] == "Token"


def test_a_signed_in_user_without_the_permission_still_gets_403(user):
    session = APIClient()
    session.force_login(user)
    _assert_api_error(session.get("/api/v1/moderation/cases/"), 403, "permission_denied")
    token = APIClient()
    token.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    _assert_api_error(token.get("/api/v1/moderation/cases/"), 403, "permission_denied")


def test_the_web_clients_session_still_needs_its_csrf_token(user):
    post = PostFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)
    refused = client.post(f"/api/v1/posts/{post.pk}/like/")
    error = _assert_api_error(refused, 403, "permission_denied")
    assert "CSRF" in error["message"]
    client.get("/")  # the page sets the CSRF cookie, as in the browser
    token = client.cookies["csrftoken"].value
    assert client.post(f"/api/v1/posts/{post.pk}/like/", HTTP_X_CSRFTOKEN=token).status_code in (200, 201)


def test_a_token_needs_no_csrf_token(user):
    post = PostFactory()
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert client.post(f"/api/v1/posts/{post.pk}/like/").status_code in (200, 201)
