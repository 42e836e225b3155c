"""Rate limits: a counter per window, refused with 429 and Retry-After once spent."""

import pytest
from django.core.cache import cache

from config.throttling import AnonRateThrottle, window_hit


def test_window_counter_counts_and_keys_are_separate():
    assert [window_hit("probe:a", 60) for _ in range(3)] == [1, 2, 3]
    assert window_hit("probe:b", 60) == 1
    assert cache.get("probe:a") == 3


@pytest.mark.django_db
def test_visitors_are_refused_once_their_rate_is_spent(client, monkeypatch):
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": None})
    for _ in range(3):
        assert client.get("/api/v1/feed/for-you/").status_code == 200
    refused = client.get("/api/v1/feed/for-you/")
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 61
    # Another address has its own allowance.
    assert client.get("/api/v1/feed/for-you/", REMOTE_ADDR="198.51.100.7").status_code == 200


@pytest.mark.django_db
def test_a_forged_x_forwarded_for_from_an_untrusted_peer_is_ignored(client, monkeypatch, settings):
    settings.TRUSTED_PROXIES = []
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": None})
    for n in range(3):
        assert client.get("/api/v1/feed/for-you/", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code == 200
    assert client.get("/api/v1/feed/for-you/", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429


@pytest.mark.django_db
def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(client, monkeypatch, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/minute", "user": None})

    def via_proxy(chain):
        return client.get("/api/v1/feed/for-you/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=chain)

    # What the client wrote before the proxy's entry changes nothing.
    for n in range(3):
        assert via_proxy(f"192.0.2.{n}, 198.51.100.7").status_code == 200
    assert via_proxy("192.0.2.99, 198.51.100.7").status_code == 429
    assert via_proxy("198.51.100.8").status_code == 200
