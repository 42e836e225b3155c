"""The policy data: enough real entries, well formed, and refused loudly when malformed."""

from __future__ import annotations

import re
import shutil
from collections import Counter

import pytest

from moderation.policy.lexicon import DATA_DIR, Gate, LexiconError, default_lexicon, load_lexicon
from moderation.policy.verdict import Category


@pytest.fixture(scope="module")
def lexicon():
    return default_lexicon()


def test_the_lexicons_hold_enough_entries(lexicon):
    counts = Counter(entry.category for entry in lexicon.entries)
    assert counts[Category.PUBLIC_FIGURE] >= 500
    assert counts[Category.COPYRIGHT] >= 300
    assert counts[Category.TRADEMARK] >= 30
    assert counts[Category.MINOR] >= 6


def test_french_figures_and_french_titles_are_covered(lexicon):
    aliases = {alias.text for alias in lexicon.aliases}
    for french in [
        "dark vador",
        "la reine des neiges",
        "bob l eponge",
        "sangoku",
        "les schtroumpfs",
        "pat patrouille",
        "buzz l eclair",
        "flash mcqueen",
        "winnie l ourson",
        "poudlard",
        "charles de gaulle",
        "edith piaf",
        "kylian mbappe",
        "jean luc melenchon",
        "coluche",
    ]:
        assert french in aliases, french


def test_historical_and_deceased_figures_are_covered(lexicon):
    rules = {entry.rule for entry in lexicon.entries}
    for rule in [
        "pf:napoleon-bonaparte",
        "pf:jeanne-darc",
        "pf:marie-curie",
        "pf:adolf-hitler",
        "pf:michael-jackson",
        "pf:johnny-hallyday",
        "pf:elizabeth-ii",
    ]:
        assert rule in rules


def test_rule_ids_are_unique_and_well_formed(lexicon):
    rules = [entry.rule for entry in lexicon.entries]
    assert len(rules) == len(set(rules))
    assert all(re.fullmatch(r"(pf|cr|tm|minor):[a-z0-9]+(-[a-z0-9]+)*", rule) for rule in rules)


def test_every_alias_has_words_and_short_aliases_are_gated(lexicon):
    for alias in lexicon.aliases:
        assert alias.words
        if (
            alias.gate is Gate.PLAIN
            and len(alias.words) == 1
            and alias.entry.category is not Category.MINOR
        ):
            # Two letters name nothing reliably ("MJ", "U2" need context).
            assert len(alias.words[0]) >= 3, alias


def test_context_gated_aliases_have_context_words(lexicon):
    assert all(alias.context for alias in lexicon.aliases if alias.gate is Gate.CONTEXT)


def test_the_version_file_is_read(lexicon):
    assert lexicon.version == (DATA_DIR / "VERSION").read_text().strip()
    assert re.fullmatch(r"\d{4}\.\d{1,2}\.\d+", lexicon.version)


@pytest.fixture
def data_copy(tmp_path):
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def _append(path, line):
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")


def test_an_unknown_word_group_is_refused_with_file_and_line(data_copy):
    _append(data_copy / "public_figures.tsv", "someone\tSome One\t~One\tpolitics\t@nowhere\t")
    with pytest.raises(LexiconError, match=r"public_figures\.tsv:\d+: unknown word group @nowhere"):
        load_lexicon(data_copy)


def test_a_duplicate_id_is_refused(data_copy):
    _append(data_copy / "copyright.tsv", "pikachu\tPikachu again\t\tcharacter\tNintendo\t\t")
    with pytest.raises(LexiconError, match="used twice"):
        load_lexicon(data_copy)


def test_a_gated_alias_without_context_is_refused(data_copy):
    _append(data_copy / "copyright.tsv", "someone\tSomeone Else\t~Else\tcharacter\tNobody\t\t")
    with pytest.raises(LexiconError, match="needs context words"):
        load_lexicon(data_copy)


def test_a_name_that_is_also_its_gated_alias_is_refused(data_copy):
    _append(data_copy / "copyright.tsv", "cars-two\tCars\t~Cars\tfranchise\tPixar\tpixar\t")
    with pytest.raises(LexiconError, match="also the gated alias"):
        load_lexicon(data_copy)


def test_a_row_with_too_many_columns_is_refused(data_copy):
    _append(data_copy / "minors.tsv", "minor:x\tblock\t-\tkid\t\textra")
    with pytest.raises(LexiconError, match=r"minors\.tsv:\d+: 6 columns"):
        load_lexicon(data_copy)


def test_a_bad_minors_action_is_refused(data_copy):
    _append(data_copy / "minors.tsv", "minor:x\tmaybe\t-\tkid\t")
    with pytest.raises(LexiconError, match="action must be block or review"):
        load_lexicon(data_copy)
