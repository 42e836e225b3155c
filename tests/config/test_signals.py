"""Signals sent on commit: after the change is visible, to every receiver even if one fails."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction
from django.dispatch import Signal

from config.signals import on_commit_send

pytestmark = pytest.mark.django_db


def test_every_receiver_hears_the_signal_once_committed_even_after_one_fails(
    django_capture_on_commit_callbacks, caplog
):
    happened = Signal()
    heard: list[str] = []

    def first(sender, **kwargs):
        heard.append(f"first {kwargs['what']}")

    def broken(sender, **kwargs):
        raise RuntimeError("this receiver is broken")

    def last(sender, **kwargs):
        heard.append(f"last {kwargs['what']}")

    for receiver in (first, broken, last):
        happened.connect(receiver, weak=False)
    after: list[str] = []
    with caplog.at_level(logging.ERROR, logger="config.signals"), \
            django_capture_on_commit_callbacks(execute=True):
        on_commit_send(happened, sender=object, what="decided")
        transaction.on_commit(lambda: after.append("next callback"))
        assert heard == []  # nothing before the commit
    assert heard == ["first decided", "last decided"]
    assert after == ["next callback"]
    assert "broken" in caplog.text


def test_a_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    happened = Signal()
    heard: list[str] = []
    happened.connect(lambda sender, **kwargs: heard.append("heard"), weak=False)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                on_commit_send(happened, sender=object)
                raise ValueError("roll back")
        except ValueError:
            pass
    assert callbacks == [] and heard == []
