"""Background work of the feed, run by the Celery worker."""

from __future__ import annotations

from celery import shared_task

from .services import post_counts_reconcile, posts_recheck_against_bank


@shared_task(name="feed.post_counts_reconcile", acks_late=True, ignore_result=True)
def post_counts_reconcile_task(post_id: int) -> dict[str, int] | None:
    """Recount one post's likes and comments (safe to run any number of times)."""
    return post_counts_reconcile(post_id=post_id)


@shared_task(name="feed.posts_recheck_against_bank", acks_late=True, ignore_result=True)
def posts_recheck_against_bank_task(entry_id: int) -> int:
    """Recheck published videos against a new bank entry (idempotent: matches are already held)."""
    return posts_recheck_against_bank(entry_id=entry_id)
