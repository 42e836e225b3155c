"""Log-in by handle in any case, and the limits on failed log-ins.

Failures are counted in fixed windows of LOGIN_LOCK_SECONDS (15 minutes; counters from
`config.throttling`, one round trip on Redis), by the client's address as
`config.network.client_address` finds it, under three keys:

- **address and handle** (LOGIN_FAILURES_PER_IP_AND_HANDLE, 10): what one address may guess
  at one account. Once spent, that address is refused on that handle, right password
  included, until the window ends.
- **address** (LOGIN_FAILURES_PER_IP, 50): one address trying many handles.
- **handle** (LOGIN_FAILURES_PER_HANDLE, 100): the guard against guessing spread over many
  addresses. It never refuses an address on its own count: past it, an address that has
  already failed on this handle in this window is refused, so each further address of a
  botnet gets one guess and no more.

Why not lock the handle itself, as this module once did: a lock by handle is a lock that
anyone can put on anyone, eleven wrong passwords and the owner is out. So a refusal always
needs failures from the address being refused, and the owner, logging in from an address
that has not failed, is never stopped by what others did. The costs, accepted: an owner who
mistypes while their handle is under a spread attack waits for the window to end (or uses
another network); at a window's edge up to twice an allowance may get through; every IPv6
address counts apart, so an attacker holding a whole /64 has many addresses.

Handles are counted as typed (without `@`, in lower case), whether or not they exist, so a
refusal says nothing about who has an account. The web form and the token endpoint check
`login_lock_remaining` first, to say "try again later" rather than "wrong password".
"""

from __future__ import annotations

import hashlib
import time

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from config.network import client_address
from config.throttling import window_hits

LOCKED_MESSAGE = _("Too many failed log-ins. Try again later.")


def _window() -> tuple[int, float]:
    """Return the current window's number and the seconds left in it."""
    seconds = settings.LOGIN_LOCK_SECONDS
    now = time.time()
    number = int(now // seconds)
    return number, (number + 1) * seconds - now


def _keys(request: HttpRequest | None, handle: str | None, window: int) -> tuple[str, str, str]:
    """Return the counters of (address and handle, address, handle) in `window`."""
    # Hashed: what was typed may be anything, of any length, and a cache key must not be.
    typed = (handle or "").strip().lstrip("@").lower()
    handle = hashlib.blake2b(typed.encode(errors="surrogatepass"), digest_size=16).hexdigest()
    address = client_address(request) if request is not None else "-"
    return (
        f"login-fail:ip-handle:{address}:{handle}:{window}",
        f"login-fail:ip:{address}:{window}",
        f"login-fail:handle:{handle}:{window}",
    )


def login_lock_remaining(request: HttpRequest | None, handle: str | None) -> float | None:
    """Return the seconds until this address may try this handle again; None if it may now."""
    window, left = _window()
    pair_key, address_key, handle_key = _keys(request, handle, window)
    counts = cache.get_many([pair_key, address_key, handle_key])
    pair, address, spread = (int(counts.get(key, 0)) for key in (pair_key, address_key, handle_key))
    locked = (
        pair >= settings.LOGIN_FAILURES_PER_IP_AND_HANDLE
        or address >= settings.LOGIN_FAILURES_PER_IP
        or (spread >= settings.LOGIN_FAILURES_PER_HANDLE and pair > 0)
    )
    return max(left, 1.0) if locked else None


def login_locked(request: HttpRequest | None, handle: str | None) -> bool:
    """Return whether recent failures from this address refuse its log-ins as this handle."""
    return login_lock_remaining(request, handle) is not None


def login_failure_record(request: HttpRequest | None, handle: str | None) -> None:
    """Count a failed log-in against the address and handle, the address, and the handle."""
    window, _left = _window()
    lifetime = settings.LOGIN_LOCK_SECONDS + 1
    window_hits([(key, lifetime) for key in _keys(request, handle, window)])


USER_CACHE_SECONDS = 300


class HandleBackend(ModelBackend):
    """Authenticate by handle (any case) and password, refusing an address locked out of it.

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
            # PermissionDenied stops every backend: a locked-out address is not tried further.
            raise PermissionDenied(str(LOCKED_MESSAGE))
        return super().authenticate(request, username=handle, password=password, **kwargs)
