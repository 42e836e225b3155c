"""Sending a signal once the transaction that caused it has committed.

A signal that tells other apps what happened (a case decided, a bank entry added) must not
reach them before the change is visible, nor at all if it rolls back. Its receivers are
independent of each other: one that fails is logged and the others still run, and so do
the other callbacks waiting on the same commit.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)


def signal_send_robust(signal: Signal, *, sender: Any, **arguments: Any) -> list[tuple[Any, Any]]:
    """Send `signal` to every receiver now, logging each one that raises; return the responses."""
    responses = signal.send_robust(sender=sender, **arguments)
    for receiver, response in responses:
        if isinstance(response, Exception):
            logger.error(
                "receiver %s of a %s signal failed", getattr(receiver, "__qualname__", receiver),
                getattr(sender, "__name__", sender), exc_info=response,
            )
    return responses


def on_commit_send(signal: Signal, *, sender: Any, **arguments: Any) -> None:
    """Send `signal` to every receiver once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: signal_send_robust(signal, sender=sender, **arguments), robust=True)
