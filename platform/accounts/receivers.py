"""What accounts does when something happens (connected in `AccountsConfig.ready`): a failed
log-in counts towards the lock-out, and a changed user drops its cached row."""

from __future__ import annotations

from typing import Any

from .auth_backends import login_failure_record
from .models import User
from .services import user_cache_forget


def login_failed_receiver(sender: Any, *, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    """Count the failure towards the limits on this address and handle (see auth_backends)."""
    login_failure_record(request, credentials.get("username") or credentials.get("handle"))


def user_changed_receiver(sender: type, *, instance: User, **kwargs: Any) -> None:
    """Drop the cached row of a user who was saved or deleted."""
    user_cache_forget(instance.pk)
