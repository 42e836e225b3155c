"""Settings for a public deployment: secrets and hosts must come from the environment."""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
# HSTS for a year, subdomains included, and eligible for the browsers' preload list: a first
# visit over plain HTTP (or to a forgotten subdomain) cannot be downgraded. `check --deploy`
# reports no issue with these settings (tests/config/test_deploy.py).
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Static files under names that carry a hash of their content, compressed ahead of time: nginx
# serves them from STATIC_ROOT with a year's cache (deploy/nginx.conf). `manage.py
# collectstatic` must run at every deploy (docs/deploy.md); a name missing from its manifest
# is an error, not a stale file.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
