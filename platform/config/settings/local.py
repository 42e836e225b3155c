"""Settings for a developer's machine: `make run`."""

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
# Serve static files straight from the app folders: no collectstatic step between edits.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
