"""The labelled development set and the two figures the policy is held to on it."""

from __future__ import annotations

import pytest

from moderation.policy import check
from moderation.policy.devset import load_devset, score

CAUGHT_AT_LEAST = 0.99
FRICTION_BELOW = 0.02


@pytest.fixture(scope="module")
def examples():
    return load_devset()


@pytest.fixture(scope="module")
def result(examples):
    return score(check, examples)


def test_the_devset_is_large_bilingual_and_covers_each_category_and_trap(examples):
    assert len(examples) >= 300
    harmful = [e for e in examples if e.harmful]
    assert {e.category for e in harmful} >= {"public_figure", "minor", "copyright", "trademark"}
    assert sum("evasion" in e.note for e in harmful) >= 40
    assert sum("trap" in e.note for e in examples if not e.harmful) >= 100
    assert sum(" fr" in f" {e.note}" or "fr " in e.note for e in examples) >= 60
    assert any("\u200b" in e.text for e in examples)  # escapes are decoded
    assert any(e.text.startswith("#") for e in examples)  # a hashtag is not a comment


def test_at_least_99_percent_of_harmful_texts_are_caught(result):
    missed = [e.text for e in result.missed]
    assert result.caught_rate >= CAUGHT_AT_LEAST, missed


def test_under_2_percent_of_harmless_texts_are_held(result):
    held = [(e.text, v.rule_ids) for e, v in result.friction]
    assert result.friction_rate < FRICTION_BELOW, held


def test_caught_texts_are_caught_for_the_expected_reason(result):
    assert [(e.text, e.category, v.categories) for e, v in result.wrong_category] == []
