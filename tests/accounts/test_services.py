"""Sign-up, profiles, avatars, follows and blocks."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.models import Block, Follow, Notification, User
from accounts.selectors import followee_ids, hidden_author_ids
from accounts.services import (
    block_create,
    block_delete,
    follow_create,
    follow_delete,
    profile_update,
    user_signup,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ADULT = dt.date(1990, 1, 1)


def _image_upload(fmt="PNG", size=(800, 600), name="a.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 90)).save(out, format=fmt)
    return SimpleUploadedFile(name, out.getvalue(), content_type=f"image/{fmt.lower()}")


def test_signup_creates_a_user_who_can_log_in_by_handle_in_any_case():
    user = user_signup(handle="Zoe_B", email="zoe@example.org", password="sturdy-Pass-91", date_of_birth=ADULT)
    assert User.objects.get_by_natural_key("zoe_b") == user
    assert user.check_password("sturdy-Pass-91")


@pytest.mark.parametrize("taken", ["zoe", "ZOE", "Zoe"])
def test_handles_are_unique_whatever_their_case(taken):
    UserFactory(handle="zoe")
    with pytest.raises(ValidationError) as err:
        user_signup(handle=taken, email="x@example.org", password="sturdy-Pass-91", date_of_birth=ADULT)
    assert "handle" in err.value.message_dict
    assert User.objects.count() == 1


@pytest.mark.parametrize("handle", ["ab", "a" * 31, "has space", "dash-ed", ".dot", "dot.", "a..b", "admin", "émile", ""])
def test_invalid_or_reserved_handles_are_refused(handle):
    with pytest.raises(ValidationError) as err:
        user_signup(handle=handle, email="x@example.org", password="sturdy-Pass-91", date_of_birth=ADULT)
    assert "handle" in err.value.message_dict
    assert not User.objects.exists()


def test_the_platform_is_thirteen_plus():
    today = timezone.localdate()
    twelve = today.replace(year=today.year - 12)
    with pytest.raises(ValidationError) as err:
        user_signup(handle="kid", email="k@example.org", password="sturdy-Pass-91", date_of_birth=twelve)
    assert "date_of_birth" in err.value.message_dict
    thirteen = today.replace(year=today.year - 13)
    assert user_signup(handle="teen", email="t@example.org", password="sturdy-Pass-91", date_of_birth=thirteen)


def test_future_birth_dates_and_weak_passwords_are_refused():
    with pytest.raises(ValidationError) as err:
        user_signup(handle="later", email="l@example.org", password="sturdy-Pass-91",
                    date_of_birth=timezone.localdate() + dt.timedelta(days=1))
    assert "date_of_birth" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        user_signup(handle="weak", email="w@example.org", password="123", date_of_birth=ADULT)
    assert "password" in err.value.message_dict
    assert not User.objects.exists()


def test_signup_with_a_known_email_creates_nothing_and_returns_the_account_as_it_would_be():
    owner = UserFactory(email="taken@example.org", handle="owner")
    user = user_signup(
        handle="Probe_1", email="TAKEN@example.org", password="sturdy-Pass-91", date_of_birth=ADULT,
        display_name=" Probe ",
    )
    assert user.pk is None
    assert (user.handle, user.email, user.display_name, user.date_of_birth) == (
        "Probe_1", "TAKEN@example.org", "Probe", ADULT,
    )
    assert list(User.objects.all()) == [owner]
    owner.refresh_from_db()
    assert owner.handle == "owner"
    assert not owner.check_password("sturdy-Pass-91")


def test_signup_with_a_known_email_still_checks_every_other_field():
    UserFactory(email="taken@example.org", handle="owner")
    with pytest.raises(ValidationError) as err:
        user_signup(handle="owner", email="taken@example.org", password="123", date_of_birth=ADULT)
    assert set(err.value.message_dict) == {"handle"}
    with pytest.raises(ValidationError) as err:
        user_signup(handle="probe", email="taken@example.org", password="123", date_of_birth=ADULT)
    assert set(err.value.message_dict) == {"password"}
    assert User.objects.count() == 1


def test_avatar_is_cropped_square_resized_and_reencoded(user):
    profile_update(user=user, avatar=_image_upload(size=(1600, 900)))
    user.refresh_from_db()
    with user.avatar.open("rb") as handle:
        image = Image.open(handle)
        assert image.format == "WEBP"
        assert image.size == (512, 512)


def test_replacing_an_avatar_deletes_the_old_file(user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        profile_update(user=user, avatar=_image_upload())
    first = user.avatar.name
    with django_capture_on_commit_callbacks(execute=True):
        profile_update(user=user, avatar=_image_upload(fmt="JPEG", name="b.jpg"))
    assert user.avatar.name != first
    assert not user.avatar.storage.exists(first)


def test_non_image_avatar_is_refused_and_nothing_changes(user):
    upload = SimpleUploadedFile("evil.png", b"<?php echo 'hi'; ?>", content_type="image/png")
    with pytest.raises(ValidationError) as err:
        profile_update(user=user, display_name="New name", avatar=upload)
    assert "avatar" in err.value.message_dict
    user.refresh_from_db()
    assert user.display_name != "New name" and not user.avatar


def test_oversized_avatar_is_refused_before_decoding(user, settings):
    settings.AVATAR_MAX_BYTES = 10_000
    with pytest.raises(ValidationError) as err:
        profile_update(user=user, avatar=_image_upload(fmt="BMP", size=(200, 200), name="big.bmp"))
    assert "avatar" in err.value.message_dict


def test_too_many_pixels_and_decompression_bombs_are_refused(user, settings):
    settings.AVATAR_MAX_PIXELS = 1_000_000
    # A 4000x4000 single-colour PNG is tiny on disk but 16 megapixels once decoded.
    bomb = _image_upload(size=(4000, 4000), name="bomb.png")
    assert bomb.size < 100_000
    with pytest.raises(ValidationError) as err:
        profile_update(user=user, avatar=bomb)
    assert "avatar" in err.value.message_dict
    assert not User.objects.get(pk=user.pk).avatar


def test_unsupported_image_types_are_refused(user):
    with pytest.raises(ValidationError):
        profile_update(user=user, avatar=_image_upload(fmt="TIFF", name="a.tiff"))


def test_follow_is_idempotent_and_counts_stay_exact(user, other_user):
    assert follow_create(follower=user, followee=other_user) is True
    assert follow_create(follower=user, followee=other_user) is False
    user.refresh_from_db()
    other_user.refresh_from_db()
    assert (user.following_count, other_user.follower_count) == (1, 1)
    assert Notification.objects.filter(recipient=other_user, verb="follow").count() == 1
    assert follow_delete(follower=user, followee=other_user) is True
    assert follow_delete(follower=user, followee=other_user) is False
    user.refresh_from_db()
    other_user.refresh_from_db()
    assert (user.following_count, other_user.follower_count) == (0, 0)


def test_nobody_follows_themselves(user):
    with pytest.raises(ValidationError):
        follow_create(follower=user, followee=user)
    assert not Follow.objects.exists()


def test_blocking_ends_follows_both_ways_and_stops_new_ones(user, other_user, django_capture_on_commit_callbacks):
    follow_create(follower=other_user, followee=user)
    follow_create(follower=user, followee=other_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert block_create(blocker=user, blocked=other_user) is True
    assert block_create(blocker=user, blocked=other_user) is False
    assert not Follow.objects.exists()
    with pytest.raises(ValidationError):
        follow_create(follower=other_user, followee=user)
    with pytest.raises(ValidationError):
        follow_create(follower=user, followee=other_user)
    user.refresh_from_db()
    assert (user.follower_count, user.following_count) == (0, 0)
    assert hidden_author_ids(user=user) == {other_user.pk}
    assert hidden_author_ids(user=other_user) == {user.pk}


def test_unblocking_lets_them_follow_again(user, other_user, django_capture_on_commit_callbacks):
    block_create(blocker=user, blocked=other_user)
    with django_capture_on_commit_callbacks(execute=True):
        assert block_delete(blocker=user, blocked=other_user) is True
    assert not Block.objects.exists()
    assert hidden_author_ids(user=user) == frozenset()
    assert follow_create(follower=other_user, followee=user) is True


def test_cached_follow_set_follows_changes(user, other_user, django_capture_on_commit_callbacks):
    assert followee_ids(user=user) == frozenset()
    with django_capture_on_commit_callbacks(execute=True):
        follow_create(follower=user, followee=other_user)
    assert followee_ids(user=user) == {other_user.pk}
    with django_capture_on_commit_callbacks(execute=True):
        follow_delete(follower=user, followee=other_user)
    assert followee_ids(user=user) == frozenset()
