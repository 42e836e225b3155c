"""The web pages of the feed: For you, Following and a video's own page."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.services import block_create, follow_create
from feed.models import Comment, Post
from feed.services import comment_create, like_create
from tests.factories import CommentFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def _html(response) -> str:
    return response.content.decode()


# ---------- For you ----------


def test_for_you_renders_players_for_visitors(client):
    post = PostFactory(caption="Sunset loop")
    response = client.get(reverse("feed:for_you"))
    assert response.status_code == 200
    html = _html(response)
    assert "Sunset loop" in html
    assert f'src="{post.video.url}"' in html
    assert f'poster="{post.poster.url}"' in html
    assert "playsinline muted loop" in html
    assert 'preload="metadata"' in html
    assert f'data-post-id="{post.pk}"' in html
    assert reverse("accounts:login") in html
    assert reverse("api-docs") in html
    assert 'id="slide-template"' in html


def test_for_you_shows_what_the_viewer_liked_and_follows(client, user):
    liked = PostFactory(caption="Liked one")
    followed_author = UserFactory(handle="followed_one")
    PostFactory(author=followed_author)
    like_create(user=user, post_id=liked.pk)
    follow_create(follower=user, followee=followed_author)
    client.force_login(user)
    response = client.get(reverse("feed:for_you"))
    html = _html(response)
    slide = html[html.index(f'data-post-id="{liked.pk}"'):]
    like_button = re.search(r'<button[^>]*data-el="like"[^>]*>', slide).group(0)
    assert 'aria-pressed="true"' in like_button
    assert response.context["followed_handles"] == ["followed_one"]
    assert '["followed_one"]' in html


def test_for_you_hands_the_next_cursor_to_the_script(client, settings):
    settings.FEED_PAGE_SIZE = 2
    for _ in range(3):
        PostFactory()
    response = client.get(reverse("feed:for_you"))
    cursor = response.context["page"].next_cursor
    assert cursor
    assert f'data-next="{cursor}"' in _html(response)
    assert 'data-api-path="feed/for-you/"' in _html(response)


def test_a_forged_cursor_falls_back_to_the_first_page(client):
    PostFactory(caption="Still here")
    response = client.get(reverse("feed:for_you") + "?cursor=forged")
    assert response.status_code == 200
    assert "Still here" in _html(response)


def test_empty_feed_says_so(client):
    html = _html(client.get(reverse("feed:for_you")))
    assert "No videos yet" in html


def test_user_text_is_escaped(client):
    author = UserFactory(display_name="<img src=x onerror=alert(1)>")
    PostFactory(author=author, caption="<script>alert('x')</script>")
    html = _html(client.get(reverse("feed:for_you")))
    assert "<script>alert(" not in html
    assert "&lt;script&gt;alert(" in html
    assert "<img src=x" not in html


def test_drafts_and_removed_posts_stay_out_of_the_feed(client):
    PostFactory(caption="Waiting", state=Post.State.PENDING_REVIEW)
    PostFactory(caption="Taken down", state=Post.State.REMOVED)
    html = _html(client.get(reverse("feed:for_you")))
    assert "Waiting" not in html and "Taken down" not in html


def test_blocked_people_are_hidden_from_the_feed(client, user):
    blocked = UserFactory()
    blocker = UserFactory()
    PostFactory(author=blocked, caption="From the blocked")
    PostFactory(author=blocker, caption="From the blocker")
    PostFactory(caption="From someone else")
    block_create(blocker=user, blocked=blocked)
    block_create(blocker=blocker, blocked=user)
    client.force_login(user)
    html = _html(client.get(reverse("feed:for_you")))
    assert "From someone else" in html
    assert "From the blocked" not in html
    assert "From the blocker" not in html


# ---------- Following ----------


def test_following_needs_a_login(client):
    response = client.get(reverse("feed:following"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_following_shows_only_followed_people(client, user):
    friend = UserFactory()
    PostFactory(author=friend, caption="From a friend")
    PostFactory(caption="From a stranger")
    follow_create(follower=user, followee=friend)
    client.force_login(user)
    response = client.get(reverse("feed:following"))
    html = _html(response)
    assert "From a friend" in html
    assert "From a stranger" not in html
    assert 'aria-current="page"' in html
    assert 'data-api-path="feed/following/"' in html


def test_following_without_follows_explains_what_to_do(client, user):
    client.force_login(user)
    html = _html(client.get(reverse("feed:following")))
    assert "Nothing here yet" in html


# ---------- A video's page ----------


def test_post_page_is_a_shareable_link(client):
    post = PostFactory(caption="Share me")
    CommentFactory(post=post, body="First!")
    url = reverse("feed:post", kwargs={"post_id": post.pk})
    response = client.get(url)
    assert response.status_code == 200
    html = _html(response)
    assert f'<meta property="og:url" content="http://testserver{url}">' in html
    assert f'<meta property="og:video" content="http://testserver{post.video.url}">' in html
    assert f'<meta property="og:image" content="http://testserver{post.poster.url}">' in html
    assert '<meta property="og:type" content="video.other">' in html
    assert "Share me" in html
    assert "First!" in html


def test_post_page_lets_only_authors_delete_comments(client, user):
    post = PostFactory()
    mine = CommentFactory(post=post, author=user, body="Mine")
    CommentFactory(post=post, body="Theirs")
    client.force_login(user)
    html = _html(client.get(post.get_absolute_url()))
    assert html.count('data-el="delete"') == 1 + 1  # one in the comment template
    assert f'data-comment-id="{mine.pk}"' in html


@pytest.mark.parametrize("state", [Post.State.PENDING_REVIEW, Post.State.REMOVED])
def test_unpublished_posts_are_not_found_by_others(client, user, state):
    author = UserFactory()
    post = PostFactory(author=author, state=state)
    url = reverse("feed:post", kwargs={"post_id": post.pk})
    assert client.get(url).status_code == 404
    client.force_login(user)
    assert client.get(url).status_code == 404
    client.force_login(author)
    response = client.get(url)
    assert response.status_code == 200
    assert "Only you can see this video until it is published." in _html(response)


def test_unknown_post_is_not_found(client):
    response = client.get(reverse("feed:post", kwargs={"post_id": 999999}))
    assert response.status_code == 404
    assert "This page is not available" in _html(response)


def test_post_of_a_blocked_person_is_not_found(client, user):
    post = PostFactory()
    block_create(blocker=user, blocked=post.author)
    client.force_login(user)
    assert client.get(post.get_absolute_url()).status_code == 404


def test_comments_of_blocked_people_are_hidden(client, user):
    post = PostFactory()
    troll = UserFactory()
    comment_create(author=troll, post_id=post.pk, body="Troll comment")
    comment_create(author=UserFactory(), post_id=post.pk, body="Kind comment")
    block_create(blocker=user, blocked=troll)
    client.force_login(user)
    html = _html(client.get(post.get_absolute_url()))
    assert "Kind comment" in html
    assert "Troll comment" not in html


def test_comment_form_without_script(client, user):
    post = PostFactory()
    client.force_login(user)
    url = reverse("feed:comment_create", kwargs={"post_id": post.pk})
    response = client.post(url, {"body": "  Posted from a form  "})
    assert response.status_code == 302
    assert Comment.objects.get(post=post).body == "Posted from a form"
    response = client.post(url, {"body": "   "}, follow=True)
    assert "Write something first." in _html(response)
    draft = PostFactory(state=Post.State.PENDING_REVIEW)
    assert client.post(reverse("feed:comment_create", kwargs={"post_id": draft.pk}), {"body": "x"}).status_code == 404


# ---------- Languages ----------


def test_feed_in_french_from_the_browser_language(client):
    PostFactory()
    html = _html(client.get(reverse("feed:for_you"), HTTP_ACCEPT_LANGUAGE="fr-FR,fr;q=0.9"))
    assert '<html lang="fr">' in html
    assert "Pour vous" in html
    assert "Abonnements" in html
    assert 'aria-label="J’aime"' in html


def test_language_switch_remembers_the_choice(client):
    response = client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    assert response.status_code == 302
    html = _html(client.get(reverse("feed:for_you"), HTTP_ACCEPT_LANGUAGE="en"))
    assert "Pour vous" in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "For you" in _html(client.get(reverse("feed:for_you")))


def test_script_translations_follow_the_language(client):
    english = _html(client.get(reverse("feed:jsi18n")))
    french = _html(client.get(reverse("feed:jsi18n"), HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Lien copi" not in english
    assert "Lien copi" in french


# ---------- Queries ----------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("logged_in", [False, True])
def test_feed_page_queries_do_not_grow_with_posts(client, user, logged_in):
    if logged_in:
        client.force_login(user)
    authors = [UserFactory() for _ in range(4)]
    for author in authors:
        follow_create(follower=user, followee=author)
    original = PostFactory(author=authors[0])
    for i in range(3):
        PostFactory(author=authors[i % 4], remix_of=original if i == 0 else None)
    client.get(reverse("feed:for_you"))
    few = _queries(client, reverse("feed:for_you"))
    for i in range(9):
        post = PostFactory(author=authors[i % 4], remix_of=original)
        like_create(user=user, post_id=post.pk)
    many = _queries(client, reverse("feed:for_you"))
    assert few == many


def test_post_page_queries_do_not_grow_with_comments(client, user):
    client.force_login(user)
    post = PostFactory()
    CommentFactory(post=post)
    client.get(post.get_absolute_url())
    few = _queries(client, post.get_absolute_url())
    for _ in range(8):
        CommentFactory(post=post)
    assert _queries(client, post.get_absolute_url()) == few


def test_profile_page_queries_do_not_grow_with_posts(client):
    author = UserFactory()
    PostFactory(author=author)
    client.get(author.get_absolute_url())
    few = _queries(client, author.get_absolute_url())
    for _ in range(8):
        PostFactory(author=author)
    assert _queries(client, author.get_absolute_url()) == few


def test_a_withheld_post_plays_for_its_author_and_moderators_only(client, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Permission

    from feed.services import post_unpublish

    post = PostFactory()
    with django_capture_on_commit_callbacks(execute=True):
        post_unpublish(post=post, state=Post.State.PENDING_REVIEW)
    post.refresh_from_db()
    checked = reverse("feed:post-media", args=[post.pk, "video"])
    assert post.video_src == checked and post.poster_src == reverse("feed:post-media", args=[post.pk, "poster"])
    assert client.get(checked).status_code == 404  # anonymous
    client.force_login(UserFactory())
    assert client.get(checked).status_code == 404  # someone else
    client.force_login(post.author)
    mine = client.get(checked)
    assert mine.status_code == 200 and mine["Cache-Control"] == "private, no-store"
    moderator = UserFactory()
    moderator.user_permissions.add(Permission.objects.get(codename="review_case"))
    client.force_login(moderator)
    assert client.get(checked).status_code == 200
    assert client.get(reverse("feed:post-media", args=[post.pk, "script"])).status_code == 404
