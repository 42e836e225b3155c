"""The people side of the REST API: sign-up, tokens, profiles, follows, blocks, notifications."""

from __future__ import annotations

import datetime as dt
import io
import os

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import Block, Follow, Notification, User
from accounts.services import block_create, follow_create
from feed.services import like_create
from tests.conftest import PASSWORD
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

PROFILE_KEYS = {
    "handle", "display_name", "bio", "avatar_url", "url", "follower_count", "following_count",
    "post_count", "is_following", "is_blocked",
}
ME_KEYS = PROFILE_KEYS | {"email", "date_of_birth"}


def _client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) >= {"code", "message"}
    if code is not None:
        assert error["code"] == code
    return error


def _signup(client: APIClient, **overrides):
    data = {
        "handle": "new_person", "email": "new@example.org", "password": "sturdy-Pass-91",
        "date_of_birth": "1990-04-02",
    }
    return client.post("/api/v1/auth/signup/", {**data, **overrides}, format="json")


def _png(size=(300, 200), color=(20, 120, 200)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, format="PNG")
    return out.getvalue()


def _noise_png(at_least: int) -> bytes:
    """Return a real PNG of random pixels, which no compression can bring under `at_least` bytes."""
    side = int((at_least / 3) ** 0.5) + 16
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=1)
    return out.getvalue()


def _upload(data: bytes, name: str = "me.png", content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


# --- Sign-up and tokens


def test_signup_creates_the_account_which_then_logs_in_for_a_token(api_client):
    response = _signup(api_client, handle="Zoe.B", display_name="Zoé")
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == ME_KEYS
    assert (body["handle"], body["email"], body["date_of_birth"]) == ("Zoe.B", "new@example.org", "1990-04-02")
    assert body["display_name"] == "Zoé"
    assert "password" not in body
    user = User.objects.get(handle="Zoe.B")
    assert user.check_password("sturdy-Pass-91")
    assert not Token.objects.exists()
    assert api_client.get("/api/v1/me/").status_code == 401  # signing up does not sign in
    token = api_client.post("/api/v1/auth/token/", {"handle": "zoe.b", "password": "sturdy-Pass-91"}, format="json")
    token_client = APIClient()
    token_client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    assert token_client.get("/api/v1/me/").json()["handle"] == "Zoe.B"


def test_signup_with_a_known_email_answers_exactly_as_for_a_new_one(api_client):
    owner = UserFactory(email="known@example.org")
    fresh = _signup(api_client, handle="fresh_one", email="fresh@example.org")
    known = _signup(APIClient(), handle="probe_one", email="KNOWN@example.org")
    assert known.status_code == fresh.status_code == 201, known.content
    body = known.json()
    assert set(body) == set(fresh.json())
    expected = {**fresh.json(), "handle": "probe_one", "url": "/@probe_one/", "email": "KNOWN@example.org"}
    assert body == expected
    assert known.cookies.keys() == fresh.cookies.keys()
    # Nothing was created for the known address, and its owner's account is untouched.
    assert User.objects.filter(email__iexact="known@example.org").get() == owner
    assert not User.objects.filter(handle="probe_one").exists()
    assert not Token.objects.exists()


def test_signup_refuses_a_handle_taken_in_any_case(api_client):
    UserFactory(handle="TakenName")
    error = _assert_error(_signup(api_client, handle="takenNAME"), 400, "invalid")
    assert "handle" in error["fields"]
    assert User.objects.filter(handle__iexact="takenname").count() == 1


@pytest.mark.parametrize("handle", ["ab", "has space", "bad!chars", ".dotfirst", "two..dots", "admin", "x" * 31])
def test_signup_refuses_an_invalid_or_reserved_handle(api_client, handle):
    error = _assert_error(_signup(api_client, handle=handle), 400, "invalid")
    assert "handle" in error["fields"]
    assert not User.objects.exists()


def test_signup_refuses_someone_under_the_minimum_age(api_client):
    today = timezone.localdate()
    twelve = today.replace(year=today.year - settings.MINIMUM_AGE + 1)
    error = _assert_error(_signup(api_client, date_of_birth=twelve.isoformat()), 400, "invalid")
    assert "date_of_birth" in error["fields"]
    assert not User.objects.exists()


def test_signup_names_every_missing_or_malformed_field(api_client):
    response = api_client.post(
        "/api/v1/auth/signup/", {"email": "not-an-email", "date_of_birth": "yesterday"}, format="json"
    )
    error = _assert_error(response, 400, "invalid")
    assert {"handle", "email", "password", "date_of_birth"} <= set(error["fields"])


def test_signup_refuses_a_weak_password(api_client):
    error = _assert_error(_signup(api_client, password="123"), 400)
    assert "password" in error["fields"]
    assert not User.objects.exists()


def test_a_token_is_given_for_the_right_handle_and_password(api_client, user):
    response = api_client.post(
        "/api/v1/auth/token/", {"handle": user.handle.upper(), "password": PASSWORD}, format="json"
    )
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=user).key}
    again = api_client.post("/api/v1/auth/token/", {"handle": user.handle, "password": PASSWORD}, format="json")
    assert again.json() == response.json()


def test_no_token_for_a_wrong_password(api_client, user):
    response = api_client.post("/api/v1/auth/token/", {"handle": user.handle, "password": "wrong"}, format="json")
    _assert_error(response, 400, "invalid")
    assert not Token.objects.exists()


def test_repeated_wrong_passwords_lock_the_token_endpoint_for_that_address(api_client, user, settings):
    settings.LOGIN_FAILURES_PER_IP_AND_HANDLE = 3
    for _ in range(3):
        api_client.post("/api/v1/auth/token/", {"handle": user.handle, "password": "guess"}, format="json")
    response = api_client.post("/api/v1/auth/token/", {"handle": user.handle, "password": PASSWORD}, format="json")
    error = _assert_error(response, 429, "throttled")
    assert "try again later" in error["message"].lower()
    assert 0 < int(response["Retry-After"]) <= settings.LOGIN_LOCK_SECONDS + 1
    assert not Token.objects.exists()


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out_of_the_token_endpoint(user):
    stranger = APIClient(REMOTE_ADDR="203.0.113.66")
    for _ in range(11):
        stranger.post("/api/v1/auth/token/", {"handle": user.handle, "password": "guess"}, format="json")
    refused = stranger.post("/api/v1/auth/token/", {"handle": user.handle, "password": PASSWORD}, format="json")
    assert "try again later" in _assert_error(refused, 429, "throttled")["message"].lower()
    owner = APIClient(REMOTE_ADDR="198.51.100.20")
    response = owner.post("/api/v1/auth/token/", {"handle": user.handle, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"token": Token.objects.get(user=user).key}


def test_deleting_the_token_revokes_it(api_client, user):
    token = Token.objects.create(user=user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api_client.delete("/api/v1/auth/token/").status_code == 204
    assert not Token.objects.filter(user=user).exists()
    response = api_client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert response.json()["error"]["code"] == "authentication_failed"


def test_deleting_a_token_needs_a_login(api_client):
    _assert_error(api_client.delete("/api/v1/auth/token/"), 401, "not_authenticated")


# --- Me


def test_me_returns_the_private_profile(user, auth_client):
    body = auth_client.get("/api/v1/me/").json()
    assert set(body) == ME_KEYS
    assert (body["handle"], body["email"], body["date_of_birth"]) == (user.handle, user.email, "1995-05-17")
    assert body["url"] == user.get_absolute_url()
    assert body["avatar_url"] is None


def test_me_needs_a_login(api_client):
    _assert_error(api_client.get("/api/v1/me/"), 401, "not_authenticated")
    _assert_error(api_client.patch("/api/v1/me/", {"bio": "x"}, format="json"), 401, "not_authenticated")


def test_me_updates_the_display_name_and_bio(user, auth_client):
    response = auth_client.patch("/api/v1/me/", {"display_name": " Ada ", "bio": "Makes loops."}, format="json")
    assert response.status_code == 200
    assert (response.json()["display_name"], response.json()["bio"]) == ("Ada", "Makes loops.")
    user.refresh_from_db()
    assert (user.display_name, user.bio) == ("Ada", "Makes loops.")


def test_me_refuses_a_too_long_bio(user, auth_client):
    response = auth_client.patch("/api/v1/me/", {"bio": "b" * 301}, format="json")
    assert "bio" in _assert_error(response, 400)["fields"]
    user.refresh_from_db()
    assert user.bio == ""


def test_me_takes_an_avatar_and_reencodes_it_as_a_square_webp(user, auth_client):
    response = auth_client.patch("/api/v1/me/", {"avatar": _upload(_png())}, format="multipart")
    assert response.status_code == 200, response.content
    avatar_url = response.json()["avatar_url"]
    assert avatar_url.startswith("/media/avatars/") and avatar_url.endswith(".webp")
    user.refresh_from_db()
    with Image.open(user.avatar.path) as stored:
        assert (stored.format, stored.size) == ("WEBP", (settings.AVATAR_SIZE, settings.AVATAR_SIZE))


def test_me_refuses_a_file_that_is_not_an_image_and_changes_nothing(user, auth_client):
    fake = _upload(b"#!/bin/sh\necho not a picture\n", name="me.png")
    response = auth_client.patch("/api/v1/me/", {"avatar": fake, "display_name": "Changed"}, format="multipart")
    assert "avatar" in _assert_error(response, 400, "invalid")["fields"]
    user.refresh_from_db()
    assert not user.avatar
    assert user.display_name != "Changed"


def test_me_refuses_an_oversized_avatar_and_changes_nothing(user, auth_client):
    big = _noise_png(settings.AVATAR_MAX_BYTES + 1024)
    assert len(big) > settings.AVATAR_MAX_BYTES
    Image.open(io.BytesIO(big)).verify()
    response = auth_client.patch("/api/v1/me/", {"avatar": _upload(big)}, format="multipart")
    assert "avatar" in _assert_error(response, 400, "invalid")["fields"]
    user.refresh_from_db()
    assert not user.avatar
    assert not (settings.MEDIA_ROOT / "avatars").exists()


def test_me_refuses_an_avatar_with_too_many_pixels(user, auth_client):
    out = io.BytesIO()
    Image.new("1", (8_000, 6_000)).save(out, format="PNG")
    assert settings.AVATAR_MAX_PIXELS < 8_000 * 6_000 and len(out.getvalue()) < settings.AVATAR_MAX_BYTES
    response = auth_client.patch("/api/v1/me/", {"avatar": _upload(out.getvalue())}, format="multipart")
    assert "avatar" in _assert_error(response, 400)["fields"]
    user.refresh_from_db()
    assert not user.avatar


def test_a_new_avatar_replaces_the_old_file(user, auth_client):
    auth_client.patch("/api/v1/me/", {"avatar": _upload(_png())}, format="multipart")
    user.refresh_from_db()
    first = user.avatar.path
    auth_client.patch("/api/v1/me/", {"avatar": _upload(_png(color=(1, 2, 3)))}, format="multipart")
    user.refresh_from_db()
    assert user.avatar.path != first
    assert os.path.exists(user.avatar.path)


# --- Profiles


def test_a_profile_shows_counts_and_how_the_viewer_relates(user, auth_client):
    person = UserFactory(bio="Hello")
    follow_create(follower=user, followee=person)
    PostFactory(author=person)
    response = auth_client.get(f"/api/v1/users/{person.handle.upper()}/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == PROFILE_KEYS
    assert (body["handle"], body["bio"], body["url"]) == (person.handle, "Hello", person.get_absolute_url())
    assert (body["follower_count"], body["following_count"], body["post_count"]) == (1, 0, 1)
    assert (body["is_following"], body["is_blocked"]) == (True, False)
    assert "email" not in body and "date_of_birth" not in body


def test_a_profile_is_public_to_anonymous_visitors(api_client):
    person = UserFactory()
    body = api_client.get(f"/api/v1/users/{person.handle}/").json()
    assert (body["handle"], body["is_following"], body["is_blocked"]) == (person.handle, False, False)


def test_a_missing_inactive_or_blocking_person_is_a_404(user, auth_client):
    _assert_error(auth_client.get("/api/v1/users/nobody_at_all/"), 404, "not_found")
    inactive = UserFactory(is_active=False)
    _assert_error(auth_client.get(f"/api/v1/users/{inactive.handle}/"), 404)
    blocker = UserFactory()
    block_create(blocker=blocker, blocked=user)
    _assert_error(auth_client.get(f"/api/v1/users/{blocker.handle}/"), 404)


def test_followers_and_following_list_people_newest_first(user, auth_client):
    person = UserFactory()
    fans = UserFactory.create_batch(3)
    for fan in fans:
        follow_create(follower=fan, followee=person)
    follow_create(follower=person, followee=user)
    followers = auth_client.get(f"/api/v1/users/{person.handle}/followers/").json()
    assert [p["handle"] for p in followers["results"]] == [f.handle for f in reversed(fans)]
    assert followers["count"] == 3
    assert set(followers["results"][0]) == PROFILE_KEYS
    following = auth_client.get(f"/api/v1/users/{person.handle}/following/").json()
    assert [p["handle"] for p in following["results"]] == [user.handle]


def test_followers_page_by_limit_and_offset(api_client):
    person = UserFactory()
    for fan in UserFactory.create_batch(5):
        follow_create(follower=fan, followee=person)
    first = api_client.get(f"/api/v1/users/{person.handle}/followers/", {"limit": 2}).json()
    assert len(first["results"]) == 2 and first["next"]
    last = api_client.get(f"/api/v1/users/{person.handle}/followers/", {"limit": 2, "offset": 4}).json()
    assert len(last["results"]) == 1 and last["next"] is None


def test_followers_of_a_missing_person_are_a_404(api_client):
    _assert_error(api_client.get("/api/v1/users/nobody_at_all/followers/"), 404)
    _assert_error(api_client.get("/api/v1/users/nobody_at_all/following/"), 404)


# --- Follows


def test_following_is_idempotent_and_returns_the_follower_count(user, auth_client):
    person = UserFactory()
    path = f"/api/v1/users/{person.handle}/follow/"
    assert auth_client.post(path).json() == {"following": True, "follower_count": 1}
    assert auth_client.post(path).json() == {"following": True, "follower_count": 1}
    assert Follow.objects.filter(follower=user, followee=person).count() == 1
    assert auth_client.delete(path).json() == {"following": False, "follower_count": 0}
    assert auth_client.delete(path).json() == {"following": False, "follower_count": 0}
    assert not Follow.objects.exists()


def test_following_yourself_is_refused(user, auth_client):
    _assert_error(auth_client.post(f"/api/v1/users/{user.handle}/follow/"), 400, "invalid")
    assert not Follow.objects.exists()


def test_following_someone_who_blocked_you_is_refused(user, auth_client):
    blocker = UserFactory()
    block_create(blocker=blocker, blocked=user)
    _assert_error(auth_client.post(f"/api/v1/users/{blocker.handle}/follow/"), 400, "invalid")
    assert not Follow.objects.exists()


def test_following_needs_a_login(api_client):
    person = UserFactory()
    _assert_error(api_client.post(f"/api/v1/users/{person.handle}/follow/"), 401, "not_authenticated")
    assert not Follow.objects.exists()


def test_following_a_missing_person_is_a_404(auth_client):
    _assert_error(auth_client.post("/api/v1/users/nobody_at_all/follow/"), 404)


# --- Blocks


def test_blocking_ends_follows_both_ways_and_lists_the_person(
    user, auth_client, django_capture_on_commit_callbacks
):
    person = UserFactory()
    follow_create(follower=user, followee=person)
    follow_create(follower=person, followee=user)
    path = f"/api/v1/users/{person.handle}/block/"
    assert auth_client.post(path).json() == {"blocked": True}
    assert auth_client.post(path).json() == {"blocked": True}
    assert not Follow.objects.exists()
    blocks = auth_client.get("/api/v1/me/blocks/").json()
    assert [(p["handle"], p["is_blocked"]) for p in blocks["results"]] == [(person.handle, True)]
    _assert_error(auth_client.get(f"/api/v1/users/{person.handle}/"), 404)
    with django_capture_on_commit_callbacks(execute=True):
        assert auth_client.delete(path).json() == {"blocked": False}
    assert auth_client.delete(path).json() == {"blocked": False}
    assert not Block.objects.exists()
    assert auth_client.get("/api/v1/me/blocks/").json()["results"] == []
    assert auth_client.get(f"/api/v1/users/{person.handle}/").status_code == 200


def test_blocking_yourself_is_refused(user, auth_client):
    _assert_error(auth_client.post(f"/api/v1/users/{user.handle}/block/"), 400, "invalid")
    assert not Block.objects.exists()


def test_blocking_needs_a_login(api_client):
    person = UserFactory()
    _assert_error(api_client.post(f"/api/v1/users/{person.handle}/block/"), 401, "not_authenticated")
    _assert_error(api_client.get("/api/v1/me/blocks/"), 401, "not_authenticated")
    assert not Block.objects.exists()


def test_blocking_a_missing_person_is_a_404(auth_client):
    _assert_error(auth_client.post("/api/v1/users/nobody_at_all/block/"), 404)


# --- Notifications


def test_notifications_list_what_happened_and_count_the_unread(user, auth_client):
    fan = UserFactory()
    post = PostFactory(author=user)
    follow_create(follower=fan, followee=user)
    like_create(user=fan, post_id=post.pk)
    body = auth_client.get("/api/v1/notifications/").json()
    assert body["unread"] == 2
    assert [n["verb"] for n in body["results"]] == [Notification.Verb.LIKE, Notification.Verb.FOLLOW]
    like, follow = body["results"]
    assert like["actor"]["handle"] == fan.handle
    assert like["target"] == {"type": "feed.post", "id": post.pk}
    assert follow["target"] is None
    assert like["read"] is False
    assert like["text"]


def test_marking_notifications_read_clears_the_unread_count(user, auth_client):
    follow_create(follower=UserFactory(), followee=user)
    response = auth_client.post("/api/v1/notifications/read/")
    assert response.json() == {"marked": 1, "unread": 0}
    body = auth_client.get("/api/v1/notifications/").json()
    assert body["unread"] == 0
    assert body["results"][0]["read"] is True


def test_notifications_are_private(user, api_client):
    follow_create(follower=UserFactory(), followee=user)
    _assert_error(api_client.get("/api/v1/notifications/"), 401, "not_authenticated")
    _assert_error(api_client.post("/api/v1/notifications/read/"), 401, "not_authenticated")
    other = _client_for(UserFactory())
    assert other.get("/api/v1/notifications/").json() == {"results": [], "unread": 0}
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_a_notification_page_runs_a_fixed_number_of_queries(user, auth_client, django_assert_max_num_queries):
    post = PostFactory(author=user)
    for fan in UserFactory.create_batch(6):
        follow_create(follower=fan, followee=user)
        like_create(user=fan, post_id=post.pk)
    with django_assert_max_num_queries(2):
        assert len(auth_client.get("/api/v1/notifications/").json()["results"]) == 12


def test_dates_read_back_in_utc_iso_format(user, auth_client):
    follow_create(follower=UserFactory(), followee=user)
    created = auth_client.get("/api/v1/notifications/").json()["results"][0]["created_at"]
    assert created.endswith("Z")
    assert abs(dt.datetime.fromisoformat(created.replace("Z", "+00:00")) - timezone.now()) < dt.timedelta(minutes=1)
