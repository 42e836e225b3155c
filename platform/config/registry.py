"""How an app asks a question that only an app to its right can answer.

Apps import only to their left (`accounts <- moderation <- cameo <- generation <- feed`), so
a lower app that needs something from a higher one inverts the dependency. Two mechanisms do
that, each for one purpose:

- **A signal tells.** The sender says that something happened ("a moderator decided this
  case", "consent for these uses is gone") and does not depend on who listens. Every app
  declares its signals, with their arguments, in its `signals.py`; receivers live in the
  listening app's `receivers.py` and are connected in its `AppConfig.ready()`.
- **A registry asks.** The lower app needs an answer to go on: "what post would this remix
  start from?", "who may see the subject of this report?", "what else does a profile page
  show?". It declares a `Registry` in its own module; the app that knows the
  answer registers a callable under a key in its `ready()`, and the lower app looks it up
  when it needs it. A question with no registered answer has a defined fallback in the
  asking app (the feature is off), never an import of the higher app.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class Registry(Generic[T]):
    """Answers to one question, by key, registered by the apps that can give them."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._entries: dict[str, T] = {}

    def __repr__(self) -> str:
        return f"<Registry {self.name}: {', '.join(sorted(self._entries)) or 'empty'}>"

    def register(self, key: str, answer: T) -> None:
        """Give `answer` under `key`; registering the same key again replaces it (tests do)."""
        self._entries[key] = answer

    def unregister(self, key: str) -> None:
        self._entries.pop(key, None)

    def get(self, key: str) -> T | None:
        """Return the answer under `key`, or None if no app gave one."""
        return self._entries.get(key)

    def keys(self) -> list[str]:
        return sorted(self._entries)

    def __iter__(self) -> Iterator[tuple[str, T]]:
        """Yield (key, answer) in key order."""
        return iter(sorted(self._entries.items()))

    def __contains__(self, key: object) -> bool:
        return key in self._entries
