"""Settings for the test suite: the same parts as production, faster hashing."""

import os
from pathlib import Path

from .base import *  # noqa: F403
from .base import BASE_DIR, REDIS_URL, REST_FRAMEWORK

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT") or BASE_DIR / "var" / f"test-media-{os.getpid()}")
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # A file, not memory: tests that start a real worker process share the database with it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "var" / f"test-db-{os.getpid()}.sqlite3")}  # noqa: F405
if REDIS_URL:
    # One key space per test process, so parallel runs never see each other's cache.
    CACHES["default"]["KEY_PREFIX"] = f"reel-test-{os.getpid()}"  # noqa: F405
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/minute", "user": "10000/minute", "writes": "10000/minute"},
}
# Clip checks run in the request, where a unit test sees them; the browser tests run them on
# their real worker (CAMEO_CLIP_CHECK_INLINE=false in their environment).
CAMEO_CLIP_CHECK_INLINE = env_bool("CAMEO_CLIP_CHECK_INLINE", True)  # noqa: F405
# Static files straight from the app folders, as in local development: no collectstatic step.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
