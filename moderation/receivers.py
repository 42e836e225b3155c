"""What moderation does when something happens elsewhere (connected in `ModerationConfig.ready`)."""

from __future__ import annotations

from typing import Any

from config.signals import on_commit_send

from .models import ProtectedMedia
from .signals import bank_entry_added


def protected_media_saved_receiver(sender: type, *, instance: ProtectedMedia, created: bool, **kwargs: Any) -> None:
    """A new active bank entry: tell the owners of published media, once it is committed."""
    if created and instance.active and not kwargs.get("raw"):
        on_commit_send(bank_entry_added, sender=ProtectedMedia, entry=instance)
