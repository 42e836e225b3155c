"""Log-in by handle in any case, with a lock after repeated failures."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


def _client_ip(request: HttpRequest | None) -> str:
    if request is None:
        return "-"
    return request.META.get("REMOTE_ADDR", "-")


def _keys(request: HttpRequest | None, handle: str | None) -> list[str]:
    handle = (handle or "").strip().lstrip("@").lower()
    return [f"login-fail:handle:{handle}", f"login-fail:ip:{_client_ip(request)}"]


def login_locked(request: HttpRequest | None, handle: str | None) -> bool:
    """Return whether too many recent failures lock log-ins for this handle or address."""
    limits = (settings.LOGIN_FAILURES_PER_HANDLE, settings.LOGIN_FAILURES_PER_IP)
    counts = cache.get_many(_keys(request, handle))
    return any(counts.get(key, 0) >= limit for key, limit in zip(_keys(request, handle), limits, strict=True))


def login_failure_record(request: HttpRequest | None, handle: str | None) -> None:
    """Count a failed log-in against the handle and the address, for the lock window."""
    for key in _keys(request, handle):
        cache.add(key, 0, settings.LOGIN_LOCK_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, settings.LOGIN_LOCK_SECONDS)


USER_CACHE_SECONDS = 300


class HandleBackend(ModelBackend):
    """Authenticate by handle (any case) and password, refusing while locked.

    The user row behind a session is cached between requests (it is read on every one);
    any save or delete of a user, and every counter update, drops it.
    """

    def get_user(self, user_id):
        from .services import user_cache_key

        key = user_cache_key(user_id)
        user = cache.get(key)
        if user is None:
            user = super().get_user(user_id)
            if user is not None:
                cache.set(key, user, USER_CACHE_SECONDS)
        elif not self.user_can_authenticate(user):
            return None
        return user

    def authenticate(self, request, username=None, password=None, **kwargs):
        handle = username if username is not None else kwargs.get("handle")
        if login_locked(request, handle):
            # PermissionDenied stops every backend: a locked account is not tried further.
            raise PermissionDenied("Too many failed log-ins; try again later.")
        return super().authenticate(request, username=handle, password=password, **kwargs)
