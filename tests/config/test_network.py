"""The client's address: X-Forwarded-For is believed only when a trusted proxy sent it."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from config.network import client_address


def _request(remote: str, forwarded: str | None = None):
    extra = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_peer_is_the_client(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(_request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"
    assert client_address(_request("203.0.113.5")) == "203.0.113.5"


def test_an_untrusted_peer_cannot_forge_its_address(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("203.0.113.5", "10.0.0.1, 198.51.100.1")) == "203.0.113.5"


def test_behind_trusted_proxies_the_right_most_untrusted_hop_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.7"]
    # The client wrote the left-most entries itself; the proxies appended the rest.
    request = _request("10.0.0.2", "6.6.6.6, 198.51.100.1, 192.0.2.7, 10.9.9.9")
    assert client_address(request) == "198.51.100.1"
    assert client_address(_request("192.0.2.7", "198.51.100.2")) == "198.51.100.2"


def test_a_trusted_proxy_without_a_forwarded_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("10.0.0.2")) == "10.0.0.2"
    # Every hop trusted: the left-most is as far back as the chain goes.
    assert client_address(_request("10.0.0.2", "10.0.0.9, 10.0.0.3")) == "10.0.0.9"


def test_garbage_in_the_chain_stops_at_the_last_trusted_hop(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(_request("10.0.0.2", "198.51.100.1, not-an-ip, 10.0.0.3")) == "10.0.0.3"
    assert client_address(_request("10.0.0.2", "not-an-ip")) == "10.0.0.2"


def test_addresses_are_written_one_way(settings):
    settings.TRUSTED_PROXIES = ["2001:db8::/32"]
    assert client_address(_request("2001:db8::1", "2001:DB8:0:0:1::5")) == "2001:db8::1:0:0:5"
    assert client_address(_request("::ffff:203.0.113.5")) == "203.0.113.5"


def test_a_malformed_setting_is_refused(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8", "proxy.example"]
    with pytest.raises(ImproperlyConfigured):
        client_address(_request("10.0.0.2", "198.51.100.1"))
