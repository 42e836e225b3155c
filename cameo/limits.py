"""The owner's limits, in their own words, checked against each prompt that uses the cameo.

A limit is one line of free text ("no political content", "don't make me sing", "pas
d'alcool"). Its meaningful words are kept (negations and filler dropped), each widened to
the words of the same idea listed in data/limits.json, and a prompt crosses the limit when
one of its words shares a stem with one of them. Matching works on moderation's folded view
of the text, so accents, case and look-alike characters do not get around it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

from moderation.policy import split_words, text_normalise

DATA = Path(__file__).resolve().parent / "data" / "limits.json"
MAX_LINES = 20
MAX_LENGTH = 500

# Words that carry the shape of a limit, not its subject, in English and French.
FILLER = frozenset(["a", "about", "after", "all", "an", "and", "any", "anything", "are", "aren", "as", "at", "be", "being", "by", "can", "cannot", "cant", "content", "contents", "do", "does", "doesn", "dont", "don", "doing", "ever", "for", "from", "have", "i", "in", "into", "is", "it", "its", "let", "me", "mine", "my", "myself", "never", "no", "none", "not", "nothing", "of", "on", "or", "our", "please", "put", "show", "showing", "shows", "so", "some", "something", "stuff", "that", "the", "them", "then", "there", "these", "thing", "things", "this", "those", "t", "to", "too", "us", "use", "using", "videos", "video", "want", "we", "while", "with", "without", "won", "wont", "would", "you", "your", "ai", "au", "aucun", "aucune", "aussi", "avec", "ce", "ces", "cette", "contenu", "contenus", "d", "dans", "de", "des", "du", "elle", "en", "est", "et", "etre", "faire", "fais", "fait", "il", "j", "jamais", "je", "l", "la", "le", "les", "lui", "m", "ma", "me", "mes", "moi", "mon", "montre", "montrer", "montrez", "mettre", "mets", "n", "ne", "ni", "non", "nous", "on", "ou", "pas", "plus", "pour", "qu", "que", "qui", "rien", "s", "sa", "sans", "se", "ses", "son", "sur", "t", "ta", "te", "tes", "toi", "ton", "tu", "un", "une", "veux", "video", "videos", "y"])
SUFFIXES = ("ements", "ement", "ing", "ers", "ies", "ed", "er", "es", "s", "e")
HANDLE_RE = re.compile(r"@[A-Za-z0-9_.]+")


def stem(word: str) -> str:
    """Return a rough stem of a folded word: common English and French endings cut once."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@functools.cache
def _ideas() -> dict[str, frozenset[str]]:
    """Return, for each word of an idea, the stems of every word of that idea."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    by_word: dict[str, frozenset[str]] = {}
    for name, words in data.items():
        if name.startswith("_"):
            continue
        stems = frozenset(stem(w) for word in words for w in split_words(word))
        for word in words:
            for w in split_words(word):
                by_word[w] = by_word.get(w, frozenset()) | stems
                by_word[stem(w)] = by_word[w]
    return by_word


@dataclass(frozen=True)
class Limit:
    text: str
    stems: frozenset[str]


def limits_parse(text: str) -> list[Limit]:
    """Return the limits written in `text`, one per non-empty line (or sentence)."""
    limits = []
    for line in re.split(r"[\n;.]+", text or ""):
        line = line.strip(" \t-•*")
        if not line:
            continue
        stems: set[str] = set()
        for word in split_words(line):
            if word in FILLER or len(word) < 2 or word.isdigit():
                continue
            stems.add(stem(word))
            stems |= _ideas().get(word, _ideas().get(stem(word), frozenset()))
        if stems:
            limits.append(Limit(text=line, stems=frozenset(stems)))
    return limits


def limits_crossed(limits_text: str, prompt: str) -> list[str]:
    """Return the limits (as their owner wrote them) that `prompt` crosses."""
    limits = limits_parse(limits_text)
    if not limits:
        return []
    words: set[str] = set()
    for view in text_normalise(HANDLE_RE.sub(" ", prompt or "")).views():
        words |= {stem(token.text) for token in view}
    return [limit.text for limit in limits if limit.stems & words]
