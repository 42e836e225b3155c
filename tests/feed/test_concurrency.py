"""Counts stay exact when many people like and unlike one post at the same moment."""

from __future__ import annotations

import random
import threading

import pytest
from django.db import connection, connections

from feed.models import Like
from feed.services import comment_create, like_create, like_delete
from tests.factories import PostFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _run_threads(workers) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers))

    def wrap(work):
        try:
            barrier.wait()
            work()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=wrap, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    return errors


def test_many_threads_liking_and_unliking_one_post_leave_an_exact_count(postgres_only):
    post = PostFactory()
    users = UserFactory.create_batch(24)
    racer = UserFactory()
    rng = random.Random(7)
    expected_likers: set[int] = set()
    plans = []
    for index in range(8):
        plan = []
        for user in users[index * 3 : index * 3 + 3]:
            ops = [rng.random() < 0.6 for _ in range(12)]
            if ops[-1]:
                expected_likers.add(user.pk)
            plan += [(user, op) for op in ops]
        plans.append(plan)

    def worker(plan):
        def run():
            for user, like in plan:
                (like_create if like else like_delete)(user=user, post_id=post.pk)
        return run

    def racing():
        # Two threads race on the same person: likes stay idempotent under contention.
        for _ in range(15):
            like_create(user=racer, post_id=post.pk)
            like_delete(user=racer, post_id=post.pk)
        like_create(user=racer, post_id=post.pk)

    assert _run_threads([worker(p) for p in plans] + [racing, racing]) == []
    expected_likers.add(racer.pk)
    post.refresh_from_db()
    assert set(Like.objects.filter(post=post).values_list("user_id", flat=True)) == expected_likers
    assert post.like_count == len(expected_likers)


def test_concurrent_comments_are_all_counted(postgres_only):
    post = PostFactory()
    users = UserFactory.create_batch(6)

    def worker(user):
        def run():
            for n in range(10):
                comment_create(author=user, post_id=post.pk, body=f"comment {n}")
        return run

    assert _run_threads([worker(u) for u in users]) == []
    post.refresh_from_db()
    assert post.comment_count == 60
    assert connection.vendor == "postgresql"
