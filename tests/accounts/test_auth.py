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


def test_repeated_failures_lock_only_the_failing_address_on_that_handle(settings):
    settings.LOGIN_FAILURES_PER_IP_AND_HANDLE = 3
    user = UserFactory(handle="target")
    for _ in range(3):
        assert authenticate(_request(), username="target", password="guess") is None
    # The address that guessed is refused, even with the right password...
    assert authenticate(_request(), username="TARGET", password=PASSWORD) is None
    # ...but the owner, from an address that has not failed, logs in.
    assert authenticate(_request(ip="198.51.100.9"), username="TARGET", password=PASSWORD) == user
    other = UserFactory(handle="bystander")
    assert authenticate(_request(), username="bystander", password=PASSWORD) == other
    assert user.check_password(PASSWORD)


def test_eleven_anonymous_wrong_passwords_do_not_lock_the_owner_out():
    user = UserFactory(handle="owner")
    for _ in range(11):
        authenticate(_request(ip="203.0.113.66"), username="owner", password="guess")
    assert authenticate(_request(ip="203.0.113.66"), username="owner", password=PASSWORD) is None
    assert authenticate(_request(ip="198.51.100.20"), username="owner", password=PASSWORD) == user


def test_a_distributed_attack_stops_the_addresses_that_failed_but_never_a_clean_one(settings):
    settings.LOGIN_FAILURES_PER_HANDLE = 5
    user = UserFactory(handle="target")
    for n in range(5):
        authenticate(_request(ip=f"192.0.2.{n}"), username="target", password="guess")
    # Under attack, an address that already failed on this handle gets no further try...
    assert authenticate(_request(ip="192.0.2.1"), username="target", password=PASSWORD) is None
    # ...while the owner, from an address that has not failed, still logs in.
    assert authenticate(_request(ip="198.51.100.9"), username="target", password=PASSWORD) == user


def test_behind_a_trusted_proxy_the_lock_follows_the_forwarded_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    user = UserFactory(handle="owner")

    def via_proxy(client_ip):
        return RequestFactory().post("/login/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=client_ip)

    for _ in range(11):
        authenticate(via_proxy("203.0.113.66"), username="owner", password="guess")
    assert authenticate(via_proxy("203.0.113.66"), username="owner", password=PASSWORD) is None
    assert authenticate(via_proxy("198.51.100.20"), username="owner", password=PASSWORD) == user


def test_a_forged_forwarded_address_does_not_escape_the_lock(settings):
    UserFactory(handle="owner")
    for n in range(11):
        request = RequestFactory().post("/login/", REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
        authenticate(request, username="owner", password="guess")
    request = RequestFactory().post("/login/", REMOTE_ADDR="203.0.113.66", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert authenticate(request, username="owner", password=PASSWORD) is None


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
