"""What media checks take in and hand back: frames, findings and the verdict."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np

# One decision type for the whole policy: text and media verdicts combine.
from moderation.policy.verdict import Decision


class Category(StrEnum):
    """Why a finding matters to the policy."""

    FACE = "face"
    PUBLIC_FIGURE = "public_figure"
    COPYRIGHT = "copyright"
    MINOR = "minor"
    NUDITY = "nudity"


@dataclass(frozen=True, eq=False)
class Frame:
    """One RGB picture to check: an image, or a frame sampled from a video.

    `index` is the frame's position in its source (0 for a still image) and `time` its
    presentation time in seconds (None for a still image).
    """

    index: int
    time: float | None
    image: np.ndarray
    # Checks that share an expensive step (such as finding faces with dlib) memoise it
    # here, so it runs once per frame and is dropped with the frame.
    cache: dict[Hashable, Any] = field(default_factory=dict, repr=False)

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


@dataclass(frozen=True)
class MediaContext:
    """Where the media comes from, for logs, evidence and checks that care.

    `source` says what the media is ("upload", "output", "cameo", "bank"...) and
    `subject` names the object it belongs to ("generation.job:42").
    """

    source: str = "upload"
    subject: str = ""
    user_id: int | None = None


@dataclass(frozen=True)
class Finding:
    """Something a check saw, the rule it falls under and what it asks for."""

    check: str
    category: str
    rule: str
    action: Decision
    score: float | None = None
    frame_index: int | None = None
    time: float | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the finding as JSON-ready data."""
        return {
            "check": self.check,
            "category": self.category,
            "rule": self.rule,
            "action": self.action.value,
            "score": self.score,
            "frame_index": self.frame_index,
            "time": self.time,
            "evidence": dict(self.evidence),
        }


@dataclass(frozen=True)
class CheckFailure:
    """A check that could not give an answer, so the media cannot be cleared by it.

    `kind` is "unavailable" (not installed, cannot load its weights or data),
    "misconfigured" (bad setting) or "error" (raised while running).
    """

    check: str
    kind: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        """Return the failure as JSON-ready data."""
        return {"check": self.check, "kind": self.kind, "reason": self.reason}


@dataclass(frozen=True)
class MediaVerdict:
    """The outcome of checking one image or video."""

    decision: Decision
    findings: tuple[Finding, ...]
    checks_run: tuple[str, ...]
    checks_failed: tuple[CheckFailure, ...]
    policy_version: str
    frames_checked: int = 0

    @property
    def rules(self) -> tuple[str, ...]:
        """Return the rules of the findings that decided, strictest first, without repeats."""
        ordered = sorted(self.findings, key=lambda f: -f.action.severity)
        seen: dict[str, None] = {}
        for finding in ordered:
            if finding.action is not Decision.ALLOW:
                seen.setdefault(finding.rule, None)
        return tuple(seen)

    def as_dict(self) -> dict[str, Any]:
        """Return the verdict as JSON-ready data, for a case or an audit entry."""
        return {
            "decision": self.decision.value,
            "findings": [finding.as_dict() for finding in self.findings],
            "checks_run": list(self.checks_run),
            "checks_failed": [failure.as_dict() for failure in self.checks_failed],
            "policy_version": self.policy_version,
            "frames_checked": self.frames_checked,
        }
