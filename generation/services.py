"""Writes in generation: creating jobs from checked requests, cancelling, regenerating and
deleting them, and what a moderator's decision or a withdrawn consent does to them.

A request is checked first (`generation.submission.job_check`, which writes nothing); the
write step here creates exactly what the check decided. A blocked prompt is kept as an
appealable `blocked` job that costs nothing; a prompt to review waits, held, for a
moderator; anything else is queued, and reaches the `gpu` queue only once its row is
committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from cameo.consent import consent_check
from cameo.services import appearances_record
from config.celery_app import app as celery_app
from config.files import files_delete_on_commit, stored
from moderation.checks import evidence_from_verdicts
from moderation.enums import CaseKind
from moderation.services import case_open, refusal_record

from .models import GenerationJob
from .submission import JobRequest, job_check_again

logger = logging.getLogger(__name__)

Mode = GenerationJob.Mode
State = GenerationJob.State
Review = GenerationJob.Review

# A held or queued job can be stopped at once; a running one at its next step.
WAITING_STATES = (State.HELD, State.QUEUED)
# The worker's task that renders a job (`generation.tasks.job_render_task`).
JOB_RENDER_TASK = "generation.job_render"


def job_create(*, request: JobRequest, enqueue: bool = True) -> GenerationJob:
    """Create the job `request` describes, and queue it once committed (unless `enqueue` is
    false: the caller runs it itself, as the `generate` command does).

    A request whose prompt the policy blocked is kept as a `blocked` job with a decided case,
    never queued nor charged, so its author can appeal once; then its refusal is raised.
    """
    if request.refusal is not None:
        with transaction.atomic():
            _blocked_create(request)
        raise request.refusal
    with transaction.atomic():
        job = _job_new(request, state=State.HELD if request.held else State.QUEUED)
        job.text_verdict = {
            "prompt": request.prompt_verdict.to_dict() if request.prompt_verdict else {},
            "shots": [v.to_dict() for v in request.shot_verdicts],
        }
        if request.image is not None:
            job.source_image.save("source.png", request.image, save=False)
        if not request.held:  # sent now, or run at once by the caller: nothing for the sweep to send
            job.sent_at = timezone.now()
        job.save()
        appearances_record(job_id=job.pk, user=request.owner, cameos=request.cameos, prompt=request.consent_prompt)
        if request.held:
            evidence, categories = evidence_from_verdicts(text=request.review_verdict, media=request.image_verdict)
            evidence["prompt"] = request.prompt
            case_open(kind=CaseKind.HELD_PROMPT, subject=job, evidence=evidence, categories=categories,
                      owner=request.owner)
        elif enqueue:
            job_enqueue(job)
    return job


def _job_new(request: JobRequest, *, state: str) -> GenerationJob:
    job = GenerationJob(
        owner=request.owner, mode=request.mode, prompt=request.prompt, negative_prompt=request.negative_prompt,
        style=request.style, duration=request.duration, aspect_ratio=request.aspect_ratio, tier=request.tier,
        seed=request.seed, shots=[shot.as_dict() for shot in request.shots], width=request.width,
        height=request.height, fps=settings.GENERATION_FPS, steps=settings.GENERATION_STEPS,
        parameters=request.parameters(),
    )
    if request.source_post is not None:
        job.source_post_id, job.credited = request.source_post.post_id, request.source_post.author
        job.source_job_id = request.source_post.job_id
    elif request.source_job is not None:
        job.source_job = request.source_job
    job.state_set(state)
    return job


def _blocked_create(request: JobRequest) -> GenerationJob:
    """Keep a refused request as a blocked job (never queued, never charged), appealable."""
    refusal = request.refusal
    assert refusal is not None
    job = _job_new(request, state=State.BLOCKED)
    job.review, job.error, job.finished_at = Review.BLOCK, refusal.message_text, timezone.now()
    job.text_verdict = {"prompt": refusal.verdict.to_dict()}
    job.save()
    evidence, categories = evidence_from_verdicts(text=refusal.verdict)
    evidence["prompt"] = job.prompt
    refusal_record(kind=CaseKind.HELD_PROMPT, subject=job, owner=request.owner, evidence=evidence,
                   categories=categories, note=refusal.message_text)
    return job


def job_enqueue(job: GenerationJob) -> None:
    """Send `job` to the `gpu` queue once the transaction that made it commits.

    The task is sent by name: the web side never loads the worker's code (the model, the
    encoder). The job row stays the source of truth if the broker is unreachable: the job
    is recorded as sent in the same transaction, and as not sent if sending fails, and the
    sweep (`generation.sweep`) sends it. A submission is therefore committed and will run,
    or fails as a whole.
    """
    job_id, job.sent_at = job.pk, timezone.now()
    GenerationJob.objects.filter(pk=job_id).update(sent_at=job.sent_at)
    transaction.on_commit(lambda: _job_send_or_leave_to_sweep(job_id))


def job_send(job_id: int) -> None:
    """Send the task that renders job `job_id` now; raise whatever the broker raises."""
    celery_app.send_task(JOB_RENDER_TASK, args=[job_id], queue=settings.GENERATION_QUEUE)


def _job_send_or_leave_to_sweep(job_id: int) -> None:
    try:
        job_send(job_id)
    except Exception:
        logger.warning("job %s: its task could not be sent; the sweep will send it", job_id, exc_info=True)
        try:
            GenerationJob.objects.filter(pk=job_id, state=State.QUEUED).update(sent_at=None)
        except Exception:  # the sweep still finds it, once its message is overdue
            logger.warning("job %s: could not record that its task was not sent", job_id, exc_info=True)


# --- After submission


def _owner_check(job: GenerationJob, user: User) -> None:
    if job.owner_id != user.pk:
        raise PermissionDenied(_("This is not your video."))


@transaction.atomic
def job_cancel(*, job: GenerationJob, user: User) -> GenerationJob:
    """Cancel a held, queued or running job; a running one stops at its next step."""
    _owner_check(job, user)
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    if job.is_finished:
        raise ValidationError({"non_field_errors": [_("This job has already finished.")]})
    job.cancel_requested = True
    fields = ["cancel_requested"]
    if job.state in WAITING_STATES:
        fields += job.state_set(State.CANCELLED)
        job.finished_at = timezone.now()
        fields.append("finished_at")
    job.save(update_fields=fields)
    return job


def jobs_cancel_by_system(*, job_ids: Sequence[int], reason: str) -> int:
    """Cancel jobs for a reason their owner did not choose (e.g. consent withdrawn); return
    how many stopped at once (running ones stop at their next step)."""
    stopped = GenerationJob.objects.filter(pk__in=job_ids, state__in=WAITING_STATES).update(
        **GenerationJob.state_fields(State.CANCELLED), finished_at=timezone.now(), cancel_requested=True,
        error=reason,
    )
    GenerationJob.objects.filter(pk__in=job_ids, state__in=GenerationJob.ACTIVE_STATES).update(
        cancel_requested=True, error=reason
    )
    return stopped


def _files_drop(jobs: Iterable[GenerationJob]) -> list[int]:
    """Forget the files of `jobs` (the rows stay as the record of what was made) and delete
    them once committed; return the ids of the jobs."""
    done = []
    for job in jobs:
        files = stored(job.video, job.poster, job.source_image)
        GenerationJob.objects.filter(pk=job.pk).update(deleted_at=timezone.now(), video="", poster="", source_image="")
        files_delete_on_commit(files)
        done.append(job.pk)
    return done


@transaction.atomic
def draft_delete(*, job: GenerationJob, user: User) -> None:
    """Delete a draft's files; the job row stays as the record of what was made."""
    _owner_check(job, user)
    if job.state in GenerationJob.ACTIVE_STATES or job.state == State.HELD:
        job_cancel(job=job, user=user)
    _files_drop([job])


def job_regenerate(*, job: GenerationJob, user: User, seed: Any = None, new_seed: bool = False) -> GenerationJob:
    """Submit the same request again, with the same seed, a chosen one, or a new random one."""
    _owner_check(job, user)
    if new_seed:
        seed = None
    elif seed in (None, ""):
        seed = job.seed
    return job_create(request=job_check_again(job, seed=seed))


# --- What moderators decide about jobs


def held_prompt_decide(*, job_id: int, approved: bool) -> None:
    """A moderator decided a held prompt: queue the job, or block it (and charge nothing)."""
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != State.HELD:
            return
        if approved:
            job.save(update_fields=job.state_set(State.QUEUED))
            job_enqueue(job)
        else:
            fields = job.state_set(State.BLOCKED)
            job.finished_at, job.error = timezone.now(), _("A moderator refused this prompt.")
            job.save(update_fields=[*fields, "finished_at", "error"])


def flagged_output_decide(*, job_id: int, approved: bool) -> None:
    """A moderator decided a draft whose output was flagged: it may be posted, or it is blocked."""
    updates: dict[str, Any] = {"review": Review.ALLOW if approved else Review.BLOCK}
    if not approved:
        updates.update(**GenerationJob.state_fields(State.BLOCKED), error=_("A moderator refused this video."))
    GenerationJob.objects.filter(pk=job_id, state=State.READY).update(**updates)


def refusal_lift(*, job_id: int) -> None:
    """An appeal succeeded: a refused video becomes a draft; a refused prompt joins the queue
    (charged as usual). A refused image-to-video request kept no image, so its author starts
    it again instead."""
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != State.BLOCKED:
            return
        if job.video:  # the output was refused and is kept: it becomes the owner's draft
            fields = job.state_set(State.READY)
            job.error, job.review = "", Review.ALLOW
            job.save(update_fields=[*fields, "error", "review"])
            return
        if job.mode not in (Mode.TEXT, Mode.STORYBOARD):
            return
        prompts = [job.prompt, *(shot["prompt"] for shot in job.shots or [])]
        try:
            uses = consent_check(user=job.owner, prompts=prompts)
        except ValidationError:
            return  # someone it names has not said yes: it stays refused
        appearances_record(job_id=job.pk, user=job.owner, cameos=uses.cameos, prompt=uses.prompt)
        fields = job.state_set(State.QUEUED)
        job.error, job.review, job.finished_at = "", "", None
        job.save(update_fields=[*fields, "error", "review", "finished_at"])
        job_enqueue(job)


# --- Consent withdrawn: what happens to the jobs and drafts


def jobs_stop_for_consent(*, job_ids: Iterable[int]) -> list[int]:
    """Cancel the jobs among `job_ids` still waiting or rendering; return their ids."""
    pending = list(
        GenerationJob.objects.filter(pk__in=list(job_ids), state__in=(State.HELD, *GenerationJob.ACTIVE_STATES))
        .values_list("pk", flat=True)
    )
    jobs_cancel_by_system(job_ids=pending, reason=_("Someone in this video withdrew their consent."))
    return pending


def drafts_delete_for_likeness(*, job_ids: Iterable[int]) -> list[int]:
    """Delete the drafts among `job_ids` (the person in them removed them); return their ids."""
    drafts = GenerationJob.objects.filter(pk__in=list(job_ids), deleted_at__isnull=True).exclude(video="")
    return _files_drop(drafts)
