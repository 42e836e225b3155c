"""What the text policy says about one text: the decision, and every rule behind it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any


class Decision(enum.StrEnum):
    """What happens to a text or a piece of media; later members are stricter."""

    ALLOW = "allow"
    REVIEW = "review"
    BLOCK = "block"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @classmethod
    def strictest(cls, decisions: list[Decision] | tuple[Decision, ...]) -> Decision:
        """Return the strictest of `decisions`, or allow when there are none."""
        return max(decisions, key=lambda d: d.severity, default=cls.ALLOW)


_SEVERITY = {Decision.ALLOW: 0, Decision.REVIEW: 1, Decision.BLOCK: 2}


class Category(enum.StrEnum):
    """Why a rule exists; also the order in which categories are listed."""

    PUBLIC_FIGURE = "public_figure"
    MINOR = "minor"
    COPYRIGHT = "copyright"
    TRADEMARK = "trademark"


class Match(enum.StrEnum):
    """How the words were found, for the moderator reading the case."""

    EXACT = "exact"  # as written, up to case and accents
    NORMALISED = "normalised"  # through folding: look-alikes, leetspeak, spacing, repeated letters
    FUZZY = "fuzzy"  # a near spelling, found by edit distance
    PATTERN = "pattern"  # an age or another grammar rule


@dataclass(frozen=True, slots=True)
class RuleHit:
    """One rule that fired, with the words of the text that made it fire."""

    rule: str
    category: Category
    action: Decision
    matched: str
    term: str
    match: Match

    def to_dict(self) -> dict[str, str]:
        """Return the hit as plain JSON-ready values."""
        return {
            "rule": self.rule,
            "category": str(self.category),
            "action": str(self.action),
            "matched": self.matched,
            "term": self.term,
            "match": str(self.match),
        }


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision on one text, the categories and rules behind it, and the policy that decided."""

    decision: Decision
    categories: tuple[Category, ...]
    rules: tuple[RuleHit, ...]
    policy_version: str

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(hit.rule for hit in self.rules)

    def to_dict(self) -> dict[str, Any]:
        """Return the verdict as plain JSON-ready values."""
        return {
            "decision": str(self.decision),
            "categories": [str(c) for c in self.categories],
            "rules": [hit.to_dict() for hit in self.rules],
            "policy_version": self.policy_version,
        }
