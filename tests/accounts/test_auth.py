"""Log-in by handle, and the lock after repeated failures."""

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory

from tests.conftest import PASSWORD
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _request(ip="203.0.113.5"):
    return RequestFactory().post("/login/", REMOTE_ADDR=ip)


def test_log_in_by_handle_in_any_case():
    user = UserFactory(handle="Marie_C")
    assert authenticate(_request(), username="marie_c", password=PASSWORD) == user
    assert authenticate(_request(), username="MARIE_C", password=PASSWORD) == user
    assert authenticate(_request(), username="marie_c", password="wrong") is None


def test_repeated_failures_lock_the_handle_even_with_the_right_password(settings):
    settings.LOGIN_FAILURES_PER_HANDLE = 3
    user = UserFactory(handle="target")
    for _ in range(3):
        assert authenticate(_request(), username="target", password="guess") is None
    assert authenticate(_request(ip="198.51.100.9"), username="TARGET", password=PASSWORD) is None
    other = UserFactory(handle="bystander")
    assert authenticate(_request(), username="bystander", password=PASSWORD) == other
    assert user.check_password(PASSWORD)


def test_one_address_failing_on_many_handles_is_locked(settings):
    settings.LOGIN_FAILURES_PER_IP = 4
    UserFactory(handle="victim")
    for n in range(4):
        authenticate(_request(ip="192.0.2.1"), username=f"nobody{n}", password="x")
    assert authenticate(_request(ip="192.0.2.1"), username="victim", password=PASSWORD) is None
    assert authenticate(_request(ip="192.0.2.2"), username="victim", password=PASSWORD) is not None


def test_session_user_is_cached_and_dropped_when_it_changes(client, django_assert_num_queries, django_capture_on_commit_callbacks):
    from accounts.auth_backends import HandleBackend

    user = UserFactory(handle="cached")
    backend = HandleBackend()
    assert backend.get_user(user.pk) == user
    with django_assert_num_queries(0):
        assert backend.get_user(user.pk).handle == "cached"
    with django_capture_on_commit_callbacks(execute=True):
        user.display_name = "Renamed"
        user.save(update_fields=["display_name"])
    assert backend.get_user(user.pk).display_name == "Renamed"
    with django_capture_on_commit_callbacks(execute=True):
        user.is_active = False
        user.save(update_fields=["is_active"])
    assert backend.get_user(user.pk) is None


def test_counter_updates_drop_the_cached_user(django_capture_on_commit_callbacks):
    from accounts.auth_backends import HandleBackend
    from accounts.services import follow_create

    user, other = UserFactory(), UserFactory()
    backend = HandleBackend()
    assert backend.get_user(user.pk).following_count == 0
    with django_capture_on_commit_callbacks(execute=True):
        follow_create(follower=user, followee=other)
    assert backend.get_user(user.pk).following_count == 1
