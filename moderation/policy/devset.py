"""The labelled development set (data/devset.tsv) and the two figures measured on it."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .lexicon import DATA_DIR, LexiconError, _is_comment
from .verdict import Decision, Verdict

DEVSET_PATH = DATA_DIR / "devset.tsv"
LABELS = ("harmful", "harmless")
_ESCAPE_RE = re.compile(r"\\u([0-9a-fA-F]{4})")


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled text of the development set."""

    text: str
    label: str
    category: str
    note: str

    @property
    def harmful(self) -> bool:
        return self.label == "harmful"


@dataclass(frozen=True, slots=True)
class Score:
    """How the policy did on the development set."""

    harmful: int
    harmless: int
    missed: tuple[Example, ...]  # harmful and allowed
    wrong_category: tuple[tuple[Example, Verdict], ...]  # caught, but not for the expected reason
    friction: tuple[tuple[Example, Verdict], ...]  # harmless and not allowed

    @property
    def caught_rate(self) -> float:
        """Share of harmful texts sent to review or blocked."""
        return 1 - len(self.missed) / self.harmful

    @property
    def friction_rate(self) -> float:
        """Share of harmless texts not allowed."""
        return len(self.friction) / self.harmless


def load_devset(path: Path = DEVSET_PATH) -> list[Example]:
    """Return the examples of the development set, with \\uXXXX escapes decoded."""
    examples = []
    header_seen = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or _is_comment(line):
            continue
        cells = line.split("\t")
        if not header_seen:
            header_seen = True
            continue
        if len(cells) != 4 or cells[1] not in LABELS:
            raise LexiconError(
                f"{path.name}:{number}: expected text, label (harmful|harmless), category, note"
            )
        text = _ESCAPE_RE.sub(lambda m: chr(int(m.group(1), 16)), cells[0])
        examples.append(Example(text, cells[1], cells[2], cells[3]))
    return examples


def score(check: Callable[[str], Verdict], examples: list[Example]) -> Score:
    """Run `check` on every example and count what was missed and what was held needlessly."""
    missed, wrong, friction = [], [], []
    for example in examples:
        verdict = check(example.text)
        if example.harmful:
            if verdict.decision is Decision.ALLOW:
                missed.append(example)
            elif example.category not in verdict.categories:
                wrong.append((example, verdict))
        elif verdict.decision is not Decision.ALLOW:
            friction.append((example, verdict))
    harmful = sum(e.harmful for e in examples)
    return Score(harmful, len(examples) - harmful, tuple(missed), tuple(wrong), tuple(friction))
