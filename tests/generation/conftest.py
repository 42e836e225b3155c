"""Fixtures of the generation tests: jobs captured instead of sent, a toy-sized model.

They live in tests/support/renders.py, shared with the feed's and cameo's tests that render a
job or check its output. The people with cameos come from tests/cameo/conftest.py, for the
jobs that use a cameo.
"""

from __future__ import annotations

from tests.cameo.conftest import alice, bob, moderator  # noqa: F401
from tests.support.renders import _small_renders, sent_jobs  # noqa: F401
