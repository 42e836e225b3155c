"""Keyset pagination shared by every list the site pages: a page, and its signed cursor.

Pages are cut with keyset cursors, never offsets, so a page stays stable while new rows
arrive: a cursor remembers where the last page ended, and what comes after it is fixed. A
cursor is signed, so nobody can forge one, and names the list it belongs to, so the cursor
of one list is refused by another.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core import signing

# The salt predates this module (cursors were the feed's first); changing it would void
# every cursor a client holds.
CURSOR_SALT = "feed.cursor"


class InvalidCursor(ValueError):
    """The cursor given was not one this site made, or was made for another list."""


@dataclass
class Page:
    """A page of results and the cursor of the next one (None at the end)."""

    items: list[Any]
    next_cursor: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def cursor_encode(kind: str, **values: Any) -> str:
    """Return an opaque, tamper-proof cursor for a page of the list `kind`."""
    return signing.dumps({"k": kind, **values}, salt=CURSOR_SALT, compress=True)


def cursor_decode(kind: str, cursor: str | None) -> dict[str, Any] | None:
    """Return the values in `cursor`, None for the first page; raise InvalidCursor if forged."""
    if not cursor:
        return None
    try:
        values = signing.loads(cursor, salt=CURSOR_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidCursor("This cursor is not valid.") from None
    if not isinstance(values, dict) or values.get("k") != kind:
        raise InvalidCursor("This cursor belongs to another list.")
    return values
