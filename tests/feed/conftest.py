"""Fixtures of the feed tests: a moderator, and jobs captured instead of sent (from
tests/support/renders.py) for the drafts that are posted."""

from __future__ import annotations

import pytest

from tests.moderation.test_cases import make_moderator
from tests.support.renders import sent_jobs  # noqa: F401


@pytest.fixture
def moderator(db):
    return make_moderator()
