"""The web pages about people: sign-up, log-in, profiles, settings and notifications."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.contrib.auth import SESSION_KEY
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from accounts.models import Block, Follow, Notification, User
from accounts.services import block_create, follow_create
from feed.models import Post
from feed.services import like_create
from tests.conftest import PASSWORD
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db

STRONG = "Zebra-Lantern-93"


def _signup_data(**overrides) -> dict[str, str]:
    data = {
        "handle": "newcomer",
        "email": "newcomer@example.org",
        "date_of_birth": "2000-02-29",
        "password1": STRONG,
        "password2": STRONG,
    }
    data.update(overrides)
    return data


def _png(size: tuple[int, int] = (40, 40), noise: bool = False) -> bytes:
    image = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, (200, 40, 90))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _errors(response, field: str) -> list[str]:
    return list(response.context["form"].errors.get(field, []))


# ---------- Sign-up ----------


def test_signup_page_renders_every_field(client):
    response = client.get(reverse("accounts:signup"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("handle", "email", "date_of_birth", "password1", "password2"):
        assert f'name="{name}"' in html
    assert 'type="date"' in html


def test_signup_creates_the_account_then_asks_to_log_in(client):
    response = client.post(reverse("accounts:signup"), _signup_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:login") + "?handle=newcomer"
    user = User.objects.get(handle="newcomer")
    assert user.email == "newcomer@example.org"
    assert user.date_of_birth == dt.date(2000, 2, 29)
    assert user.check_password(STRONG)
    assert SESSION_KEY not in client.session
    page = client.get(response["Location"]).content.decode()
    assert "Your account is ready, @newcomer. Log in to start." in page
    assert 'value="newcomer"' in page
    response = client.post(response["Location"], {"username": "newcomer", "password": STRONG})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


def test_signup_carries_a_safe_next_address_only_to_the_log_in(client):
    response = client.post(reverse("accounts:signup"), _signup_data(next="/v/12/"))
    assert response["Location"] == reverse("accounts:login") + "?handle=newcomer&next=%2Fv%2F12%2F"
    page = client.get(response["Location"]).content.decode()
    assert 'name="next" value="/v/12/"' in page
    response = client.post(
        reverse("accounts:signup"), _signup_data(handle="second", email="second@example.org", next="https://evil.example/")
    )
    assert response["Location"] == reverse("accounts:login") + "?handle=second"


def test_signup_with_a_known_email_looks_exactly_like_a_new_account(client):
    owner = UserFactory(email="taken@example.org")
    fresh = client.post(reverse("accounts:signup"), _signup_data(handle="fresh_one", email="fresh@example.org"))
    prober = Client()
    known = prober.post(reverse("accounts:signup"), _signup_data(handle="probe_one", email="TAKEN@example.org"))
    assert known.status_code == fresh.status_code == 302
    assert known["Location"] == fresh["Location"].replace("fresh_one", "probe_one")
    assert SESSION_KEY not in prober.session
    assert sorted(known.cookies) == sorted(fresh.cookies)
    page = prober.get(known["Location"]).content.decode()
    assert "Your account is ready, @probe_one. Log in to start." in page
    assert "already" not in page
    # No second account, and the owner's is untouched.
    assert User.objects.filter(email__iexact="taken@example.org").get() == owner
    assert not User.objects.filter(handle="probe_one").exists()


def test_signup_refuses_a_handle_taken_in_another_case(client):
    UserFactory(handle="Sunny")
    response = client.post(reverse("accounts:signup"), _signup_data(handle="sUNNY"))
    assert response.status_code == 200
    assert _errors(response, "handle") == ["This handle is already taken."]
    assert "This handle is already taken." in response.content.decode()
    assert not User.objects.filter(handle="sUNNY").exists()
    assert SESSION_KEY not in client.session


@pytest.mark.parametrize("handle", ["ab", "has space", "émile", "trailing.", "two..dots", "admin"])
def test_signup_refuses_an_invalid_handle(client, handle):
    response = client.post(reverse("accounts:signup"), _signup_data(handle=handle))
    assert response.status_code == 200
    assert _errors(response, "handle")
    assert User.objects.count() == 0


def test_signup_refuses_someone_under_13(client):
    birthday = timezone.localdate().replace(year=timezone.localdate().year - 12)
    response = client.post(reverse("accounts:signup"), _signup_data(date_of_birth=birthday.isoformat()))
    assert response.status_code == 200
    assert _errors(response, "date_of_birth") == ["You must be at least 13 years old to join."]
    assert User.objects.count() == 0


def test_signup_refuses_a_date_that_is_not_a_date(client):
    response = client.post(reverse("accounts:signup"), _signup_data(date_of_birth="not-a-date"))
    assert _errors(response, "date_of_birth")
    assert User.objects.count() == 0


@pytest.mark.parametrize("password", ["12345678", "password", "short1!", "newcomer123"])
def test_signup_refuses_a_weak_password(client, password):
    response = client.post(reverse("accounts:signup"), _signup_data(password1=password, password2=password))
    assert response.status_code == 200
    assert _errors(response, "password1")
    assert User.objects.count() == 0


def test_signup_refuses_two_different_passwords(client):
    response = client.post(reverse("accounts:signup"), _signup_data(password2=STRONG + "x"))
    assert _errors(response, "password2") == ["The two passwords are not the same."]
    assert User.objects.count() == 0


def test_signup_sends_people_already_logged_in_to_the_feed(client, user):
    client.force_login(user)
    response = client.get(reverse("accounts:signup"))
    assert response.status_code == 302


# ---------- Log-in and log-out ----------


@pytest.mark.parametrize("typed", ["river.song", "RIVER.SONG", "River.Song", "@river.song", "  river.song "])
def test_login_by_handle_in_any_case(client, typed):
    user = UserFactory(handle="River.Song")
    response = client.post(reverse("accounts:login"), {"username": typed, "password": PASSWORD})
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(user.pk)


def test_login_with_a_wrong_password_explains_and_keeps_the_person_out(client, user):
    response = client.post(reverse("accounts:login"), {"username": user.handle, "password": "wrong"})
    assert response.status_code == 200
    assert "This handle and password do not match." in response.content.decode()
    assert SESSION_KEY not in client.session


def test_login_goes_to_the_next_address(client, user):
    response = client.post(
        reverse("accounts:login") + "?next=/following/",
        {"username": user.handle, "password": PASSWORD, "next": "/following/"},
    )
    assert response["Location"] == "/following/"


def test_a_strangers_wrong_passwords_do_not_lock_the_owner_out_of_the_log_in_form(client):
    owner = UserFactory(handle="owner")
    stranger = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(11):
        stranger.post(reverse("accounts:login"), {"username": "owner", "password": "guess"})
    refused = stranger.post(reverse("accounts:login"), {"username": "owner", "password": PASSWORD})
    assert refused.status_code == 200
    assert "Too many failed log-ins. Try again later." in refused.content.decode()
    assert SESSION_KEY not in stranger.session
    response = client.post(
        reverse("accounts:login"), {"username": "owner", "password": PASSWORD}, REMOTE_ADDR="198.51.100.20"
    )
    assert response.status_code == 302
    assert client.session[SESSION_KEY] == str(owner.pk)


def test_logout_needs_a_post(client, user):
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert SESSION_KEY in client.session
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert SESSION_KEY not in client.session


# ---------- Profiles ----------


def test_profile_shows_the_person_and_their_videos_to_visitors(client):
    person = UserFactory(handle="maker", display_name="Mia Maker", bio="I film <b>clouds</b>")
    PostFactory(author=person, caption="Cloud one")
    PostFactory(author=person, caption="Cloud two")
    PostFactory(author=person, caption="Secret draft", state=Post.State.PENDING_REVIEW)
    response = client.get(reverse("accounts:profile", kwargs={"handle": "maker"}))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Mia Maker" in html and "@maker" in html
    assert "I film &lt;b&gt;clouds&lt;/b&gt;" in html
    assert "Cloud one" in html and "Cloud two" in html
    assert "Secret draft" not in html
    assert [p.caption for p in response.context["posts"]] == ["Cloud two", "Cloud one"]
    assert 'name="action" value="follow"' in html


def test_profile_handle_is_case_insensitive(client):
    UserFactory(handle="maker")
    assert client.get("/@MAKER/").status_code == 200


def test_profile_of_an_unknown_person_is_not_found(client):
    assert client.get("/@nobody_here/").status_code == 404


def test_own_profile_offers_to_edit_it(client, user):
    client.force_login(user)
    html = client.get(user.get_absolute_url()).content.decode()
    assert reverse("accounts:settings_profile") in html
    assert 'value="block"' not in html


def test_profile_of_someone_who_blocked_the_viewer_is_not_found(client, user, other_user):
    block_create(blocker=other_user, blocked=user)
    client.force_login(user)
    assert client.get(other_user.get_absolute_url()).status_code == 404


def test_profile_of_someone_the_viewer_blocked_offers_to_unblock(client, user, other_user):
    PostFactory(author=other_user, caption="Hidden clip")
    block_create(blocker=user, blocked=other_user)
    client.force_login(user)
    response = client.get(other_user.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="unblock"' in html
    assert "Hidden clip" not in html


def test_follow_and_unfollow_with_the_profile_form(client, user, other_user):
    client.force_login(user)
    url = reverse("accounts:follow", kwargs={"handle": other_user.handle})
    response = client.post(url, {"action": "follow"})
    assert response.status_code == 302
    assert Follow.objects.filter(follower=user, followee=other_user).exists()
    html = client.get(other_user.get_absolute_url()).content.decode()
    assert 'value="unfollow"' in html
    client.post(url, {"action": "unfollow"})
    assert not Follow.objects.filter(follower=user, followee=other_user).exists()


def test_following_needs_a_login(client, other_user):
    url = reverse("accounts:follow", kwargs={"handle": other_user.handle})
    response = client.post(url, {"action": "follow"})
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]
    assert Follow.objects.count() == 0


def test_block_then_unblock(client, user, other_user):
    follow_create(follower=user, followee=other_user)
    client.force_login(user)
    url = reverse("accounts:block", kwargs={"handle": other_user.handle})
    response = client.post(url, {"action": "block"})
    assert response["Location"] == reverse("accounts:settings_blocked")
    assert Block.objects.filter(blocker=user, blocked=other_user).exists()
    assert not Follow.objects.filter(follower=user, followee=other_user).exists()
    listing = client.get(reverse("accounts:settings_blocked")).content.decode()
    assert f"@{other_user.handle}" in listing
    client.post(url, {"action": "unblock"})
    assert not Block.objects.exists()
    assert client.get(other_user.get_absolute_url()).status_code == 200


def test_blocking_oneself_is_refused_politely(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:block", kwargs={"handle": user.handle}), {"action": "block"}, follow=True)
    assert "You cannot block yourself." in response.content.decode()
    assert not Block.objects.exists()


# ---------- Settings ----------


def test_settings_need_a_login(client):
    for name in ("settings_profile", "settings_password", "settings_blocked", "notifications"):
        response = client.get(reverse(f"accounts:{name}"))
        assert response.status_code == 302
        assert reverse("accounts:login") in response["Location"]


def test_profile_edit_saves_name_bio_and_avatar(client, user):
    client.force_login(user)
    avatar = SimpleUploadedFile("me.png", _png(), content_type="image/png")
    response = client.post(
        reverse("accounts:settings_profile"),
        {"display_name": "  New Name ", "bio": "Hello there", "avatar": avatar},
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "New Name"
    assert user.bio == "Hello there"
    assert user.avatar.name.endswith(".webp")
    html = client.get(user.get_absolute_url()).content.decode()
    assert user.avatar.url in html


def test_profile_edit_with_a_file_that_is_not_an_image_changes_nothing(client, user):
    client.force_login(user)
    before = (user.display_name, user.bio, user.avatar.name)
    fake = SimpleUploadedFile("me.png", b"this is not a picture at all", content_type="image/png")
    response = client.post(
        reverse("accounts:settings_profile"), {"display_name": "Changed", "bio": "Changed", "avatar": fake}
    )
    assert response.status_code == 200
    assert _errors(response, "avatar") == ["Upload a valid image file."]
    html = response.content.decode()
    assert "Upload a valid image file." in html
    assert "Your profile was not saved." in html
    user.refresh_from_db()
    assert (user.display_name, user.bio, user.avatar.name) == before


def test_profile_edit_with_an_oversized_avatar_changes_nothing(client, user, settings):
    settings.AVATAR_MAX_BYTES = 2 * 1024
    client.force_login(user)
    before = (user.display_name, user.bio, user.avatar.name)
    big = SimpleUploadedFile("big.png", _png((96, 96), noise=True), content_type="image/png")
    assert big.size > settings.AVATAR_MAX_BYTES
    response = client.post(
        reverse("accounts:settings_profile"), {"display_name": "Changed", "bio": "", "avatar": big}
    )
    assert response.status_code == 200
    assert _errors(response, "avatar") and "too large" in _errors(response, "avatar")[0]
    user.refresh_from_db()
    assert (user.display_name, user.bio, user.avatar.name) == before
    assert response.context["user"].display_name == before[0]


def test_profile_edit_refuses_a_too_long_bio(client, user):
    client.force_login(user)
    response = client.post(reverse("accounts:settings_profile"), {"display_name": "", "bio": "x" * 301})
    assert _errors(response, "bio")
    user.refresh_from_db()
    assert user.bio == ""


def test_password_change(client, user):
    client.force_login(user)
    url = reverse("accounts:settings_password")
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"old_password": PASSWORD, "new_password1": STRONG, "new_password2": STRONG}, follow=True
    )
    assert "Your password was changed." in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(STRONG)
    assert SESSION_KEY in client.session


def test_password_change_with_a_wrong_old_password(client, user):
    client.force_login(user)
    response = client.post(
        reverse("accounts:settings_password"),
        {"old_password": "nope", "new_password1": STRONG, "new_password2": STRONG},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["old_password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


# ---------- Notifications ----------


def test_notifications_list_and_mark_read(client, user, other_user):
    post = PostFactory(author=user, caption="Mine")
    like_create(user=other_user, post_id=post.pk)
    follow_create(follower=other_user, followee=user)
    client.force_login(user)
    response = client.get(reverse("accounts:notifications"))
    html = response.content.decode()
    assert "liked your video" in html and "followed you" in html
    assert reverse("feed:post", kwargs={"post_id": post.pk}) in html
    assert html.count("notif--unread") == 2
    client.post(reverse("accounts:notifications"))
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True).exists()


def test_notifications_page_has_no_query_per_notification(client, user, django_assert_max_num_queries):
    for _ in range(8):
        follow_create(follower=UserFactory(), followee=user)
    client.force_login(user)
    with django_assert_max_num_queries(6):
        client.get(reverse("accounts:notifications"))


# ---------- Languages ----------


def test_signup_page_in_french(client):
    html = client.get(reverse("accounts:signup"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="fr">' in html
    assert "Créer votre compte" in html
    assert "Date de naissance" in html


def test_service_errors_are_translated(client):
    UserFactory(handle="sunny")
    response = client.post(reverse("accounts:signup"), _signup_data(handle="SUNNY"), HTTP_ACCEPT_LANGUAGE="fr")
    assert "Cet identifiant est déjà pris." in response.content.decode()
