"""Fold text into comparable tokens, undoing the usual ways of disguising a word.

Two views of the same text are produced, each a list of tokens that remember where they came
from in the original string:

* the *plain* view: Unicode compatibility forms folded (fullwidth, mathematical and circled
  letters), invisible characters dropped, accents removed, look-alike Cyrillic and Greek letters
  read as the Latin letters they imitate, lower case, split on anything that is not a letter or
  a digit, and between letters and digits ("12yo" is "12" "yo");
* the *folded* view: the plain view plus leetspeak read back as letters inside words that mix
  letters with digits or symbols ("M4cr0n"), and letters written one by one put back together
  ("m.a.c.r.o.n", "E m m a n u e l").

Repeated letters are handled by the matcher with `squeeze`, which keeps one of each run.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache

from unidecode import unidecode

# Letters of other scripts that look like Latin ones. They are read by their looks, not their
# sound, inside a word that mixes them with Latin letters or is made of look-alikes only
# ("Оbаmа" in Cyrillic letters); a genuinely Russian or Greek word is transliterated instead
# ("Путин" reads "putin").
# Each look-alike is written above the Latin letter it imitates.
_LOOKALIKES = (
    # Cyrillic, lower then upper case
    ("авеёкмнорстухѕіїјԛԝһӏьո", "abeekmhopctyxsiijqwhlbn"),
    ("АВЕЁКМНОРСТУХЅІЇЈԚԜҺӀ", "abeekmhopctyxsiijqwhl"),
    # Greek, lower then upper case
    ("αβεηικνορτυχγωϲϳ", "abenikvoptuxywcj"),
    ("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹ", "abezhikmnoptyxc"),
    # Other scripts and symbols
    ("ıȷօսɑɡ€¢", "ijouagec"),
)
HOMOGLYPHS: dict[str, str] = {
    lookalike: latin
    for lookalikes, latins in _LOOKALIKES
    for lookalike, latin in zip(lookalikes, latins, strict=True)
}

# Leetspeak, read back only inside a word that also has letters, so "8 ans" and "12 yo" keep
# their digits.
LEET: dict[str, str] = dict(zip("4@31!|05$7+89", "aaeiiiossttbg", strict=True))
# "1", "|" and "!" stand for "l" as often as for "i": a second folded view reads them as "l".
AMBIGUOUS_LEET = {"1": "l", "|": "l", "!": "l"}
_LEET_TABLE = str.maketrans(LEET)
_LEET_L_TABLE = str.maketrans({**LEET, **AMBIGUOUS_LEET})

_CHUNK_RE = re.compile(r"\S+")
_TOKEN_RE = re.compile(r"[a-z]+|[0-9]+")
_WORD_PIECE_RE = re.compile(r"[a-z0-9]+")
_LEET_RUN_RE = re.compile(r"[a-z0-9@$!|+]+")
_LEET_SYMBOLS = "@$!|+"
_LEET_CHARS = frozenset(LEET)
# Only these can make the folded view differ from the plain one: a letter next to a leet
# character, a letter alone between spaces, or letters glued by punctuation ("m.a.c").
_MAYBE_DISGUISED_RE = re.compile(
    r"[a-z][@$!|+01345789]|[@$!|+01345789][a-z]"  # leetspeak inside a word
    r"|(?<![a-z0-9])[a-z](?:[^a-z0-9]+[a-z](?![a-z0-9])){2}"  # letters spelled one by one
    r"|[a-z][^\sa-z0-9]+[a-z]+[^\sa-z0-9]+[a-z]"  # letters glued by punctuation
)
_SQUEEZE_RE = re.compile(r"(.)\1+")


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a view, with its place in the original text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Normalised:
    """The views of one text, ready for matching."""

    original: str
    plain: tuple[Token, ...]
    folded: tuple[Token, ...]
    folded_l: tuple[Token, ...] | None

    def views(self) -> tuple[tuple[Token, ...], ...]:
        """Return the distinct views, the plain one first."""
        plain_words = [t.text for t in self.plain]
        views = [self.plain]
        if [t.text for t in self.folded] != plain_words:
            views.append(self.folded)
        if self.folded_l is not None:
            views.append(self.folded_l)
        return tuple(views)


def squeeze(word: str) -> str:
    """Return `word` with each run of a repeated character cut to one ("maaacron" -> "macron")."""
    return _SQUEEZE_RE.sub(r"\1", word)


def _is_invisible(char: str) -> bool:
    # Format characters (zero-width spaces and joiners, direction marks, soft hyphens, BOM)
    # and combining marks never show as a letter of their own.
    return unicodedata.category(char) in ("Cf", "Mn", "Me")


@lru_cache(maxsize=8192)
def _fold_char(char: str, visual: bool) -> str:
    """Return the lower-case ASCII reading of one character (possibly several letters or none)."""
    out = []
    for piece in unicodedata.normalize("NFKC", char):
        for base in unicodedata.normalize("NFKD", piece):
            if _is_invisible(base):
                continue
            if base.isascii():
                out.append(base.lower())
            elif (visual and base in HOMOGLYPHS) or base in ("€", "¢"):
                out.append(HOMOGLYPHS[base])
            else:
                out.append(unidecode(base).lower())
    return "".join(out)


def _reads_visually(chunk: str) -> bool:
    """Tell whether a word's look-alike letters imitate Latin ones rather than spell a foreign word."""
    has_lookalike = False
    for char in chunk:
        if char in HOMOGLYPHS:
            has_lookalike = True
        elif char.isalpha() and not char.isascii():
            base = unicodedata.normalize("NFKD", char)[0]
            # Accented Latin letters and compatibility forms (fullwidth, mathematical) are
            # Latin; any other letter makes the word a foreign one.
            if not base.isascii() and not unicodedata.normalize("NFKC", char).isascii():
                return False
    return has_lookalike


def fold(text: str) -> tuple[str, list[int] | None]:
    """Return `text` folded to lower-case ASCII and, per output character, its index in `text`.

    The index list is None when the text is plain ASCII and every character maps to itself.
    """
    if text.isascii():
        return text.lower(), None
    out: list[str] = []
    origin: list[int] = []
    position = 0
    for match in re.finditer(r"\S+|\s+", text):
        chunk = match.group()
        visual = not chunk.isspace() and _reads_visually(chunk)
        for offset, char in enumerate(chunk):
            folded = char.lower() if char.isascii() else _fold_char(char, visual)
            if folded:
                out.append(folded)
                origin.extend([position + offset] * len(folded))
        position += len(chunk)
    return "".join(out), origin


def _span(origin: list[int] | None, start: int, end: int) -> tuple[int, int]:
    if origin is None:
        return start, end
    return origin[start], origin[end - 1] + 1


def _plain_tokens(folded: str, origin: list[int] | None) -> tuple[Token, ...]:
    return tuple(
        Token(m.group(), *_span(origin, m.start(), m.end())) for m in _TOKEN_RE.finditer(folded)
    )


def _folded_tokens(folded: str, origin: list[int] | None, table: dict[int, str]) -> list[Token]:
    # Work in offsets of `folded` (leet translation keeps them: one character for one) and map
    # them to the original text once a token is final.
    words: list[tuple[str, int, int]] = []
    single_run: list[tuple[str, int, int]] = []

    def close_run() -> None:
        # Three or more words of one letter each are one word spelled out ("E m m a").
        if len(single_run) >= 3:
            words.append(("".join(w[0] for w in single_run), single_run[0][1], single_run[-1][2]))
        else:
            words.extend(single_run)
        single_run.clear()

    for chunk_match in _CHUNK_RE.finditer(folded):
        base = chunk_match.start()
        pieces: list[tuple[str, int, int]] = []
        for run in _LEET_RUN_RE.finditer(chunk_match.group()):
            text = run.group()
            # Symbols at the edges are punctuation ("Zidane!!!", "@handle"), not letters.
            core = text.strip(_LEET_SYMBOLS)
            if not core:
                continue
            offset = base + run.start() + text.index(core)
            letters = sum(c.isalpha() for c in core)
            leet = sum(c in _LEET_CHARS for c in core)
            if letters and leet and letters >= leet:
                core = core.translate(table)
            for m in _WORD_PIECE_RE.finditer(core):
                pieces.append((m.group(), offset + m.start(), offset + m.end()))
        if not pieces:
            continue  # punctuation between spelled-out letters does not break the run
        if len(pieces) >= 3 and all(p[0].isalpha() for p in pieces):
            # Pieces glued by dots, dashes or underscores form one word ("tr.u.mp", "b-a-b-y").
            pieces = [("".join(p[0] for p in pieces), pieces[0][1], pieces[-1][2])]
        if len(pieces) == 1 and len(pieces[0][0]) == 1 and pieces[0][0].isalpha():
            single_run.append(pieces[0])
            continue
        close_run()
        for text, start, end in pieces:
            if text.isalpha() or text.isdigit():
                words.append((text, start, end))
                continue
            # Only pieces that were never joined get here, so their offsets map one to one.
            for m in _TOKEN_RE.finditer(text):
                words.append((m.group(), start + m.start(), start + m.end()))
    close_run()
    return [Token(text, *_span(origin, start, end)) for text, start, end in words]


def normalise(text: str) -> Normalised:
    """Return the plain and folded views of `text`."""
    folded, origin = fold(text)
    plain = _plain_tokens(folded, origin)
    if not _MAYBE_DISGUISED_RE.search(folded):
        return Normalised(original=text, plain=plain, folded=plain, folded_l=None)
    folded_view = tuple(_folded_tokens(folded, origin, _LEET_TABLE))
    folded_l = None
    if any(c in AMBIGUOUS_LEET for c in folded):
        candidate = tuple(_folded_tokens(folded, origin, _LEET_L_TABLE))
        if [t.text for t in candidate] != [t.text for t in folded_view]:
            folded_l = candidate
    return Normalised(original=text, plain=plain, folded=folded_view, folded_l=folded_l)


def split_words(text: str) -> tuple[str, ...]:
    """Return the plain-view words of `text` ("Bob l'éponge" -> ("bob", "l", "eponge"))."""
    folded, _ = fold(text)
    return tuple(m.group() for m in _TOKEN_RE.finditer(folded))


# Lexicon entries repeat (context groups are shared by many rows): fold each once.
normalise_term = cache(split_words)
