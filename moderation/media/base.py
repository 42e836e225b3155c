"""The interface every media check implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

from .types import Finding, Frame, MediaContext


class CheckUnavailable(RuntimeError):
    """Raised by a check whose library, weights or data cannot be loaded here."""


class MediaCheck(ABC):
    """A swappable media check, chosen by dotted path in `MODERATION_MEDIA_CHECKS`.

    Subclasses take their options as keyword arguments, load heavy libraries lazily (and
    raise `CheckUnavailable` when they cannot), and return findings: the caller turns
    them, and any failure, into a decision.
    """

    name: ClassVar[str]
    # Checks that read the protected-media bank put its revision in the policy version.
    uses_bank: ClassVar[bool] = False

    def __init__(self, **options: Any) -> None:
        if options:
            raise TypeError(f"{type(self).__name__} takes no option {', '.join(sorted(options))}.")

    @abstractmethod
    def run(self, *, frames: Sequence[Frame], context: MediaContext) -> list[Finding]:
        """Return what this check sees in `frames`."""
