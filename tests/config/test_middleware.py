"""The `writes` rate on the web forms: the same counter as the API's, a 429 page once spent."""

import pytest
from django.test import Client
from django.urls import reverse

from config.throttling import WriteRateThrottle
from feed.models import Comment
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def three_writes(monkeypatch):
    monkeypatch.setattr(WriteRateThrottle, "THROTTLE_RATES", {"writes": "3/minute"})


def test_signed_in_form_posts_are_refused_once_the_rate_is_spent(client, user, three_writes):
    post = PostFactory()
    client.force_login(user)
    url = reverse("feed:comment_create", kwargs={"post_id": post.pk})
    for n in range(3):
        assert client.post(url, {"body": f"Lovely light {n}"}).status_code == 302
    refused = client.post(url, {"body": "One too many"})
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 61
    assert [t.name for t in refused.templates][:2] == ["429.html", "base.html"]
    html = refused.content.decode()
    assert "Slow down" in html and 'data-auth="1"' in html
    assert Comment.objects.count() == 3
    # Reading goes on.
    assert client.get(reverse("feed:post", kwargs={"post_id": post.pk})).status_code == 200


def test_anonymous_form_posts_are_counted_by_address(client, three_writes):
    login = reverse("accounts:login")
    for _ in range(3):
        assert client.post(login, {"username": "someone", "password": "x"}).status_code == 200
    assert client.post(login, {"username": "someone", "password": "x"}).status_code == 429
    # A forged X-Forwarded-For does not buy a new allowance; another address has its own.
    assert client.post(login, {"username": "a", "password": "x"}, HTTP_X_FORWARDED_FOR="192.0.2.1").status_code == 429
    other = Client(REMOTE_ADDR="198.51.100.7")
    assert other.post(login, {"username": "someone", "password": "x"}).status_code == 200


def test_the_page_speaks_the_visitors_language(three_writes):
    french = Client(HTTP_ACCEPT_LANGUAGE="fr")
    for _ in range(4):
        refused = french.post(reverse("accounts:signup"), {})
    assert refused.status_code == 429
    html = refused.content.decode()
    assert '<html lang="fr">' in html
    assert "Doucement, un instant" in html


def test_the_api_and_the_forms_share_one_allowance_counted_once(client, user, three_writes):
    post = PostFactory()
    client.force_login(user)
    for n in range(3):
        response = client.post(f"/api/v1/posts/{post.pk}/comments/", {"body": f"From the app {n}"})
        assert response.status_code == 201, response.content
    url = reverse("feed:comment_create", kwargs={"post_id": post.pk})
    assert client.post(url, {"body": "From the form"}).status_code == 429
    assert Comment.objects.count() == 3
