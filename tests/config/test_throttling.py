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
