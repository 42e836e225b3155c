"""Fixtures shared by the whole suite."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection
from rest_framework.test import APIClient

from .factories import UserFactory
from .support.s3 import s3_bucket, s3_endpoint, s3_media  # noqa: F401 - media on S3, for the tests that ask

PASSWORD = "a-Strong-pass-42"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Give each test its own media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Start each test with an empty cache, so cached follow and block sets never leak."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def other_user(db):
    return UserFactory()


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def auth_client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture
def postgres_only(db):
    if not is_postgres():
        pytest.skip("needs PostgreSQL: CI runs it with DATABASE_URL set")
