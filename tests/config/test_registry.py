"""The registry: how a lower app asks a question that a higher app answers."""

from __future__ import annotations

from config.registry import Registry


def test_an_answer_is_found_under_its_key_and_a_missing_one_is_none():
    questions: Registry[int] = Registry("test.questions")
    assert questions.get("a") is None and "a" not in questions
    questions.register("b", 2)
    questions.register("a", 1)
    assert questions.get("a") == 1 and "a" in questions
    assert list(questions) == [("a", 1), ("b", 2)] and questions.keys() == ["a", "b"]
    questions.register("a", 3)  # registering again replaces
    questions.unregister("b")
    assert list(questions) == [("a", 3)]


def test_the_apps_answer_the_questions_asked_of_them():
    from accounts.profiles import profile_sections
    from generation.sources import POST, remix_sources
    from moderation.subjects import subject_types

    assert remix_sources.get(POST) is not None
    assert subject_types.keys() == ["comment", "post", "user"]
    assert profile_sections.keys() == ["videos"]
