"""The feed's REST API: feeds, posts, likes and comments, as the web UI and the benchmark use them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient, APIRequestFactory

from accounts.models import User
from accounts.services import block_create, follow_create
from config.pagination import cursor_decode, cursor_encode
from feed.models import Comment, Like, Post
from feed.selectors import feed_following, feed_for_you
from feed.serializers import PostSerializer
from feed.services import comment_create, like_create
from tests.conftest import PASSWORD
from tests.factories import (
    BlockFactory,
    CommentFactory,
    FollowFactory,
    LikeFactory,
    PostFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

POST_KEYS = {
    "id", "url", "share_url", "author", "caption", "video_url", "poster_url", "duration", "width",
    "height", "video_size", "like_count", "comment_count", "liked", "published_at", "state", "remix_of",
}
AUTHOR_KEYS = {"handle", "display_name", "avatar_url", "url"}
COMMENT_KEYS = {"id", "post", "author", "body", "created_at", "can_delete"}
CSRF_SECRET = "k" * 32


def _ago(hours: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(hours=hours)


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def _assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) >= {"code", "message"}
    if code is not None:
        assert error["code"] == code
    return error


def _all_ids(client: APIClient, path: str, limit: int) -> list[int]:
    ids, cursor = [], ""
    while True:
        response = client.get(path, {"limit": limit, "cursor": cursor})
        assert response.status_code == 200
        ids += _ids(response)
        cursor = response.json()["next"]
        if cursor is None:
            return ids


# --- Feeds


def test_for_you_feed_is_open_to_anyone_with_the_documented_post_shape(api_client):
    original = PostFactory(published_at=_ago(5))
    remix = PostFactory(published_at=_ago(1), remix_of=original)
    response = api_client.get("/api/v1/feed/for-you/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next"}
    assert body["next"] is None
    first = body["results"][0]
    assert set(first) == POST_KEYS
    assert set(first["author"]) == AUTHOR_KEYS
    assert first["id"] == remix.pk
    assert first["url"] == remix.get_absolute_url()
    assert first["share_url"] == f"http://testserver{remix.get_absolute_url()}"
    assert first["author"]["handle"] == remix.author.handle
    assert first["author"]["url"] == remix.author.get_absolute_url()
    assert first["video_url"].startswith("/media/videos/") and first["video_url"].endswith(".mp4")
    assert first["poster_url"].startswith("/media/posters/")
    assert first["liked"] is False
    assert first["state"] == "published"
    assert first["remix_of"] == {"id": original.pk, "author_handle": original.author.handle}
    assert body["results"][1]["remix_of"] is None
    assert (first["width"], first["height"], first["video_size"]) == (64, 112, remix.video_size)


def test_for_you_feed_pages_with_cursors_until_next_is_null(api_client):
    posts = [PostFactory(published_at=_ago(hours)) for hours in range(1, 8)]
    ids = _all_ids(api_client, "/api/v1/feed/for-you/", limit=3)
    assert sorted(ids) == sorted(p.pk for p in posts)


def test_for_you_feed_marks_the_posts_the_viewer_liked(user, auth_client):
    liked, other = PostFactory(), PostFactory()
    like_create(user=user, post_id=liked.pk)
    results = auth_client.get("/api/v1/feed/for-you/").json()["results"]
    assert {p["id"]: p["liked"] for p in results} == {liked.pk: True, other.pk: False}


def test_for_you_feed_hides_people_blocked_either_way(user, auth_client):
    visible = PostFactory()
    blocked_by_me, blocked_me = PostFactory(), PostFactory()
    block_create(blocker=user, blocked=blocked_by_me.author)
    block_create(blocker=blocked_me.author, blocked=user)
    assert _ids(auth_client.get("/api/v1/feed/for-you/")) == [visible.pk]


def test_feeds_never_show_drafts_even_to_their_author(user, auth_client):
    PostFactory(author=user, state=Post.State.PENDING_REVIEW)
    published = PostFactory(author=user)
    assert _ids(auth_client.get("/api/v1/feed/for-you/")) == [published.pk]


@pytest.mark.parametrize("path", ["/api/v1/feed/for-you/", "/api/v1/feed/following/"])
@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjoiZm9yX3lvdSJ9:forged:signature", "a" * 500])
def test_feeds_refuse_a_bad_or_forged_cursor(auth_client, path, cursor):
    PostFactory()
    _assert_error(auth_client.get(path, {"cursor": cursor}), 400, "invalid_cursor")


def test_feeds_refuse_a_cursor_made_for_another_list(auth_client):
    other_list = cursor_encode("following", t=timezone.now().isoformat(), i=1)
    _assert_error(auth_client.get("/api/v1/feed/for-you/", {"cursor": other_list}), 400, "invalid_cursor")


def test_a_cursor_with_broken_values_inside_is_refused(auth_client):
    signed_but_broken = cursor_encode("following", t="not a date", i=1)
    response = auth_client.get("/api/v1/feed/following/", {"cursor": signed_but_broken})
    _assert_error(response, 400, "invalid_cursor")


def test_a_bad_limit_falls_back_to_the_default_page_size(api_client):
    for _ in range(3):
        PostFactory()
    assert len(_ids(api_client.get("/api/v1/feed/for-you/", {"limit": "lots"}))) == 3
    assert len(_ids(api_client.get("/api/v1/feed/for-you/", {"limit": "-4"}))) == 1


def test_following_feed_needs_a_login(api_client):
    _assert_error(api_client.get("/api/v1/feed/following/"), 401, "not_authenticated")


def test_feeds_take_an_api_token_and_refuse_a_bad_one(user, api_client):
    followed = UserFactory()
    follow_create(follower=user, followee=followed)
    post = PostFactory(author=followed)
    like_create(user=user, post_id=post.pk)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    for path in ("/api/v1/feed/following/", "/api/v1/feed/for-you/"):
        assert [(p["id"], p["liked"]) for p in api_client.get(path).json()["results"]] == [(post.pk, True)]
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    _assert_error(api_client.get("/api/v1/feed/for-you/"), 401, "authentication_failed")


def test_following_feed_shows_followed_people_newest_first(user, auth_client):
    followed = UserFactory()
    follow_create(follower=user, followee=followed)
    older = PostFactory(author=followed, published_at=_ago(3))
    newer = PostFactory(author=followed, published_at=_ago(1))
    PostFactory(published_at=_ago(2))
    response = auth_client.get("/api/v1/feed/following/")
    assert response.status_code == 200
    assert _ids(response) == [newer.pk, older.pk]
    assert set(response.json()["results"][0]) == POST_KEYS


def test_following_feed_pages_with_cursors(user, auth_client):
    followed = UserFactory()
    follow_create(follower=user, followee=followed)
    posts = [PostFactory(author=followed, published_at=_ago(h)) for h in range(1, 6)]
    ids = _all_ids(auth_client, "/api/v1/feed/following/", limit=2)
    assert ids == [p.pk for p in posts]


def _feed_fixture(viewer) -> None:
    """Give `viewer` followed authors, liked posts, a remix and a block: a realistic feed."""
    followed = UserFactory.create_batch(3)
    strangers = UserFactory.create_batch(3)
    for author in followed:
        FollowFactory(follower=viewer, followee=author)
    BlockFactory(blocker=viewer, blocked=UserFactory())
    posts = []
    hours = 1
    for author in followed:
        for _ in range(8):
            remix_of = posts[0] if len(posts) % 2 else None
            posts.append(PostFactory(author=author, published_at=_ago(hours), remix_of=remix_of))
            hours += 1
    for author in strangers:
        for _ in range(4):
            posts.append(PostFactory(author=author, published_at=_ago(hours), remix_of=posts[0]))
            hours += 1
    for post in posts[::3]:
        LikeFactory(user=viewer, post=post)


@pytest.mark.parametrize("path", ["/api/v1/feed/for-you/", "/api/v1/feed/following/"])
def test_feed_page_query_count_does_not_grow_with_the_page_size(user, auth_client, path):
    _feed_fixture(user)
    auth_client.get(path)  # fill the cached follow and block sets, as a warm site has them
    counts, pages = {}, {}
    for limit in (2, 20):
        with CaptureQueriesContext(connection) as queries:
            response = auth_client.get(path, {"limit": limit})
        assert response.status_code == 200
        pages[limit] = response.json()["results"]
        counts[limit] = len(queries)
    assert len(pages[20]) == 20
    assert any(p["liked"] for p in pages[20]) and not all(p["liked"] for p in pages[20])
    assert any(p["remix_of"] for p in pages[20])
    assert counts[2] == counts[20]
    assert counts[20] <= 3


@pytest.mark.parametrize("limit", [4, 50])
@pytest.mark.parametrize(
    ("path", "kind", "selector", "signed_in"),
    [
        ("/api/v1/feed/for-you/", "for_you", feed_for_you, True),
        ("/api/v1/feed/for-you/", "for_you", feed_for_you, False),
        ("/api/v1/feed/following/", "following", feed_following, True),
    ],
)
def test_feed_pages_write_posts_exactly_as_the_post_serializer_does(user, path, kind, selector, signed_in, limit):
    _feed_fixture(user)
    # Names that need quoting in a URL, and text that JSON must escape.
    User.objects.filter(pk__in=Post.objects.values("author_id")[:2]).update(avatar="avatars/7/é t%.webp")
    Post.objects.filter(pk__in=Post.objects.values("pk")[:3]).update(
        caption="« Ça tourne » \u2028 <b>\"x\"</b>", poster="posters/a b/ï.jpg"
    )
    client = APIClient()
    if signed_in:
        client.force_login(user)  # the session, as the web app signs in
    viewer = user if signed_in else None
    request = APIRequestFactory().get(path)
    cursor, pages = None, 0
    while True:
        response = client.get(path, {"limit": limit, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        page = selector(viewer=viewer, cursor=cursor, limit=limit)
        body = response.json()
        assert body["results"] == PostSerializer(page.items, many=True, context={"request": request}).data
        assert (body["next"] is None) == (page.next_cursor is None)
        pages += 1
        if body["next"] is None:
            break
        assert cursor_decode(kind, body["next"]) == cursor_decode(kind, page.next_cursor)
        cursor = body["next"]
    assert (pages > 1) == (limit == 4)


@pytest.mark.parametrize(
    ("accept", "status"),
    [
        (None, 200),
        ("*/*", 200),
        ("application/json", 200),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", 200),
        ("application/json; indent=2", 200),
        ("text/html", 406),
    ],
)
def test_feeds_answer_json_to_whoever_accepts_it(api_client, accept, status):
    PostFactory()
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    response = api_client.get("/api/v1/feed/for-you/", **headers)
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    if status == 200:
        assert len(response.json()["results"]) == 1


# --- One post


def test_a_published_post_is_visible_to_anyone(api_client):
    post = PostFactory()
    response = api_client.get(f"/api/v1/posts/{post.pk}/")
    assert response.status_code == 200
    assert response.json()["id"] == post.pk
    assert set(response.json()) == POST_KEYS


def test_a_missing_post_is_a_json_404(api_client):
    _assert_error(api_client.get("/api/v1/posts/999999/"), 404, "not_found")


def test_a_draft_is_invisible_to_others_but_visible_to_its_author(user, auth_client, api_client):
    draft = PostFactory(author=user, state=Post.State.PENDING_REVIEW)
    assert draft.state == Post.State.PENDING_REVIEW
    mine = auth_client.get(f"/api/v1/posts/{draft.pk}/")
    assert mine.status_code == 200
    assert mine.json()["state"] == "pending_review"
    assert mine.json()["published_at"] is None
    _assert_error(api_client.get(f"/api/v1/posts/{draft.pk}/"), 404)
    _assert_error(_client_for(UserFactory()).get(f"/api/v1/posts/{draft.pk}/"), 404)


def test_a_post_by_someone_who_blocked_the_viewer_is_hidden(user, auth_client):
    post = PostFactory()
    block_create(blocker=post.author, blocked=user)
    _assert_error(auth_client.get(f"/api/v1/posts/{post.pk}/"), 404)


def test_the_author_edits_the_caption(user, auth_client):
    post = PostFactory(author=user)
    response = auth_client.patch(f"/api/v1/posts/{post.pk}/", {"caption": "  New words  "}, format="json")
    assert response.status_code == 200
    assert response.json()["caption"] == "New words"
    post.refresh_from_db()
    assert post.caption == "New words"


def test_only_the_author_edits_a_post(auth_client, api_client):
    post = PostFactory(caption="Original")
    _assert_error(auth_client.patch(f"/api/v1/posts/{post.pk}/", {"caption": "Mine now"}, format="json"), 403)
    _assert_error(api_client.patch(f"/api/v1/posts/{post.pk}/", {"caption": "Mine now"}, format="json"), 401)
    post.refresh_from_db()
    assert post.caption == "Original"


def test_a_too_long_caption_is_refused_by_field(user, auth_client):
    post = PostFactory(author=user, caption="Original")
    response = auth_client.patch(f"/api/v1/posts/{post.pk}/", {"caption": "x" * 501}, format="json")
    assert "caption" in _assert_error(response, 400, "invalid")["fields"]
    post.refresh_from_db()
    assert post.caption == "Original"


def test_the_author_deletes_a_post(user, auth_client):
    post = PostFactory(author=user)
    assert auth_client.delete(f"/api/v1/posts/{post.pk}/").status_code == 204
    assert not Post.objects.filter(pk=post.pk).exists()
    user.refresh_from_db()
    assert user.post_count == 0


def test_only_the_author_deletes_a_post(auth_client, api_client):
    post = PostFactory()
    _assert_error(auth_client.delete(f"/api/v1/posts/{post.pk}/"), 403)
    _assert_error(api_client.delete(f"/api/v1/posts/{post.pk}/"), 401)
    assert Post.objects.filter(pk=post.pk).exists()


# --- Likes


def test_liking_is_idempotent_and_returns_the_count(auth_client):
    post = PostFactory()
    path = f"/api/v1/posts/{post.pk}/like/"
    assert auth_client.post(path).json() == {"liked": True, "like_count": 1}
    assert auth_client.post(path).json() == {"liked": True, "like_count": 1}
    assert Like.objects.filter(post=post).count() == 1
    assert auth_client.delete(path).json() == {"liked": False, "like_count": 0}
    assert auth_client.delete(path).json() == {"liked": False, "like_count": 0}
    assert not Like.objects.filter(post=post).exists()


def test_liking_a_missing_post_is_a_404_and_changes_nothing(auth_client):
    _assert_error(auth_client.post("/api/v1/posts/424242/like/"), 404, "not_found")
    assert not Like.objects.exists()


def test_liking_an_unpublished_post_is_a_404_and_changes_nothing(user, auth_client):
    drafts = [PostFactory(state=Post.State.PENDING_REVIEW), PostFactory(author=user, state=Post.State.PENDING_REVIEW)]
    for draft in drafts:
        _assert_error(auth_client.post(f"/api/v1/posts/{draft.pk}/like/"), 404, "not_found")
        draft.refresh_from_db()
        assert draft.like_count == 0
    assert not Like.objects.exists()


def test_liking_needs_a_login(api_client):
    post = PostFactory()
    _assert_error(api_client.post(f"/api/v1/posts/{post.pk}/like/"), 401, "not_authenticated")
    assert not Like.objects.exists()


def test_liking_a_post_of_someone_who_blocked_you_is_a_404(user, auth_client):
    post = PostFactory()
    block_create(blocker=post.author, blocked=user)
    _assert_error(auth_client.post(f"/api/v1/posts/{post.pk}/like/"), 404)
    assert not Like.objects.exists()


def test_a_liked_post_reads_back_as_liked(auth_client):
    post = PostFactory()
    auth_client.post(f"/api/v1/posts/{post.pk}/like/")
    body = auth_client.get(f"/api/v1/posts/{post.pk}/").json()
    assert (body["liked"], body["like_count"]) == (True, 1)


# --- Comments


def test_commenting_returns_the_new_comment(user, auth_client):
    post = PostFactory()
    response = auth_client.post(f"/api/v1/posts/{post.pk}/comments/", {"body": "  Lovely light  "}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == COMMENT_KEYS
    assert (body["post"], body["body"], body["can_delete"]) == (post.pk, "Lovely light", True)
    assert body["author"]["handle"] == user.handle
    post.refresh_from_db()
    assert post.comment_count == 1


@pytest.mark.parametrize("text", ["", "   ", "x" * 10_000])
def test_an_empty_or_too_long_comment_is_refused_by_field(auth_client, text):
    post = PostFactory()
    response = auth_client.post(f"/api/v1/posts/{post.pk}/comments/", {"body": text}, format="json")
    assert "body" in _assert_error(response, 400, "invalid")["fields"]
    assert not Comment.objects.exists()
    post.refresh_from_db()
    assert post.comment_count == 0


def test_a_comment_without_a_body_is_refused_by_field(auth_client):
    post = PostFactory()
    response = auth_client.post(f"/api/v1/posts/{post.pk}/comments/", {}, format="json")
    assert "body" in _assert_error(response, 400)["fields"]


def test_commenting_needs_a_login(api_client):
    post = PostFactory()
    response = api_client.post(f"/api/v1/posts/{post.pk}/comments/", {"body": "Hi"}, format="json")
    _assert_error(response, 401, "not_authenticated")
    assert not Comment.objects.exists()


def test_commenting_on_a_missing_or_unpublished_post_is_a_404(user, auth_client):
    draft = PostFactory(author=user, state=Post.State.PENDING_REVIEW)
    for post_id in (draft.pk, 999_999):
        response = auth_client.post(f"/api/v1/posts/{post_id}/comments/", {"body": "Hi"}, format="json")
        _assert_error(response, 404)
    assert not Comment.objects.exists()


def test_comments_list_newest_first_with_cursor_pages(api_client):
    post = PostFactory()
    comments = [comment_create(author=UserFactory(), post_id=post.pk, body=f"Note {n}") for n in range(5)]
    ids = _all_ids(api_client, f"/api/v1/posts/{post.pk}/comments/", limit=2)
    assert ids == [c.pk for c in reversed(comments)]
    first = api_client.get(f"/api/v1/posts/{post.pk}/comments/").json()["results"][0]
    assert set(first) == COMMENT_KEYS
    assert first["can_delete"] is False


def test_comments_of_blocked_people_are_hidden(user, auth_client):
    post = PostFactory()
    kept = CommentFactory(post=post)
    hidden = CommentFactory(post=post)
    block_create(blocker=user, blocked=hidden.author)
    assert _ids(auth_client.get(f"/api/v1/posts/{post.pk}/comments/")) == [kept.pk]


def test_comments_of_a_hidden_or_draft_post_are_a_404(api_client):
    draft = PostFactory(state=Post.State.PENDING_REVIEW)
    _assert_error(api_client.get(f"/api/v1/posts/{draft.pk}/comments/"), 404)


def test_comments_refuse_a_bad_cursor(api_client):
    post = PostFactory()
    response = api_client.get(f"/api/v1/posts/{post.pk}/comments/", {"cursor": "nope"})
    _assert_error(response, 400, "invalid_cursor")


def test_comments_refuse_the_cursor_of_another_post(api_client):
    post, other = PostFactory(), PostFactory()
    foreign = cursor_encode(f"comments:{other.pk}", t=timezone.now().isoformat(), i=1)
    response = api_client.get(f"/api/v1/posts/{post.pk}/comments/", {"cursor": foreign})
    _assert_error(response, 400, "invalid_cursor")


def test_can_delete_is_true_for_the_comment_and_post_authors(user, auth_client):
    own_post = PostFactory(author=user)
    stranger = CommentFactory(post=own_post)
    results = auth_client.get(f"/api/v1/posts/{own_post.pk}/comments/").json()["results"]
    assert [(c["id"], c["can_delete"]) for c in results] == [(stranger.pk, True)]


def test_the_comment_author_deletes_a_comment(user, auth_client):
    post = PostFactory()
    comment = comment_create(author=user, post_id=post.pk, body="Oops")
    assert auth_client.delete(f"/api/v1/comments/{comment.pk}/").status_code == 204
    assert not Comment.objects.exists()
    post.refresh_from_db()
    assert post.comment_count == 0


def test_the_post_author_deletes_a_comment_under_their_post(user, auth_client):
    post = PostFactory(author=user)
    comment = comment_create(author=UserFactory(), post_id=post.pk, body="Rude")
    assert auth_client.delete(f"/api/v1/comments/{comment.pk}/").status_code == 204
    assert not Comment.objects.exists()


def test_others_cannot_delete_a_comment(auth_client, api_client):
    post = PostFactory()
    comment = comment_create(author=UserFactory(), post_id=post.pk, body="Mine")
    _assert_error(auth_client.delete(f"/api/v1/comments/{comment.pk}/"), 403, "permission_denied")
    _assert_error(api_client.delete(f"/api/v1/comments/{comment.pk}/"), 401, "not_authenticated")
    _assert_error(auth_client.delete("/api/v1/comments/999999/"), 404)
    assert Comment.objects.filter(pk=comment.pk).exists()


# --- A person's posts


def test_a_persons_posts_are_their_published_ones_newest_first(api_client):
    author = UserFactory()
    older = PostFactory(author=author, published_at=_ago(2))
    newer = PostFactory(author=author, published_at=_ago(1))
    PostFactory(author=author, state=Post.State.PENDING_REVIEW)
    PostFactory()
    response = api_client.get(f"/api/v1/users/{author.handle.upper()}/posts/")
    assert response.status_code == 200
    assert _ids(response) == [newer.pk, older.pk]
    assert response.json()["next"] is None


def test_a_persons_posts_page_with_cursors(api_client):
    author = UserFactory()
    posts = [PostFactory(author=author, published_at=_ago(h)) for h in range(1, 6)]
    assert _all_ids(api_client, f"/api/v1/users/{author.handle}/posts/", limit=2) == [p.pk for p in posts]
    response = api_client.get(f"/api/v1/users/{author.handle}/posts/", {"cursor": "bad"})
    _assert_error(response, 400, "invalid_cursor")


def test_the_posts_of_a_missing_or_blocking_person_are_a_404(user, auth_client):
    _assert_error(auth_client.get("/api/v1/users/nobody_here/posts/"), 404)
    blocker = UserFactory()
    PostFactory(author=blocker)
    block_create(blocker=blocker, blocked=user)
    _assert_error(auth_client.get(f"/api/v1/users/{blocker.handle}/posts/"), 404)


# --- Sessions, CSRF and throttling


def test_session_writes_need_the_csrf_token(user):
    post = PostFactory()
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(handle=user.handle, password=PASSWORD)
    refused = client.post(f"/api/v1/posts/{post.pk}/like/")
    assert "CSRF" in _assert_error(refused, 403, "permission_denied")["message"]
    assert not Like.objects.exists()
    client.cookies["csrftoken"] = CSRF_SECRET
    accepted = client.post(f"/api/v1/posts/{post.pk}/like/", HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert accepted.status_code == 200
    assert accepted.json()["liked"] is True


def test_writes_are_throttled_but_reads_are_not(auth_client, monkeypatch):
    from config.api import WriteRateThrottle

    monkeypatch.setattr(WriteRateThrottle, "THROTTLE_RATES", {"writes": "2/minute"})
    post = PostFactory()
    path = f"/api/v1/posts/{post.pk}/like/"
    assert auth_client.post(path).status_code == 200
    assert auth_client.delete(path).status_code == 200
    _assert_error(auth_client.post(path), 429, "throttled")
    for _ in range(3):
        assert auth_client.get(f"/api/v1/posts/{post.pk}/").status_code == 200


@pytest.mark.django_db
def test_media_urls_match_what_the_storage_itself_would_give():
    from accounts.serializers import file_url

    post = PostFactory()
    for field in (post.video, post.poster):
        assert file_url(field) == field.storage.url(field.name)
    assert file_url(post.author.avatar) is None


@pytest.mark.parametrize("signed_in", [True, False])
def test_feeds_count_each_request_against_every_throttle(user, monkeypatch, signed_in):
    from config.throttling import AnonRateThrottle, UserRateThrottle

    # A visitor counts against both the `anon` and the `user` rates (by address), as in DRF.
    rates = {"anon": "100/minute", "user": "2/minute"}
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", rates)
    PostFactory()
    client = APIClient()
    if signed_in:
        client.force_login(user)
    for _ in range(2):
        assert client.get("/api/v1/feed/for-you/").status_code == 200
    refused = client.get("/api/v1/feed/for-you/")
    _assert_error(refused, 429, "throttled")
    assert 0 < int(refused["Retry-After"]) <= 61
    if signed_in:
        _assert_error(client.get("/api/v1/feed/following/"), 429, "throttled")
