"""Background work of the feed, run by the Celery worker."""

from __future__ import annotations

from celery import shared_task

from .services import post_counts_reconcile


@shared_task(name="feed.post_counts_reconcile", acks_late=True, ignore_result=True)
def post_counts_reconcile_task(post_id: int) -> dict[str, int] | None:
    """Recount one post's likes and comments (safe to run any number of times)."""
    return post_counts_reconcile(post_id=post_id)
