"""Types for `request.user`: the signed-in `User`, or a viewer who may be anonymous."""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from rest_framework.request import Request

from .models import User

# Who looks at a page or calls the API: `request.user`, perhaps signed out.
Viewer: TypeAlias = User | AnonymousUser


def signed_in(request: HttpRequest | Request) -> User:
    """Return the signed-in user of `request`.

    For views that only signed-in users reach (`login_required`, DRF `IsAuthenticated`),
    where this never raises; should an anonymous request get there anyway, it is refused
    with `PermissionDenied` (403) rather than handed on as an `AnonymousUser`.
    """
    user = request.user
    if not user.is_authenticated:
        raise PermissionDenied
    return user


def signed_in_or_none(request: HttpRequest | Request) -> User | None:
    """Return the signed-in user of `request`, or None for an anonymous one.

    Only for callees that treat an anonymous viewer and None the same.
    """
    user = request.user
    return user if user.is_authenticated else None
