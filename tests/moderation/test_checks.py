"""moderation.checks: text_check, the service other apps call, and the input it refuses; the
evidence recorded from verdicts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from moderation.checks import MAX_TEXT_LENGTH, text_check
from moderation.policy import Decision, Verdict


def test_text_check_returns_the_verdict():
    verdict = text_check(text="Darth Vader playing the violin", context="prompt")
    assert isinstance(verdict, Verdict)
    assert verdict.decision is Decision.BLOCK
    assert verdict.rule_ids == ("cr:darth-vader",)


@pytest.mark.parametrize("context", ["prompt", "caption", "comment"])
def test_text_check_accepts_each_kind_of_text(context):
    assert text_check(text="un chat qui dort", context=context).decision is Decision.ALLOW


@pytest.mark.parametrize("text", ["", "   ", "\n\t\n"])
def test_an_empty_text_is_refused(text):
    with pytest.raises(ValidationError) as error:
        text_check(text=text, context="prompt")
    assert error.value.code == "empty"


def test_a_text_at_the_limit_is_checked_and_one_past_it_is_refused():
    assert text_check(text="a" * MAX_TEXT_LENGTH, context="prompt").decision is Decision.ALLOW
    with pytest.raises(ValidationError) as error:
        text_check(text="a" * (MAX_TEXT_LENGTH + 1), context="prompt")
    assert error.value.code == "too_long"
    assert "5001" in error.value.messages[0] and "5000" in error.value.messages[0]


@pytest.mark.parametrize("char", ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\r", "\ud800"])
def test_control_characters_are_refused(char):
    with pytest.raises(ValidationError) as error:
        text_check(text=f"un chat{char}", context="prompt")
    assert error.value.code == "control_character"
    assert "position 7" in error.value.messages[0]


def test_newlines_tabs_and_browser_line_endings_are_accepted():
    verdict = text_check(text="Ligne un\r\nligne deux\tavec Pikachu\n", context="caption")
    assert verdict.rule_ids == ("cr:pikachu",)


def test_a_non_string_is_refused():
    with pytest.raises(ValidationError) as error:
        text_check(text=None, context="prompt")
    assert error.value.code == "invalid"


def test_an_unknown_context_is_a_programming_error():
    with pytest.raises(ValueError, match="context"):
        text_check(text="un chat", context="bio")


def test_evidence_is_plain_json_even_when_detectors_return_numpy_values():
    import numpy as np

    from moderation.checks import evidence_from_verdicts
    from moderation.media.types import Decision as MediaDecision
    from moderation.media.types import Finding, MediaVerdict

    finding = Finding(
        check="face_bank", category="public_figure", rule="media:face:1", action=MediaDecision.REVIEW,
        score=0.4, frame_index=0, time=0.5, evidence={"box": np.array([1, 2, 3, 4]), "distance": np.float32(0.25)},
    )
    verdict = MediaVerdict(
        decision=MediaDecision.REVIEW, findings=(finding,), checks_run=("face_bank",), checks_failed=(), policy_version="m",
    )
    evidence, categories = evidence_from_verdicts(media=verdict)
    assert evidence["media"]["findings"][0]["evidence"] == {"box": [1, 2, 3, 4], "distance": 0.25}
    assert categories == ["public_figure"]
