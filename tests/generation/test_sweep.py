"""The sweep (`generation.sweep`): a dead worker's job queued and sent again, a job out of
attempts failed for free, messages that were never sent or vanished sent again, and the
broker's count of waiting messages. tests/generation/test_tasks.py runs it under Celery beat
against a Redis restarted empty and a worker SIGKILLed."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from config.celery_app import app as celery_app
from generation import sweep
from generation.models import GenerationJob
from generation.selectors import quota_get
from generation.sweep import jobs_sweep, queue_depth
from tests.support.jobs import submit

pytestmark = pytest.mark.django_db(transaction=False)

State = GenerationJob.State


def _ago(seconds: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=seconds)


def _job(user, **fields) -> GenerationJob:
    job = submit(owner=user, prompt="a harbour at dawn", duration=1, tier="low", enqueue=False)
    GenerationJob.objects.filter(pk=job.pk).update(**fields)
    return GenerationJob.objects.get(pk=job.pk)


def _held(user, *, beat_ago: float, **fields) -> GenerationJob:
    return _job(user, state=State.RUNNING, lease="theirs", lease_owner="elsewhere/1/2/3", heartbeat_at=_ago(beat_ago),
                attempts=1, **fields)


def test_a_job_whose_worker_went_silent_is_queued_and_sent_again_and_charged_once(user, settings, sent_jobs):
    silent = _held(user, beat_ago=settings.GENERATION_LEASE_SECONDS + 1)
    busy = _held(user, beat_ago=1)
    report = jobs_sweep()
    assert (report.requeued, report.sent) == ([silent.pk], [silent.pk])
    assert sent_jobs == [silent.pk]
    silent.refresh_from_db()
    assert (silent.state, silent.lease) == (State.QUEUED, "") and silent.sent_at is not None
    assert GenerationJob.objects.get(pk=busy.pk).state == State.RUNNING
    assert quota_get(user).used == 2  # the two jobs, each once
    assert not jobs_sweep()  # nothing more to do


def test_a_job_tried_too_often_fails_costs_nothing_and_is_not_sent(user, settings, sent_jobs):
    job = _held(user, beat_ago=settings.GENERATION_LEASE_SECONDS + 1)
    GenerationJob.objects.filter(pk=job.pk).update(attempts=settings.GENERATION_MAX_ATTEMPTS)
    report = jobs_sweep()
    assert report.failed == [job.pk] and not sent_jobs
    assert GenerationJob.objects.get(pk=job.pk).state == State.FAILED
    assert quota_get(user).used == 0


def test_a_queued_job_whose_message_was_never_sent_is_sent(user, sent_jobs):
    job = _job(user, sent_at=None)
    assert jobs_sweep().sent == [job.pk] and sent_jobs == [job.pk]
    assert GenerationJob.objects.get(pk=job.pk).sent_at is not None


def test_overdue_jobs_are_sent_again_only_when_the_queue_lost_messages(user, settings, sent_jobs, monkeypatch):
    overdue = [_job(user, sent_at=_ago(settings.GENERATION_REQUEUE_SECONDS + 1)).pk for _ in range(3)]
    _job(user, sent_at=timezone.now())  # just sent
    depth = {"value": 4}
    monkeypatch.setattr(sweep, "queue_depth", lambda queue: depth["value"])
    # A long queue that still holds a message for every job: nothing is doubled.
    assert not jobs_sweep() and not sent_jobs
    # Fewer messages than jobs: some vanished, so every overdue job is sent again, once.
    depth["value"] = 1
    assert jobs_sweep().sent == overdue
    assert not jobs_sweep()
    assert sent_jobs == overdue
    # A broker that cannot say how many it holds counts as one that lost them.
    depth["value"] = None
    GenerationJob.objects.filter(pk__in=overdue).update(sent_at=_ago(settings.GENERATION_REQUEUE_SECONDS + 1))
    assert jobs_sweep().sent == overdue


def test_while_the_broker_is_down_the_jobs_wait_unsent_for_the_next_sweep(user, monkeypatch, sent_jobs):
    jobs = [_job(user, sent_at=None).pk for _ in range(3)]
    real_send = celery_app.send_task
    tries = []

    def down(*args, **kwargs):
        tries.append(args)
        raise BrokerDown("connection refused")

    monkeypatch.setattr(celery_app, "send_task", down)
    report = jobs_sweep()
    assert report.broker_down and not report.sent and len(tries) == 1  # no waiting on each job
    assert list(GenerationJob.objects.filter(pk__in=jobs).values_list("sent_at", flat=True)) == [None] * 3
    monkeypatch.setattr(celery_app, "send_task", real_send)
    assert jobs_sweep().sent == jobs and sent_jobs == jobs


def test_queue_depth_counts_the_messages_waiting_on_the_broker():
    """On the configured broker (the filesystem broker locally, Redis in CI)."""
    queue = f"test-depth-{uuid.uuid4().hex[:8]}"
    assert queue_depth(queue) == 0
    try:
        for _ in range(2):
            celery_app.send_task("generation.job_render", args=[0], queue=queue)
        assert queue_depth(queue) == 2
    finally:
        with celery_app.connection_for_write() as connection:
            connection.default_channel.queue_purge(queue)
