"""Writes in generation (`generation.services`): creating the job a checked request describes,
regenerating it, and an upheld appeal of a refused prompt."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from generation.models import GenerationJob
from generation.selectors import quota_get
from generation.services import job_create, job_regenerate
from generation.submission import job_check
from moderation.models import Case
from tests.support.jobs import run_to_draft, submit, submit_and_send

pytestmark = pytest.mark.django_db(transaction=False)


def test_a_blocked_request_is_kept_as_a_blocked_job_with_a_decided_case_then_refused(
    user, sent_jobs, django_capture_on_commit_callbacks
):
    request = job_check(owner=user, prompt="Mickey Mouse eating a pizza", duration=2)
    assert request.refusal is not None
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError) as refused:
        job_create(request=request)
    assert refused.value is request.refusal
    job = GenerationJob.objects.get()
    assert (job.state, job.review, job.duration) == (GenerationJob.State.BLOCKED, GenerationJob.Review.BLOCK, 2)
    assert job.error == request.refusal.message_text
    case = Case.objects.get()
    assert (case.kind, case.subject, case.subject_owner) == (Case.Kind.HELD_PROMPT, job, user)
    assert (case.state, case.outcome) == (Case.State.DECIDED, Case.Outcome.REJECTED)
    assert case.decisions.get().moderator is None
    assert not sent_jobs and quota_get(user).used == 0


def test_a_refused_prompt_can_be_appealed_once_and_an_upheld_appeal_queues_it(user, sent_jobs,
                                                                           django_capture_on_commit_callbacks):
    from moderation.models import Case
    from moderation.services import appeal_create, case_claim, case_decide
    from tests.moderation.test_cases import make_moderator

    with pytest.raises(ValidationError):
        submit(owner=user, prompt="Mickey Mouse eating a pizza")
    job = GenerationJob.objects.get()
    refusal = Case.objects.get(kind="held_prompt")
    assert refusal.outcome == "rejected" and refusal.decisions.get().moderator is None
    appeal = appeal_create(user=user, case=refusal, message="It is my own cartoon mouse, not theirs.")
    with pytest.raises(ValidationError):
        appeal_create(user=user, case=refusal, message="Again")
    moderator = make_moderator()
    case_claim(case=appeal, moderator=moderator)
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=appeal, moderator=moderator, action="approve", note="An original character.")
    job.refresh_from_db()
    assert job.state == "queued" and job.pk in sent_jobs


def test_regenerate_with_the_same_seed_gives_the_same_video(user, sent_jobs, django_capture_on_commit_callbacks):
    first = run_to_draft(submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="a lantern", duration=1,
                                         tier="low", seed=11), django_capture_on_commit_callbacks, sent_jobs)
    with django_capture_on_commit_callbacks(execute=True):
        again = job_regenerate(job=first, user=user)
    again = run_to_draft(again, django_capture_on_commit_callbacks, sent_jobs)
    assert again.seed == 11
    # The same pictures, frame for frame: the registry hashes the frames before encoding (the
    # encoder's bytes may differ from run to run; what it was given does not).
    assert again.registry.frame_hashes == first.registry.frame_hashes
    assert again.parameters["passes"] == first.parameters["passes"]
    with django_capture_on_commit_callbacks(execute=True):
        other = job_regenerate(job=first, user=user, new_seed=True)
    assert other.prompt == first.prompt


def test_a_job_submitted_while_the_broker_is_down_is_committed_queued_and_left_to_the_sweep(
    user, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError as BrokerDown

    from config.celery_app import app

    def down(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(app, "send_task", down)
    with django_capture_on_commit_callbacks(execute=True):
        job = submit(owner=user, prompt="a kite over the dunes", duration=1)
    job.refresh_from_db()
    # The submission succeeded: the job exists and will run, its message never sent.
    assert job.state == GenerationJob.State.QUEUED and job.sent_at is None


def test_a_queued_job_is_recorded_as_sent_in_the_transaction_that_makes_it(user, sent_jobs,
                                                                          django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = submit(owner=user, prompt="a kite over the dunes", duration=1)
    assert GenerationJob.objects.get(pk=job.pk).sent_at is not None and not sent_jobs
    callbacks[0]()
    assert sent_jobs == [job.pk]
