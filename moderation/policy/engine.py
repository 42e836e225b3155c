"""Match a text against the lexicons and decide whether it is allowed, reviewed or blocked.

Build an engine once per process (`default_engine`) and call `check` for each text: the
indexes below are built from the data files at start-up, so a check is a handful of dictionary
lookups per word.

Decisions, kept simple so they can be explained to the person whose text was refused:
- a public figure, a copyrighted character, franchise or studio, or a minor described as a
  person blocks;
- a trademark, a near spelling (fuzzy match), an alias marked "?" in the data, and an age whose
  noun is unknown ("une danseuse de 12 ans") send the text to review;
- in a comment, which depicts nothing, what would block is reviewed instead.

The module is long but holds one idea, matching: building the indexes and walking a text
through them share the same normalised views, and splitting them would split every rule in
two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from .lexicon import Alias, Gate, Lexicon, default_lexicon
from .normalise import Token, normalise, split_words, squeeze
from .verdict import Category, Decision, Match, RuleHit, Verdict

CONTEXTS = ("prompt", "caption", "comment")

NEAR_WINDOW = 3  # words on each side searched for a word that cancels a match
FUZZY_MIN_LENGTH = 5  # shorter words have too many real neighbours ("yoda", "yoga")
FUZZY_MIN_LENGTH_ALONE = 6  # a one-word name needs more letters to be told from a stranger's
FUZZY_MAX_LENGTH = 30  # longer tokens are letters run together, not a misspelled name
SPLIT_MAX_PIECES = 4  # "Ma cron", "dar th va der"
COMMON_WORDS_PER_LANGUAGE = 50_000

AGE_RULE_DIGITS = "minor:age-digits"
AGE_RULE_WORDS = "minor:age-words"
ADULT_AGE = 18

# The small grammar of written ages. English: "12-year-old", "12 years old", "12 yo", "12 y.o.",
# "aged 12", "a 6-month-old"; French: "elle a 12 ans", "une fille de 12 ans", "à 12 ans",
# "âgée de 12 ans", "fête ses 12 ans".
_YEAR_WORDS = frozenset({"year", "years", "yr", "yrs"})
_BABY_AGE_WORDS = frozenset(
    {"month", "months", "mo", "mos", "week", "weeks", "wk", "wks", "day", "days"}
)
_EN_AGE_BEFORE = frozenset({"aged", "age"})
_FR_YEAR_WORDS = frozenset({"ans", "an"})
_FR_BABY_AGE_WORDS = frozenset({"mois", "semaines", "jours"})
_FR_HAS = frozenset({"a", "ai", "as", "avait", "avais", "avaient", "ont", "ayant", "aura", "auras"})
_FR_OF = frozenset({"de", "d"})
# "pour ses 8 ans", "l'anniversaire de mes 10 ans": someone's age.
_FR_POSSESSIVES = frozenset(
    {"ses", "son", "sa", "mes", "mon", "tes", "ton", "leurs", "leur", "nos", "vos"}
)
# Words between a noun and the word it governs ("the goat's kid", "un dessin d'enfant",
# "un parc pour enfants").
_LINKS = frozenset({"s", "d", "de", "du"})
_OBJECT_LINKS = _LINKS | {"pour", "for"}
# "rue du Général de Gaulle", "place de la Concorde", "avenue du Président Kennedy".
_PLACE_LINKS = _LINKS | {"la", "le", "des", "general", "president", "marechal"}

_CATEGORY_ORDER = {category: index for index, category in enumerate(Category)}
_MATCH_QUALITY = {Match.EXACT: 3, Match.PATTERN: 3, Match.NORMALISED: 2, Match.FUZZY: 1}


@dataclass(slots=True)
class _Found:
    """A rule that matched somewhere, before the conditions on it are checked."""

    alias: Alias | None  # None for an age
    rule: str
    category: Category
    action: Decision
    view: Sequence[Token]
    words: Sequence[str]
    first: int  # index of the first word in the view
    last: int  # index after the last word
    match: Match
    term: str
    span: tuple[int, int] = (0, 0)  # in the original text, set from the view on creation

    def __post_init__(self) -> None:
        self.span = (self.view[self.first].start, self.view[self.last - 1].end)


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _phrase_at(
    words: Sequence[str], index: int, phrases: frozenset[tuple[str, ...]], longest: int
) -> bool:
    """Tell whether one of `phrases` starts at `words[index]`."""
    for size in range(1, longest + 1):
        if index + size > len(words):
            break
        if tuple(words[index : index + size]) in phrases:
            return True
    return False


def _phrase_ending(
    words: Sequence[str], index: int, phrases: frozenset[tuple[str, ...]], longest: int
) -> bool:
    """Tell whether one of `phrases` ends at `words[index]` ("un berger allemand" ends at "allemand")."""
    for size in range(1, longest + 1):
        if index - size + 1 < 0:
            break
        if tuple(words[index - size + 1 : index + 1]) in phrases:
            return True
    return False


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    """Return the frequent English and French words, which are never read as a misspelled name."""
    # Imported here: the lists are large, and importing the policy should stay cheap.
    from wordfreq import top_n_list

    words: set[str] = set()
    for language in ("en", "fr"):
        for word in top_n_list(language, COMMON_WORDS_PER_LANGUAGE):
            folded = split_words(word)
            if len(folded) == 1:
                words.add(folded[0])
    return frozenset(words)


class PolicyEngine:
    """The text policy, compiled from a lexicon."""

    def __init__(self, lexicon: Lexicon, common: frozenset[str] | None = None) -> None:
        self.lexicon = lexicon
        self.version = lexicon.version
        self._common = common_words() if common is None else common
        groups = lexicon.groups
        self._function_words = lexicon.group_words("function_words")
        self._place_before = lexicon.group_words("place_before")
        self._place_after = lexicon.group_words("place_after")
        self._modifiers = lexicon.group_words("modifier")
        self._possessives = lexicon.group_words("possessive")
        self._person = lexicon.group_words("person")
        self._duration = lexicon.group_words("duration")
        self._measures = lexicon.group_words("measure")
        self._relatives = lexicon.group_words("relative")
        self._ordinal_suffixes = lexicon.group_words("ordinal_suffix")
        self._birthdays = lexicon.group_words("birthday")
        self._tens = lexicon.group_words("number_tens")
        self._non_person = groups["animal"] | groups["object"]
        self._animal_words = lexicon.group_words("animal")
        self._non_person_words = self._animal_words | lexicon.group_words("object")
        self._after_possessive = lexicon.group_words("object_after_possessive")
        self._longest_noun = max(len(p) for p in self._non_person)
        self._numbers = lexicon.numbers

        # Exact index: the squeezed words of every alias, and for each first word the lengths
        # of the aliases that start with it, so most words cost one failed lookup.
        self._index: dict[str, list[Alias]] = defaultdict(list)
        lengths: dict[str, set[int]] = defaultdict(set)
        # Joined index: an alias written as one word ("ElonMusk", "spiderman") or cut in pieces.
        self._joined: dict[str, list[Alias]] = defaultdict(list)
        # Fuzzy index: each long word of an alias under each of its one-letter deletions.
        self._vocabulary: set[str] = set()
        self._deletion_index: dict[str, set[str]] = defaultdict(set)
        self._by_word: dict[str, list[tuple[Alias, int]]] = defaultdict(list)
        for alias in lexicon.aliases:
            squeezed = tuple(squeeze(w) for w in alias.words)
            self._index[" ".join(squeezed)].append(alias)
            lengths[squeezed[0]].add(len(squeezed))
            joined = squeeze("".join(alias.words))
            if len(joined) >= FUZZY_MIN_LENGTH:
                self._joined[joined].append(alias)
            if alias.gate is Gate.CONTEXT:
                continue  # an everyday word: only its exact spelling, with context, counts
            for position, word in enumerate(squeezed):
                if len(word) >= FUZZY_MIN_LENGTH and word.isalpha():
                    self._vocabulary.add(word)
                    self._by_word[word].append((alias, position))
                    self._deletion_index[word].add(word)
                    for variant in _deletions(word):
                        self._deletion_index[variant].add(word)
        self._lengths = {
            word: tuple(sorted(sizes, reverse=True)) for word, sizes in lengths.items()
        }

    # -- the public entry point ---------------------------------------------------------------

    def check(self, text: str, *, context: str = "prompt") -> Verdict:
        """Return the verdict on `text` as a prompt, a caption or a comment."""
        if context not in CONTEXTS:
            raise ValueError(f"context must be one of {CONTEXTS}, not {context!r}")
        normalised = normalise(text)
        found: list[_Found] = []
        for number, view in enumerate(normalised.views()):
            words = [t.text for t in view]
            squeezed = [squeeze(w) for w in words]
            found += self._exact(view, words, squeezed, folded=number > 0)
            found += self._joined_matches(view, words, squeezed)
            found += self._fuzzy(view, words, squeezed)
        found += self._ages(normalised.plain)
        kept, cancelled = [], []
        for candidate in found:
            reason = self._cancels(candidate)
            if reason is None:
                kept.append(candidate)
            elif reason == "negated":
                cancelled.append(candidate)
        # When "aéroport Charles de Gaulle" names a place, so does its "de Gaulle".
        cancelled_spans: dict[str, set[tuple[int, int]]] = defaultdict(set)
        for c in cancelled:
            cancelled_spans[c.rule].add(c.span)
        kept = [
            f
            for f in kept
            if not any(
                start <= f.span[0] and f.span[1] <= end for start, end in cancelled_spans[f.rule]
            )
        ]
        hits = self._resolve(kept, text, context)
        decision = max((h.action for h in hits), key=lambda d: d.severity, default=Decision.ALLOW)
        categories = tuple(sorted({h.category for h in hits}, key=_CATEGORY_ORDER.__getitem__))
        return Verdict(
            decision=decision, categories=categories, rules=tuple(hits), policy_version=self.version
        )

    # -- finding -------------------------------------------------------------------------------

    def _found(self, alias: Alias, view, words, first: int, last: int, match: Match) -> _Found:
        entry = alias.entry
        action = entry.action
        if alias.gate is Gate.REVIEW or match is Match.FUZZY:
            action = min(action, Decision.REVIEW, key=lambda d: d.severity)
        return _Found(
            alias, entry.rule, entry.category, action, view, words, first, last, match, alias.text
        )

    def _compare(self, written: Sequence[str], alias_words: Sequence[str]) -> Match | None:
        """Compare words whose squeezed forms are equal; return how they match, or None."""
        match = Match.EXACT
        for word, expected in zip(written, alias_words, strict=True):
            if word == expected:
                continue
            if word in self._common:
                return None  # "billes" is not "Biles", "buffet" is not "Buffett"
            if len(word) < len(expected):
                match = Match.FUZZY  # a letter missing: "Emanuel", "Mbapé"
            elif match is Match.EXACT:
                match = Match.NORMALISED  # letters repeated: "Trrrump"
        return match

    def _exact(self, view, words, squeezed, *, folded: bool) -> Iterable[_Found]:
        count = len(words)
        for first in range(count):
            sizes = self._lengths.get(squeezed[first])
            if not sizes:
                continue
            for size in sizes:
                last = first + size
                if last > count:
                    continue
                key = squeezed[first] if size == 1 else " ".join(squeezed[first:last])
                for alias in self._index.get(key, ()):
                    match = self._compare(words[first:last], alias.words)
                    if match is None:
                        continue
                    if match is Match.EXACT and folded:
                        match = Match.NORMALISED  # the same words in the plain view rank first
                    yield self._found(alias, view, words, first, last, match)

    def _joined_matches(self, view, words, squeezed) -> Iterable[_Found]:
        count = len(words)
        alpha = [w.isalpha() for w in words]
        function = [w in self._function_words for w in words]
        common = [w in self._common for w in words]
        for first in range(count):
            # A name of several words written as one ("ElonMusk", "spiderman").
            if len(squeezed[first]) >= FUZZY_MIN_LENGTH:
                for alias in self._joined.get(squeezed[first], ()):
                    if len(alias.words) > 1:
                        yield self._found(alias, view, words, first, first + 1, Match.NORMALISED)
            # A word cut in pieces ("Ma cron", "Bat man"), with at least one short piece. A
            # function word followed by ordinary words is just French: "du jardin" is not
            # "Dujardin", "la garde" is not "Lagarde".
            if not alpha[first]:
                continue
            key = squeezed[first]
            short = len(words[first]) <= 3
            for last in range(first + 2, min(count, first + SPLIT_MAX_PIECES) + 1):
                piece = squeezed[last - 1]
                if not alpha[last - 1]:
                    break
                # Squeezing the pieces one by one misses only a repeat across the cut.
                key += piece[1:] if key[-1] == piece[0] else piece
                short = short or len(words[last - 1]) <= 3
                if not short or key not in self._joined:
                    continue
                span = range(first, last)
                if any(function[i] for i in span) and all(function[i] or common[i] for i in span):
                    continue
                pieces = words[first:last]
                size = last - first
                ordinary = all(common[i] for i in span)
                for alias in self._joined[key]:
                    if len(alias.words) != size or tuple(pieces) != alias.words:
                        found = self._found(alias, view, words, first, last, Match.NORMALISED)
                        if ordinary:
                            # Two real words ("bat man", "bat cave") may mean just that: a
                            # moderator decides.
                            found.action = min(
                                found.action, Decision.REVIEW, key=lambda d: d.severity
                            )
                        yield found

    def _fuzzy(self, view, words, squeezed) -> Iterable[_Found]:
        near: dict[int, set[str]] = {}
        for index, word in enumerate(squeezed):
            if (
                not FUZZY_MIN_LENGTH <= len(word) <= FUZZY_MAX_LENGTH
                or word in self._vocabulary
                or not word.isalpha()
                or words[index] in self._common
            ):
                continue
            candidates: set[str] = set(self._deletion_index.get(word, ()))
            for variant in _deletions(word):
                candidates |= self._deletion_index.get(variant, set())
            limit = 1 if len(word) < 9 else 2
            # Typing slips keep the first letter; a different first letter is another word.
            close = {
                c
                for c in candidates
                if c[0] == word[0] and OSA.distance(word, c, score_cutoff=limit) <= limit
            }
            if close:
                near[index] = close
        for index, close in near.items():
            for vocabulary_word in close:
                for alias, position in self._by_word[vocabulary_word]:
                    first = index - position
                    last = first + len(alias.words)
                    if first < 0 or last > len(words):
                        continue
                    if len(alias.words) == 1 and len(vocabulary_word) < FUZZY_MIN_LENGTH_ALONE:
                        continue
                    alias_squeezed = [squeeze(w) for w in alias.words]
                    if all(
                        squeezed[first + k] == expected or expected in near.get(first + k, ())
                        for k, expected in enumerate(alias_squeezed)
                    ):
                        yield self._found(alias, view, words, first, last, Match.FUZZY)

    # -- written ages ----------------------------------------------------------------------------

    def _number_at(self, words: Sequence[str], index: int) -> tuple[int, int, bool] | None:
        """Return (value, index of its first word, written in words) for a number at `index`."""
        word = words[index]
        if word.isdigit():
            if len(word) > 3:
                return None
            start, value, spelled = index, int(word), False
        elif word in self._numbers:
            start, value, spelled = index, self._numbers[word], True
            # "dix-sept" is two words; "dix-huit" must not read as "huit".
            if index > 0 and words[index - 1] == "dix" and value in (7, 8, 9):
                start, value = index - 1, 10 + value
        else:
            return None
        previous = words[start - 1] if start > 0 else ""
        if previous.isdigit() or previous in self._numbers or previous in self._tens:
            return None  # part of a larger number: "2 000", "twenty-two", "vingt-deux"
        return value, start, spelled

    def _is_birthday(self, words: Sequence[str], index: int, spelled: bool) -> bool:
        """Tell whether a birthday follows at `index` ("8th birthday", "8e anniversaire")."""
        if not spelled and index < len(words) and words[index] in self._ordinal_suffixes:
            index += 1
        if index >= len(words) or words[index] not in self._birthdays:
            return False
        # "10e anniversaire de mariage" is a wedding anniversary.
        return words[index] != "anniversaire" or words[index + 1 : index + 2] not in (["de"], ["d"])

    def _describes_non_person(self, words: Sequence[str], index: int) -> bool:
        """Tell whether the noun at `index` (after an optional adjective) is an animal or an object."""
        if index < len(words) and words[index] == "s":
            index += 1
            # After a possessive, words that are also verbs are nouns: "a child's drawing".
            if index < len(words) and words[index] in self._after_possessive:
                return True
        if index >= len(words):
            return False
        if _phrase_at(words, index, self._non_person, self._longest_noun):
            return True
        return words[index] in self._modifiers and _phrase_at(
            words, index + 1, self._non_person, self._longest_noun
        )

    def _ages(self, view: Sequence[Token]) -> Iterable[_Found]:
        words = [t.text for t in view]
        count = len(words)
        for index in range(count):
            number = self._number_at(words, index)
            if number is None:
                continue
            value, start, spelled = number
            after = words[index + 1 : index + 4]
            end = None
            action = Decision.BLOCK
            if after[:1] and after[0] in _YEAR_WORDS and after[1:2] == ["old"]:
                end = index + 3
            elif after[:1] in (["yo"], ["yearold"], ["yearsold"]):
                end = index + 2
            elif after[:2] == ["y", "o"]:
                end = index + 3
            elif after[:1] and after[0] in _BABY_AGE_WORDS and after[1:2] == ["old"]:
                value, end = 0, index + 3  # any age in months, weeks or days is a baby
            elif start > 0 and words[start - 1] in _EN_AGE_BEFORE and after[:1] != ["s"]:
                end = index + 1
            elif after[:1] and (after[0] in _FR_YEAR_WORDS or after[0] in _FR_BABY_AGE_WORDS):
                if after[0] in _FR_BABY_AGE_WORDS:
                    value = 0
                french = self._french_age(words, start, index + 2)
                if french is not None:  # else not a person's age: `end` stays None
                    action, end = french, index + 2
            elif (
                start > 1
                and words[start - 1] == "of"
                and (words[start - 2] in self._person or words[start - 2] in self._relatives)
                and not (after[:1] and after[0] in self._measures)
            ):
                end = index + 1  # "a girl of 10"
            elif self._is_birthday(words, index + 1, spelled):
                end = index + 1  # "her 8th birthday", "son huitième anniversaire"
            elif (
                start > 0
                and (words[start - 1] in self._person or words[start - 1] in self._relatives)
                and not spelled
                and not (after[:1] and (after[0] in self._measures or after[0].isdigit()))
            ):
                # "a girl, 12, riding a horse": most likely an age, but a number after a noun
                # can be many things, so a moderator looks.
                action, end = Decision.REVIEW, index + 1
            if end is None or value >= ADULT_AGE:
                continue
            if self._describes_non_person(words, end):
                continue  # "a 10-year-old whisky", "my 5 year old dog"
            rule = AGE_RULE_WORDS if spelled else AGE_RULE_DIGITS
            yield _Found(
                None,
                rule,
                Category.MINOR,
                action,
                view,
                words,
                start,
                end,
                Match.PATTERN,
                " ".join(words[start:end]),
            )

    def _french_age(self, words: Sequence[str], start: int, end: int) -> Decision | None:
        """Return the action for "<number> ans" at `start`, or None when it is not a person's age."""
        if words[end : end + 1] and words[end] in _FR_OF and end + 1 < len(words):
            return None  # "30 ans de mariage", "12 ans d'âge": a duration
        before = words[start - 1] if start > 0 else ""
        two_before = words[start - 2] if start > 1 else ""
        if before in _FR_HAS:
            # "il y a 10 ans" is "ten years ago"; "elle a 10 ans", "à 10 ans" are ages.
            return None if (before == "a" and two_before == "y") else Decision.BLOCK
        if before in _FR_POSSESSIVES:
            return Decision.BLOCK
        if before in _FR_OF:
            if two_before in self._person:
                return Decision.BLOCK
            if (
                _phrase_ending(words, start - 2, self._non_person, self._longest_noun)
                or two_before in self._duration
                or two_before.isdigit()
                or not two_before
            ):
                return None
            # "une danseuse de 12 ans": an unknown noun, most likely a person.
            return Decision.REVIEW
        return None

    # -- conditions on a match -------------------------------------------------------------------

    def _cancels(self, found: _Found) -> str | None:
        """Return why a match does not stand ("no context", "negated"), or None when it stands."""
        alias = found.alias
        if alias is None:
            return None
        words, first, last = found.words, found.first, found.last
        if alias.gate is Gate.CONTEXT and not self._has_context(alias, words, first, last):
            return "no context"
        if alias.negatives and self._negated(alias, words, first, last):
            return "negated"
        if found.category is Category.PUBLIC_FIGURE and self._names_a_place(words, first, last):
            return "negated"
        if alias.guard and self._qualifies_non_person(words, first, last):
            return "negated"
        return None

    def _has_context(self, alias: Alias, words, first: int, last: int) -> bool:
        # The alias itself never confirms itself ("Mario" is not context for "Mario").
        padded = " " + " ".join([*words[:first], "\x00", *words[last:]]) + " "
        return any(" " + " ".join(phrase) + " " in padded for phrase in alias.context)

    def _negated(self, alias: Alias, words, first: int, last: int) -> bool:
        negatives = alias.negatives
        for phrase in negatives.before:
            if first >= len(phrase) and tuple(words[first - len(phrase) : first]) == phrase:
                return True
        for phrase in negatives.after:
            if tuple(words[last : last + len(phrase)]) == phrase:
                return True
        if negatives.near:
            window = (
                " "
                + " ".join(
                    [
                        *words[max(0, first - NEAR_WINDOW) : first],
                        "\x00",
                        *words[last : last + NEAR_WINDOW],
                    ]
                )
                + " "
            )
            return any(" " + " ".join(phrase) + " " in window for phrase in negatives.near)
        return False

    def _names_a_place(self, words, first: int, last: int) -> bool:
        if last < len(words) and words[last] in self._place_after:
            return True
        before = first - 1
        if before >= 1 and words[before] in _PLACE_LINKS:
            before -= 1  # "rue du Général de Gaulle", "place de la Concorde"
        return before >= 0 and words[before] in self._place_before

    def _qualifies_non_person(self, words, first: int, last: int) -> bool:
        if self._describes_non_person(words, last):
            return True  # "baby elephant", "kid goat", "children's book", "baby blue"
        before = first - 1
        if before >= 1 and words[before] in _OBJECT_LINKS:
            before -= 1
        if before >= 0 and _phrase_ending(words, before, self._non_person, self._longest_noun):
            return True  # "a goat kid", "un dessin d'enfant", "un parc pour enfants"
        if first >= 1 and words[first - 1] in self._possessives:
            # "an elephant with her baby": the nearest noun before the possessive decides.
            for index in range(first - 2, max(-1, first - 8), -1):
                if words[index] in self._animal_words:
                    return True
                if words[index] in self._person:
                    return False
        return False

    # -- deciding ---------------------------------------------------------------------------------

    def _resolve(self, found: list[_Found], text: str, context: str) -> list[RuleHit]:
        # The same rule on the same words, found in several views: keep the best finding.
        unique: dict[tuple[str, tuple[int, int]], _Found] = {}
        for candidate in found:
            key = (candidate.rule, candidate.span)
            if key not in unique or self._rank(candidate) > self._rank(unique[key]):
                unique[key] = candidate
        # One hit per rule: the most severe, then the best match, then the longest.
        best: dict[str, _Found] = {}
        for candidate in self._outermost(list(unique.values())):
            current = best.get(candidate.rule)
            if current is None or self._rank(candidate) > self._rank(current):
                best[candidate.rule] = candidate
        hits = []
        for candidate in sorted(best.values(), key=lambda f: (f.span[0], f.rule)):
            action = candidate.action
            if context == "comment" and action is Decision.BLOCK:
                # A comment depicts nothing: naming a person or a character there is speech,
                # so a moderator reads it rather than the platform refusing it outright.
                action = Decision.REVIEW
            start, end = candidate.span
            hits.append(
                RuleHit(
                    rule=candidate.rule,
                    category=candidate.category,
                    action=action,
                    matched=text[start:end],
                    term=candidate.term,
                    match=candidate.match,
                )
            )
        return hits

    @staticmethod
    def _outermost(found: list[_Found]) -> Iterable[_Found]:
        """Drop the matches that lie inside a longer match of another rule.

        A name inside a longer one is part of it: "Michelle Obama" is not Barack Obama, "Baby
        Yoda" is not a baby, "Kamala Khan" is not Kamala Harris. Only overlapping matches can
        contain one another, so they are compared cluster by cluster.
        """
        found.sort(key=lambda f: f.span)
        cluster: list[_Found] = []
        cluster_end = -1
        for candidate in [*found, None]:
            if candidate is not None and candidate.span[0] < cluster_end:
                cluster.append(candidate)
                cluster_end = max(cluster_end, candidate.span[1])
                continue
            for inner in cluster:
                start, end = inner.span
                if not any(
                    outer.rule != inner.rule
                    and outer.span[0] <= start
                    and end <= outer.span[1]
                    and outer.span[1] - outer.span[0] > end - start
                    and outer.action.severity >= inner.action.severity
                    for outer in cluster
                ):
                    yield inner
            if candidate is not None:
                cluster, cluster_end = [candidate], candidate.span[1]

    @staticmethod
    def _rank(found: _Found) -> tuple[int, int, int]:
        return found.action.severity, _MATCH_QUALITY[found.match], found.last - found.first


@lru_cache(maxsize=1)
def default_engine() -> PolicyEngine:
    """Return the engine for the shipped lexicon, built once per process."""
    return PolicyEngine(default_lexicon())


def check(text: str, *, context: str = "prompt") -> Verdict:
    """Return the verdict of the shipped policy on `text` (no input validation: see services)."""
    return default_engine().check(text, context=context)
