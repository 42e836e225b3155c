"""The feed's background task runs in a real worker process, on the real broker."""

from __future__ import annotations

import pytest

from feed.models import Like, Post
from feed.services import post_counts_reconcile
from feed.tasks import post_counts_reconcile_task
from tests.factories import LikeFactory, PostFactory
from tests.support.worker import celery_worker, wait_for


@pytest.mark.django_db
def test_reconcile_repairs_drifted_counters():
    post = PostFactory()
    LikeFactory.create_batch(3, post=post)  # rows written behind the services' back
    assert Post.objects.get(pk=post.pk).like_count == 0
    assert post_counts_reconcile(post_id=post.pk) == {"like_count": 3, "comment_count": 0}
    assert post_counts_reconcile(post_id=123_456) is None


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_process_runs_the_task_from_the_broker():
    post = PostFactory()
    LikeFactory.create_batch(2, post=post)
    with celery_worker() as worker:
        post_counts_reconcile_task.apply_async(args=[post.pk], queue=worker["queue"])
        wait_for(
            lambda: Post.objects.get(pk=post.pk).like_count == Like.objects.filter(post=post).count(),
            log=worker["log"],
        )
