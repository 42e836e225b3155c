"""Read the policy's data files (moderation/policy/data) into checked, immutable structures.

The files are tab-separated so that a change shows as a one-line diff in review; the format of
each is described at the top of the file itself. Loading fails loudly, naming the file and the
line, rather than silently dropping a rule.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .normalise import normalise_term
from .verdict import Category, Decision

DATA_DIR = Path(__file__).resolve().parent / "data"

# Lexicon file -> (category, rule id prefix, the column that holds the entry's kind).
NAME_LEXICONS = {
    "public_figures.tsv": (Category.PUBLIC_FIGURE, "pf", "group"),
    "copyright.tsv": (Category.COPYRIGHT, "cr", "kind"),
    "trademarks.tsv": (Category.TRADEMARK, "tm", "kind"),
}
NAME_COLUMNS = {
    "public_figures.tsv": ("id", "name", "aliases", "group", "context", "not_context"),
    "copyright.tsv": ("id", "name", "aliases", "kind", "owner", "context", "not_context"),
    "trademarks.tsv": ("id", "name", "aliases", "kind", "owner", "context", "not_context"),
}
MINOR_COLUMNS = ("rule", "action", "guard", "terms", "not_context")


class LexiconError(ValueError):
    """A data file is malformed; the message names the file and the line."""


class Gate(enum.StrEnum):
    """How an alias counts once found (the marker in front of it in the data file)."""

    PLAIN = "plain"  # no marker: the match stands
    CONTEXT = "context"  # "~": only with a context word elsewhere in the text
    REVIEW = "review"  # "?": the match sends the text to review


@dataclass(frozen=True, slots=True)
class Negatives:
    """Words that cancel a match: anywhere near it, right before it, or right after it."""

    near: tuple[tuple[str, ...], ...] = ()
    before: tuple[tuple[str, ...], ...] = ()
    after: tuple[tuple[str, ...], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.near or self.before or self.after)


@dataclass(frozen=True, slots=True)
class Entry:
    """One person, work, brand or minors rule: what a moderator sees as the rule."""

    rule: str
    category: Category
    name: str
    kind: str
    action: Decision


@dataclass(frozen=True, slots=True)
class Alias:
    """One way of writing an entry, in normalised words, with the conditions on a match."""

    entry: Entry
    words: tuple[str, ...]
    gate: Gate
    context: tuple[tuple[str, ...], ...]
    negatives: Negatives
    guard: bool  # minors only: cancelled when the word qualifies an animal or an object

    @property
    def text(self) -> str:
        return " ".join(self.words)


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything the engine needs from the data files."""

    version: str
    entries: tuple[Entry, ...]
    aliases: tuple[Alias, ...]
    groups: dict[str, frozenset[tuple[str, ...]]]
    numbers: dict[str, int]

    def group_words(self, name: str) -> frozenset[str]:
        """Return the one-word members of a word group."""
        return frozenset(p[0] for p in self.groups[name] if len(p) == 1)


def _is_comment(line: str) -> bool:
    # "# " with a space: a prompt may start with a hashtag ("#ElonMusk on Mars").
    return line.startswith("# ") or line.rstrip() == "#"


def _rows(path: Path, columns: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) for the data lines of a TSV file, checking its header."""
    header_seen = False
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            line = line.rstrip("\n")
            if not line.strip() or _is_comment(line):
                continue
            cells = line.split("\t")
            if not header_seen:
                if tuple(cells) != columns:
                    raise LexiconError(f"{path.name}:{number}: expected the header {columns}")
                header_seen = True
                continue
            if len(cells) > len(columns):
                raise LexiconError(
                    f"{path.name}:{number}: {len(cells)} columns, at most {len(columns)}"
                )
            cells += [""] * (len(columns) - len(cells))
            yield number, dict(zip(columns, (c.strip() for c in cells), strict=True))
    if not header_seen:
        raise LexiconError(f"{path.name}: no header line")


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split("|") if part.strip()]


def _phrase(text: str, where: str) -> tuple[str, ...]:
    words = normalise_term(text)
    if not words:
        raise LexiconError(f"{where}: {text!r} has no letters or digits")
    return words


def _load_groups(path: Path) -> dict[str, frozenset[tuple[str, ...]]]:
    groups: dict[str, frozenset[tuple[str, ...]]] = {}
    for number, row in _rows(path, ("name", "words")):
        where = f"{path.name}:{number}"
        if row["name"] in groups:
            raise LexiconError(f"{where}: group {row['name']!r} defined twice")
        groups[row["name"]] = frozenset(_phrase(w, where) for w in _split(row["words"]))
    return groups


def _expand(
    cell: str, groups: dict[str, frozenset[tuple[str, ...]]], where: str
) -> list[tuple[str, str]]:
    """Return (direction, word) pairs of a context cell, with @group references expanded."""
    out: list[tuple[str, str]] = []
    for item in _split(cell):
        direction = item[0] if item[0] in "<>" else ""
        word = item[1:] if direction else item
        if word.startswith("@"):
            name = word[1:]
            if name not in groups:
                raise LexiconError(f"{where}: unknown word group @{name}")
            out.extend((direction, " ".join(p)) for p in groups[name])
        else:
            out.append((direction, word))
    return out


def _negatives(cell: str, groups: dict[str, frozenset[tuple[str, ...]]], where: str) -> Negatives:
    near: set[tuple[str, ...]] = set()
    before: set[tuple[str, ...]] = set()
    after: set[tuple[str, ...]] = set()
    for direction, word in _expand(cell, groups, where):
        phrase = _phrase(word, where)
        {"": near, "<": before, ">": after}[direction].add(phrase)
    return Negatives(tuple(sorted(near)), tuple(sorted(before)), tuple(sorted(after)))


def _context(
    cell: str, groups: dict[str, frozenset[tuple[str, ...]]], where: str
) -> tuple[tuple[str, ...], ...]:
    phrases = set()
    for direction, word in _expand(cell, groups, where):
        if direction:
            raise LexiconError(f"{where}: context words take no '<' or '>'")
        phrases.add(_phrase(word, where))
    return tuple(sorted(phrases))


def _alias(raw: str) -> tuple[Gate, str]:
    if raw.startswith("~"):
        return Gate.CONTEXT, raw[1:]
    if raw.startswith("?"):
        return Gate.REVIEW, raw[1:]
    return Gate.PLAIN, raw


def _load_names(
    path: Path, groups: dict[str, frozenset[tuple[str, ...]]]
) -> tuple[list[Entry], list[Alias]]:
    category, prefix, kind_column = NAME_LEXICONS[path.name]
    # A trademark never blocks on its own: a moderator decides whether the brand is a problem.
    action = Decision.REVIEW if category is Category.TRADEMARK else Decision.BLOCK
    entries: dict[str, Entry] = {}
    aliases: list[Alias] = []
    previous_id = None
    for number, row in _rows(path, NAME_COLUMNS[path.name]):
        where = f"{path.name}:{number}"
        slug = row["id"]
        if not slug or slug != slug.lower() or " " in slug:
            raise LexiconError(f"{where}: the id must be a lower-case slug, got {slug!r}")
        raw_aliases = _split(row["aliases"])
        if row["name"]:
            if slug in entries:
                raise LexiconError(
                    f"{where}: id {slug!r} used twice (leave the name empty to continue it)"
                )
            entries[slug] = Entry(
                f"{prefix}:{slug}", category, row["name"], row[kind_column], action
            )
            raw_aliases.insert(0, row["name"])
        elif slug != previous_id:
            raise LexiconError(f"{where}: a row without a name must continue the entry just above")
        previous_id = slug
        context = _context(row["context"], groups, where)
        negatives = _negatives(row["not_context"], groups, where)
        for raw in raw_aliases:
            gate, text = _alias(raw)
            if gate == Gate.CONTEXT and not context:
                raise LexiconError(f"{where}: {raw!r} needs context words")
            if (
                gate != Gate.PLAIN
                and row["name"]
                and normalise_term(text) == normalise_term(row["name"])
            ):
                # The name is always matched as written, which would defeat the marker.
                raise LexiconError(
                    f"{where}: the name {row['name']!r} is also the gated alias {raw!r}"
                )
            aliases.append(
                Alias(entries[slug], _phrase(text, where), gate, context, negatives, guard=False)
            )
    return list(entries.values()), aliases


def _load_minors(
    path: Path, groups: dict[str, frozenset[tuple[str, ...]]]
) -> tuple[list[Entry], list[Alias]]:
    entries: list[Entry] = []
    aliases: list[Alias] = []
    for number, row in _rows(path, MINOR_COLUMNS):
        where = f"{path.name}:{number}"
        if not row["rule"].startswith("minor:"):
            raise LexiconError(f"{where}: minors rule ids start with 'minor:'")
        try:
            action = Decision(row["action"])
        except ValueError:
            raise LexiconError(f"{where}: action must be block or review") from None
        if row["guard"] not in ("noun", "-"):
            raise LexiconError(f"{where}: guard must be 'noun' or '-'")
        entry = Entry(row["rule"], Category.MINOR, row["rule"], "words", action)
        entries.append(entry)
        negatives = _negatives(row["not_context"], groups, where)
        for term in _split(row["terms"]):
            aliases.append(
                Alias(
                    entry, _phrase(term, where), Gate.PLAIN, (), negatives, row["guard"] == "noun"
                )
            )
    return entries, aliases


def _load_numbers(path: Path) -> dict[str, int]:
    numbers = {}
    for number, row in _rows(path, ("word", "value")):
        try:
            numbers[" ".join(_phrase(row["word"], f"{path.name}:{number}"))] = int(row["value"])
        except ValueError:
            raise LexiconError(f"{path.name}:{number}: the value must be a whole number") from None
    return numbers


def load_lexicon(data_dir: Path = DATA_DIR) -> Lexicon:
    """Read and check every data file of `data_dir`."""
    version = (data_dir / "VERSION").read_text(encoding="utf-8").strip()
    if not version:
        raise LexiconError("VERSION is empty")
    groups = _load_groups(data_dir / "context.tsv")
    entries: list[Entry] = []
    aliases: list[Alias] = []
    for name in NAME_LEXICONS:
        more_entries, more_aliases = _load_names(data_dir / name, groups)
        entries += more_entries
        aliases += more_aliases
    minor_entries, minor_aliases = _load_minors(data_dir / "minors.tsv", groups)
    rules = [e.rule for e in entries + minor_entries]
    if len(rules) != len(set(rules)):
        raise LexiconError("a rule id is defined in two files")
    return Lexicon(
        version=version,
        entries=tuple(entries + minor_entries),
        aliases=tuple(aliases + minor_aliases),
        groups=groups,
        numbers=_load_numbers(data_dir / "numbers.tsv"),
    )


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """Return the lexicon shipped with the code, read once per process."""
    return load_lexicon()
