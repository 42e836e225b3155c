"""The lease on a job row (`generation.lease`): who may claim a job, knowing that its holder
died, the retry of an interrupted try, the sweep's end of a stale lease, and the heartbeat."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import time

import pytest
from django.db import IntegrityError, InterfaceError, OperationalError
from django.utils import timezone

from generation import lease
from generation.lease import (
    Heartbeat,
    TransientError,
    database_outage,
    holder_gone,
    job_claim,
    lease_expire,
    worker_identity,
)
from generation.models import GenerationJob
from generation.selectors import quota_get
from tests.support.jobs import submit

pytestmark = pytest.mark.django_db(transaction=False)

State = GenerationJob.State


def _job(user, **fields) -> GenerationJob:
    job = submit(owner=user, prompt="a lighthouse at night", duration=1, tier="low", enqueue=False)
    if fields:
        GenerationJob.objects.filter(pk=job.pk).update(**fields)
    return GenerationJob.objects.get(pk=job.pk)


def _held(user, *, owner: str = "elsewhere/1/2/3", beat_ago: float = 0.0, attempts: int = 1,
          held_by: str = "theirs", **fields) -> GenerationJob:
    """A job a worker holds, whose lease it last renewed `beat_ago` seconds ago."""
    return _job(user, state=State.RUNNING, phase="rendering", lease=held_by, lease_owner=owner, attempts=attempts,
                heartbeat_at=timezone.now() - dt.timedelta(seconds=beat_ago), **fields)


def _identity(pid: int, started: str | None = None) -> str:
    """The lease owner a process `pid` of this machine writes."""
    if started is None:
        status = lease._process_start(pid)
        started = status[1] if status else ""
    return f"{socket.gethostname()}/{lease._pid_namespace()}/{pid}/{started}"


def _dead_identity() -> str:
    child = subprocess.Popen(["true"])
    identity = _identity(child.pid)
    child.wait()
    return identity


# --- Claiming


def test_a_queued_job_is_claimed_once_and_names_the_process_that_holds_it(user, settings):
    settings.GENERATION_HEARTBEAT_SECONDS = 60
    job = _job(user)
    assert job_claim(job.pk, "mine")
    with Heartbeat(job.pk, "mine"):  # running here: a second delivery is refused
        assert not job_claim(job.pk, "another")
    job.refresh_from_db()
    assert (job.state, job.lease, job.attempts, job.error) == (State.RUNNING, "mine", 1, "")
    assert job.lease_owner == worker_identity()
    assert job.lease_owner.split("/")[2] == str(os.getpid())
    # A try of this process that ended without giving the job back has left it for good.
    assert job_claim(job.pk, "another")


def test_a_lease_a_live_worker_renews_is_never_taken(user):
    job = _held(user, beat_ago=1)
    assert not job_claim(job.pk, "mine")
    assert GenerationJob.objects.get(pk=job.pk).lease == "theirs"


def test_a_stale_lease_is_taken_and_counts_an_attempt(user, settings):
    job = _held(user, beat_ago=settings.GENERATION_LEASE_SECONDS + 1)
    assert job_claim(job.pk, "mine")
    job.refresh_from_db()
    assert (job.lease, job.attempts) == ("mine", 2)


def test_a_retry_takes_its_own_job_back_without_counting_another_attempt(user):
    """The try was interrupted by a database outage that also kept it from releasing the
    job: the lease is fresh, but it is the retry's own."""
    job = _held(user, held_by="mine", beat_ago=1)
    assert job_claim(job.pk, "mine")
    job.refresh_from_db()
    assert (job.state, job.lease, job.attempts) == (State.RUNNING, "mine", 1)


def test_a_fresh_lease_whose_process_died_on_this_machine_is_taken_at_once(user):
    """Celery replaced a killed pool process, and gave its task back: no need to wait."""
    job = _held(user, owner=_dead_identity(), beat_ago=0)
    assert job_claim(job.pk, "mine")
    job.refresh_from_db()
    assert (job.lease, job.attempts) == ("mine", 2)


def test_a_cancelled_job_is_never_claimed(user):
    job = _job(user, cancel_requested=True)
    assert not job_claim(job.pk, "mine")


# --- Knowing that a holder is gone


def test_a_process_that_exited_or_is_a_zombie_is_gone_and_a_live_one_is_not():
    assert holder_gone(_dead_identity(), 1)
    zombie = subprocess.Popen(["true"])
    identity = _identity(zombie.pid)
    deadline = time.monotonic() + 10
    while (lease._process_start(zombie.pid) or ("Z",))[0] != "Z":  # exited, not yet reaped
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert holder_gone(identity, 1)
    zombie.wait()
    with subprocess.Popen(["sleep", "30"]) as alive:
        try:
            assert not holder_gone(_identity(alive.pid), 1)
            # The same PID with another start time is another process: the holder is gone.
            assert holder_gone(_identity(alive.pid, started="1"), 1)
        finally:
            alive.kill()


@pytest.mark.parametrize("identity", [
    "another-host/4026531836/1/1",  # another machine: nothing can be known
    f"{socket.gethostname()}/1/1/1",  # another PID namespace (a container) of this host
    "",
    "garbage",
])
def test_a_holder_that_cannot_be_seen_from_here_is_not_gone(identity):
    assert not holder_gone(identity, 1)


def test_this_process_holds_a_job_only_while_it_runs_it(settings):
    settings.GENERATION_HEARTBEAT_SECONDS = 60
    assert holder_gone(worker_identity(), 12345)
    with Heartbeat(12345, "mine"):
        assert not holder_gone(worker_identity(), 12345)
    assert holder_gone(worker_identity(), 12345)


# --- The sweep's end of a stale lease


def test_a_stale_lease_sends_its_job_back_to_the_queue_with_a_word_for_its_creator(user, settings):
    job = _held(user, beat_ago=settings.GENERATION_LEASE_SECONDS + 1)
    assert lease_expire(job.pk, "theirs") == State.QUEUED
    job.refresh_from_db()
    assert (job.state, job.phase, job.lease, job.lease_owner) == (State.QUEUED, "queued", "", "")
    assert "stopped" in job.error and job.sent_at is not None
    assert quota_get(user).used == 1  # one job, charged once however often it is taken over


def test_a_job_out_of_attempts_fails_and_costs_nothing(user, settings):
    job = _held(user, beat_ago=settings.GENERATION_LEASE_SECONDS + 1, attempts=settings.GENERATION_MAX_ATTEMPTS)
    assert lease_expire(job.pk, "theirs") == State.FAILED
    job.refresh_from_db()
    assert job.state == State.FAILED and job.finished_at and str(settings.GENERATION_MAX_ATTEMPTS) in job.error
    assert quota_get(user).used == 0


def test_a_job_cancelled_while_its_worker_was_dead_is_closed(user, settings):
    job = _held(user, beat_ago=settings.GENERATION_LEASE_SECONDS + 1, cancel_requested=True)
    assert lease_expire(job.pk, "theirs") == State.CANCELLED
    assert GenerationJob.objects.get(pk=job.pk).state == State.CANCELLED


def test_a_lease_renewed_or_passed_on_meanwhile_is_left_alone(user, settings):
    job = _held(user, beat_ago=1)
    assert lease_expire(job.pk, "theirs") is None
    stale = _held(user, beat_ago=settings.GENERATION_LEASE_SECONDS + 1)
    assert lease_expire(stale.pk, "an older one") is None
    assert GenerationJob.objects.get(pk=stale.pk).state == State.RUNNING


# --- Outages


@pytest.mark.parametrize("error", [OperationalError("server closed the connection"), InterfaceError("closed")])
def test_a_lost_database_connection_is_a_transient_error(error):
    with pytest.raises(TransientError) as raised, database_outage():
        raise error
    assert raised.value.__cause__ is error


def test_other_database_errors_are_the_job_s_own():
    with pytest.raises(IntegrityError), database_outage():
        raise IntegrityError("duplicate")


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_and_outlives_a_failed_renewal(user, settings, monkeypatch):
    settings.GENERATION_HEARTBEAT_SECONDS = 0.2
    job = _held(user, beat_ago=5)
    real = lease.lease_held
    calls = []

    def once_down(job_id, token):
        calls.append(job_id)
        if len(calls) == 1:
            raise OperationalError("the database is restarting")
        return real(job_id, token)

    monkeypatch.setattr(lease, "lease_held", once_down)
    with Heartbeat(job.pk, "theirs"):
        deadline = time.monotonic() + 10
        while GenerationJob.objects.get(pk=job.pk).heartbeat_at < timezone.now() - dt.timedelta(seconds=2):
            assert time.monotonic() < deadline, calls
            time.sleep(0.05)
    assert len(calls) >= 2
