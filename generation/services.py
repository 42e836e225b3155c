"""Writes in generation: submitting, cancelling, regenerating and deleting jobs and drafts.

Every prompt passes moderation's text policy before a job exists: a blocked prompt is refused
with the category and the rule that fired and costs nothing; a prompt to review waits, held,
for a moderator. Jobs reach the `gpu` queue only once their row is committed.
"""

from __future__ import annotations

import datetime as dt
import io
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.images import image_clean
from accounts.models import User
from cameo.services import appearances_record, consent_check
from moderation.media import MediaContext, image_frames, media_check
from moderation.services import (
    TextRefused,
    case_open,
    evidence_from_verdicts,
    refusal_message,
    refusal_record,
    text_check_or_refuse,
)

from .backends.base import SIDE_MULTIPLE
from .models import GenerationJob

Mode = GenerationJob.Mode
State = GenerationJob.State

SEED_LIMIT = 2**31 - 1
MIN_DURATION = 1.0

# Appended to the prompt: camera directions and the rest stay as the creator wrote them.
STYLE_SUFFIXES = {
    GenerationJob.Style.NONE: "",
    GenerationJob.Style.REALISTIC: "photorealistic, natural light, detailed",
    GenerationJob.Style.CARTOON: "cartoon style, bold outlines, flat bright colours",
    GenerationJob.Style.ANIMATION: "3D animated film style, soft lighting",
    GenerationJob.Style.FILM: "cinematic film still, 35mm, shallow depth of field, film grain",
    GenerationJob.Style.ANIME: "anime style, cel shading",
    GenerationJob.Style.WATERCOLOR: "watercolour painting, soft washes of colour",
}


# --- Sources that belong to other apps -------------------------------------------------------


@dataclass(frozen=True)
class PostSource:
    """A post a remix starts from, as the app that owns posts describes it."""

    post_id: int
    author: User
    video_name: str
    job_id: int | None = None
    poster_name: str = ""


# Set by the feed when it starts: (post_id, viewer) -> PostSource, or None if the viewer
# cannot see that post. Generation never imports the feed.
_post_source_resolver: Callable[..., PostSource | None] | None = None


def post_source_register(resolve: Callable[..., PostSource | None]) -> None:
    """Let remixes start from posts: `resolve(post_id=..., viewer=...)` returns a PostSource."""
    global _post_source_resolver
    _post_source_resolver = resolve


# --- Validation ------------------------------------------------------------------------------


def frame_size(*, aspect_ratio: str, tier: str) -> tuple[int, int]:
    """Return (width, height) for an aspect ratio and a resolution tier, in multiples of 16."""
    short = int(settings.GENERATION_TIERS[tier])
    across, down = (int(part) for part in aspect_ratio.split(":"))
    long = short * max(across, down) / min(across, down)

    def snap(value: float) -> int:
        return max(SIDE_MULTIPLE, int(round(value / SIDE_MULTIPLE)) * SIDE_MULTIPLE)

    short_px, long_px = snap(short), snap(long)
    return (short_px, long_px) if down >= across else (long_px, short_px)


def _choice(value: Any, choices: type, field: str, label: str) -> str:
    values = [str(v) for v in choices.values]
    if str(value) not in values:
        raise ValidationError(
            {field: [_("Unknown %(what)s %(value)r: choose one of %(choices)s.")
                     % {"what": label, "value": str(value)[:40], "choices": ", ".join(values)}]}
        )
    return str(value)


def _duration(value: Any, *, field: str = "duration", maximum: float | None = None) -> float:
    maximum = float(maximum or settings.GENERATION_MAX_DURATION)
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("The duration must be a number of seconds.")]}) from None
    if not (MIN_DURATION <= seconds <= maximum):
        raise ValidationError(
            {field: [_("The duration must be between %(low)g and %(high)g seconds.")
                     % {"low": MIN_DURATION, "high": maximum}]}
        )
    return round(seconds, 2)


def _seed(value: Any) -> int:
    if value in (None, ""):
        return secrets.randbelow(SEED_LIMIT)
    try:
        seed = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"seed": [_("The seed must be a whole number.")]}) from None
    if not 0 <= seed <= SEED_LIMIT:
        raise ValidationError({"seed": [_("The seed must be between 0 and %(n)d.") % {"n": SEED_LIMIT}]})
    return seed


def prompt_clean(prompt: Any, *, field: str = "prompt") -> str:
    """Return the prompt stripped, or raise ValidationError if empty, too long or unprintable."""
    if not isinstance(prompt, str):
        raise ValidationError({field: [_("Describe the video in a few words.")]})
    prompt = " ".join(prompt.replace("\r\n", "\n").split())
    if not prompt:
        raise ValidationError({field: [_("Describe the video in a few words.")]})
    limit = settings.GENERATION_PROMPT_MAX_LENGTH
    if len(prompt) > limit:
        raise ValidationError(
            {field: [_("A prompt is at most %(limit)d characters (this one has %(n)d).")
                     % {"limit": limit, "n": len(prompt)}]}
        )
    return prompt


def _text_verdict(*, prompt: str, field: str):
    """Return the text policy's verdict; refuse the prompt, naming category and rule, if blocked."""
    return text_check_or_refuse(
        text=prompt, context="prompt", field=field, what=_("This prompt"),
        then=_("Nothing was charged. If you think this is a mistake, you can appeal once from your appeals page."),
    )


def quota_used(user: User, *, now: dt.datetime | None = None) -> int:
    """Return how many jobs `user` was charged for in the last 24 hours."""
    since = (now or timezone.now()) - dt.timedelta(days=1)
    return (
        GenerationJob.objects.filter(owner=user, created_at__gte=since)
        .exclude(state__in=GenerationJob.FREE_STATES)
        .count()
    )


@dataclass(frozen=True)
class Quota:
    used: int
    limit: int

    @property
    def left(self) -> int:
        return max(0, self.limit - self.used)


def quota_get(user: User) -> Quota:
    return Quota(used=quota_used(user), limit=int(settings.GENERATION_DAILY_QUOTA))


def _quota_check(user: User) -> None:
    quota = quota_get(user)
    if quota.left <= 0:
        raise ValidationError(
            {"non_field_errors": [
                _("You have used your %(n)d videos for the last 24 hours. Blocked, failed and "
                  "cancelled jobs are not counted; try again later.") % {"n": quota.limit}
            ]},
            code="quota",
        )


def _source_image(upload, *, owner: User) -> tuple[ContentFile, Any]:
    """Return the validated upload re-encoded as PNG, and moderation's verdict on it."""
    try:
        image = image_clean(
            upload,
            max_bytes=settings.GENERATION_SOURCE_IMAGE_MAX_BYTES,
            max_pixels=settings.GENERATION_SOURCE_IMAGE_MAX_PIXELS,
        )
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from None
    image = image.convert("RGB")
    image.thumbnail((2048, 2048))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    verdict = media_check(
        frames=image_frames(image),
        context=MediaContext(source="upload", subject=f"accounts.user:{owner.pk}", user_id=owner.pk),
    )
    if verdict.decision == "block":
        finding = next(f for f in verdict.findings if f.action == "block")
        raise ValidationError(
            {"image": [refusal_message(what=_("This image"), category=finding.category, rule=finding.rule)]},
            code="blocked",
        )
    return ContentFile(buffer.getvalue(), name="source.png"), verdict


def _shots_clean(shots: Any) -> list[dict[str, Any]]:
    if not isinstance(shots, list | tuple) or len(shots) < 2:
        raise ValidationError({"shots": [_("A storyboard needs at least two shots.")]})
    if len(shots) > settings.GENERATION_MAX_SHOTS:
        raise ValidationError(
            {"shots": [_("A storyboard has at most %(n)d shots.") % {"n": settings.GENERATION_MAX_SHOTS}]}
        )
    cleaned = []
    for index, shot in enumerate(shots):
        if not isinstance(shot, dict):
            raise ValidationError({"shots": [_("Each shot needs a prompt and a duration.")]})
        field = f"shots[{index}]"
        cleaned.append(
            {
                "prompt": prompt_clean(shot.get("prompt"), field=field),
                "duration": _duration(shot.get("duration", 2), field=field),
            }
        )
    total = sum(shot["duration"] for shot in cleaned)
    if total > settings.GENERATION_MAX_TOTAL_DURATION:
        raise ValidationError(
            {"shots": [_("A storyboard lasts at most %(n)g seconds in all.")
                       % {"n": settings.GENERATION_MAX_TOTAL_DURATION}]}
        )
    return cleaned


# --- Submitting ------------------------------------------------------------------------------


def job_submit(**request: Any) -> GenerationJob:
    """Check a request, then create its job and queue it once committed (unless `enqueue` is
    false: the caller runs it itself, as the `generate` command does).

    Raises ValidationError naming the field for bad input, a refused prompt or image, an
    unusable source or an exhausted allowance; nothing is queued or charged then. A prompt
    the policy refuses is kept as a `blocked` job with a decided case, so its author can
    appeal the refusal once.
    """
    try:
        with transaction.atomic():
            return _job_submit(**request)
    except TextRefused as refusal:
        _blocked_record(request, refusal)
        raise


def _blocked_record(request: dict[str, Any], refusal: TextRefused) -> None:
    """Keep the refused request as a blocked job (never queued, never charged), appealable."""
    owner = request["owner"]
    fields = dict(getattr(refusal, "request", {}))
    verdict = refusal.verdict
    with transaction.atomic():
        job = GenerationJob(
            owner=owner, **fields, state=State.BLOCKED, phase="blocked", review=GenerationJob.Review.BLOCK,
            error=refusal.message_text, text_verdict={"prompt": verdict.to_dict()}, finished_at=timezone.now(),
            fps=settings.GENERATION_FPS, steps=settings.GENERATION_STEPS,
        )
        job.width, job.height = frame_size(aspect_ratio=job.aspect_ratio, tier=job.tier)
        job.save()
        prompt = job.prompt
        evidence, categories = evidence_from_verdicts(text=verdict)
        evidence["prompt"] = prompt
        refusal_record(kind="held_prompt", subject=job, owner=owner, evidence=evidence, categories=categories,
                       note=refusal.message_text)


def _job_submit(
    *,
    owner: User,
    prompt: str,
    mode: str = Mode.TEXT,
    duration: Any = 4,
    aspect_ratio: str = GenerationJob.AspectRatio.PORTRAIT,
    tier: str = GenerationJob.Tier.STANDARD,
    style: str = GenerationJob.Style.NONE,
    seed: Any = None,
    negative_prompt: str = "",
    image=None,
    source_post_id: Any = None,
    source_job_id: Any = None,
    shots: Sequence[dict[str, Any]] | None = None,
    enqueue: bool = True,
) -> GenerationJob:
    mode = _choice(mode, Mode, "mode", _("mode"))
    aspect_ratio = _choice(aspect_ratio, GenerationJob.AspectRatio, "aspect_ratio", _("aspect ratio"))
    tier = _choice(tier, GenerationJob.Tier, "tier", _("resolution"))
    style = _choice(style, GenerationJob.Style, "style", _("style"))
    seed = _seed(seed)
    negative_prompt = (negative_prompt or "").strip()[:500]

    shot_list: list[dict[str, Any]] = []
    if mode == Mode.STORYBOARD:
        shot_list = _shots_clean(list(shots or []))
        prompt = prompt_clean(prompt or " / ".join(shot["prompt"] for shot in shot_list))
        duration = sum(shot["duration"] for shot in shot_list)
    else:
        prompt = prompt_clean(prompt)
        duration = _duration(duration)

    try:
        verdicts = [_text_verdict(prompt=prompt, field="prompt")]
        verdicts += [
            _text_verdict(prompt=shot["prompt"], field=f"shots[{index}]")
            for index, shot in enumerate(shot_list)
        ]
    except TextRefused as refusal:
        refusal.request = {
            "mode": mode, "prompt": prompt, "negative_prompt": negative_prompt, "style": style,
            "duration": duration, "aspect_ratio": aspect_ratio, "tier": tier, "seed": seed, "shots": shot_list,
        }
        raise

    job = GenerationJob(
        owner=owner, mode=mode, prompt=prompt, negative_prompt=negative_prompt, style=style,
        duration=duration, aspect_ratio=aspect_ratio, tier=tier, seed=seed, shots=shot_list,
        fps=settings.GENERATION_FPS, steps=settings.GENERATION_STEPS,
    )
    job.width, job.height = frame_size(aspect_ratio=aspect_ratio, tier=tier)

    image_file = image_verdict = None
    if mode == Mode.IMAGE:
        if image is None:
            raise ValidationError({"image": [_("Choose a photo to animate.")]})
        image_file, image_verdict = _source_image(image, owner=owner)
    elif mode == Mode.REMIX:
        source = _post_source(source_post_id, viewer=owner)
        job.source_post_id, job.credited, job.source_job_id = source.post_id, source.author, source.job_id
        job.parameters = {"source_video": source.video_name}
    elif mode == Mode.EXTEND:
        source_job = _own_draft(source_job_id, owner=owner, field="source_job")
        total = source_job.video_duration + duration
        if total > settings.GENERATION_MAX_TOTAL_DURATION + 0.01:
            raise ValidationError(
                {"duration": [_("An extended video lasts at most %(n)g seconds; this one already "
                                "lasts %(have).1f.") % {"n": settings.GENERATION_MAX_TOTAL_DURATION,
                                                        "have": source_job.video_duration}]}
            )
        job.source_job = source_job
        job.source_post_id = None
        # The extension keeps the source's look: same frame size, style and fps.
        job.width, job.height, job.aspect_ratio = source_job.width, source_job.height, source_job.aspect_ratio
        job.parameters = {"source_video": source_job.video.name}

    # Every cameo the prompts mention, or the source video shows, must consent: no quota spent otherwise.
    prompts = [prompt, *(shot["prompt"] for shot in shot_list)]
    uses = consent_check(
        user=owner, prompts=prompts, inherited_job_ids=[job.source_job_id] if job.source_job_id else []
    )
    if uses.cameos:
        job.parameters = {
            **job.parameters, "cameos": [{"handle": c.owner.handle, "cameo_id": c.pk} for c in uses.cameos]
        }

    _quota_check(owner)

    held = any(v.decision == "review" for v in verdicts) or (
        image_verdict is not None and image_verdict.decision == "review"
    )
    job.text_verdict = {"prompt": verdicts[0].to_dict(), "shots": [v.to_dict() for v in verdicts[1:]]}
    job.state = State.HELD if held else State.QUEUED
    job.phase = "held" if held else "queued"
    if image_file is not None:
        job.source_image.save("source.png", image_file, save=False)
    job.save()
    appearances_record(job_id=job.pk, user=owner, cameos=uses.cameos, prompt=uses.prompt)

    if held:
        review = next((v for v in verdicts if v.decision == "review"), None)
        evidence, categories = evidence_from_verdicts(text=review, media=image_verdict)
        evidence["prompt"] = prompt
        case_open(kind="held_prompt", subject=job, evidence=evidence, categories=categories, owner=owner)
    elif enqueue:
        job_enqueue(job)
    return job


def post_source_get(*, post_id: Any, viewer: User) -> PostSource:
    """Return the post a remix would start from, or raise ValidationError if it cannot."""
    return _post_source(post_id, viewer=viewer)


def _post_source(post_id: Any, *, viewer: User) -> PostSource:
    try:
        post_id = int(post_id)
    except (TypeError, ValueError):
        raise ValidationError({"source_post": [_("Choose the video to remix.")]}) from None
    source = _post_source_resolver(post_id=post_id, viewer=viewer) if _post_source_resolver else None
    if source is None:
        raise ValidationError({"source_post": [_("This video does not exist or you cannot see it.")]})
    return source


def _own_draft(job_id: Any, *, owner: User, field: str) -> GenerationJob:
    try:
        job_id = int(job_id)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Choose one of your videos.")]}) from None
    job = GenerationJob.objects.filter(pk=job_id, deleted_at__isnull=True).first()
    if job is None or job.owner_id != owner.pk:
        raise ValidationError({field: [_("You can only continue your own videos.")]})
    if job.state != State.READY or not job.video:
        raise ValidationError({field: [_("This video is not ready yet.")]})
    return job


def job_enqueue(job: GenerationJob) -> None:
    """Send `job` to the `gpu` queue once the transaction that made it commits."""
    from .tasks import job_render

    job_id = job.pk
    transaction.on_commit(lambda: job_render.apply_async(args=[job_id], queue=settings.GENERATION_QUEUE))


# --- After submission ------------------------------------------------------------------------


def _owned(job: GenerationJob, user: User) -> None:
    if job.owner_id != user.pk:
        raise PermissionDenied(_("This is not your video."))


@transaction.atomic
def job_cancel(*, job: GenerationJob, user: User) -> GenerationJob:
    """Cancel a held, queued or running job; a running one stops at its next step."""
    _owned(job, user)
    job = GenerationJob.objects.select_for_update().get(pk=job.pk)
    if job.is_finished:
        raise ValidationError({"non_field_errors": [_("This job has already finished.")]})
    if job.state in (State.HELD, State.QUEUED):
        job.state, job.phase, job.finished_at = State.CANCELLED, "cancelled", timezone.now()
        job.cancel_requested = True
        job.save(update_fields=["state", "phase", "finished_at", "cancel_requested"])
    else:
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
    return job


def job_cancel_by_system(*, job_ids: Sequence[int], reason: str) -> int:
    """Cancel jobs for a reason their owner did not choose (e.g. consent withdrawn)."""
    now = timezone.now()
    stopped = GenerationJob.objects.filter(pk__in=job_ids, state__in=(State.HELD, State.QUEUED)).update(
        state=State.CANCELLED, phase="cancelled", finished_at=now, cancel_requested=True, error=reason
    )
    GenerationJob.objects.filter(pk__in=job_ids, state__in=GenerationJob.ACTIVE_STATES).update(
        cancel_requested=True, error=reason
    )
    return stopped


@transaction.atomic
def draft_delete(*, job: GenerationJob, user: User) -> None:
    """Delete a draft's files; the job row stays as the record of what was made."""
    _owned(job, user)
    if job.state in GenerationJob.ACTIVE_STATES or job.state == State.HELD:
        job_cancel(job=job, user=user)
    files = [(f.storage, f.name) for f in (job.video, job.poster, job.source_image) if f]
    GenerationJob.objects.filter(pk=job.pk).update(
        deleted_at=timezone.now(), video="", poster="", source_image=""
    )
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])


def job_regenerate(*, job: GenerationJob, user: User, seed: Any = None, new_seed: bool = False) -> GenerationJob:
    """Submit the same request again, with the same seed, a chosen one, or a new random one."""
    _owned(job, user)
    if new_seed:
        seed = None
    elif seed in (None, ""):
        seed = job.seed
    image = None
    if job.mode == Mode.IMAGE:
        if not job.source_image:
            raise ValidationError({"image": [_("The photo of this video was deleted; start a new one.")]})
        image = ContentFile(job.source_image.read(), name="source.png")
        job.source_image.close()
    return job_submit(
        owner=user, prompt=job.prompt, mode=job.mode, duration=job.duration,
        aspect_ratio=job.aspect_ratio, tier=job.tier, style=job.style, seed=seed,
        negative_prompt=job.negative_prompt, image=image, source_post_id=job.source_post_id,
        source_job_id=job.source_job_id, shots=job.shots or None,
    )


def held_case_decided(*, job_id: int, approved: bool) -> None:
    """A moderator decided a held prompt: queue the job, or block it (and charge nothing)."""
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != State.HELD:
            return
        if approved:
            job.state, job.phase = State.QUEUED, "queued"
            job.save(update_fields=["state", "phase"])
            job_enqueue(job)
        else:
            job.state, job.phase, job.finished_at = State.BLOCKED, "blocked", timezone.now()
            job.error = _("A moderator refused this prompt.")
            job.save(update_fields=["state", "phase", "finished_at", "error"])


def case_decided_receiver(sender, *, case, decision, **kwargs) -> None:
    """Act on a moderator's decision about a job: a held prompt, or a draft flagged for review."""
    if case.subject_type.app_label != "generation" or decision.action not in ("approve", "reject"):
        return
    approved = decision.action == "approve"
    if case.kind == "held_prompt":
        held_case_decided(job_id=case.subject_id, approved=approved)
    elif case.kind == "appeal" and approved:
        appealed_refusal_lifted(job_id=case.subject_id)
    elif case.kind == "flagged_media":
        review = GenerationJob.Review.ALLOW if approved else GenerationJob.Review.BLOCK
        updates: dict[str, Any] = {"review": review}
        if not approved:
            updates.update(state=State.BLOCKED, phase="blocked",
                           error=_("A moderator refused this video."))
        GenerationJob.objects.filter(pk=case.subject_id, state=State.READY).update(**updates)


def appealed_refusal_lifted(*, job_id: int) -> None:
    """An appeal succeeded: a refused video becomes a draft; a refused prompt joins the queue
    (charged as usual). A refused image-to-video request kept no image, so its author starts
    it again instead."""
    with transaction.atomic():
        job = GenerationJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != State.BLOCKED:
            return
        if job.video:  # the output was refused and is kept: it becomes the owner's draft
            job.state, job.phase, job.error, job.review = State.READY, "ready", "", GenerationJob.Review.ALLOW
            job.save(update_fields=["state", "phase", "error", "review"])
            return
        if job.mode not in (Mode.TEXT, Mode.STORYBOARD):
            return
        prompts = [job.prompt, *(shot["prompt"] for shot in job.shots or [])]
        try:
            uses = consent_check(user=job.owner, prompts=prompts)
        except ValidationError:
            return  # someone it names has not said yes: it stays refused
        appearances_record(job_id=job.pk, user=job.owner, cameos=uses.cameos, prompt=uses.prompt)
        job.state, job.phase, job.error, job.review, job.finished_at = State.QUEUED, "queued", "", "", None
        job.save(update_fields=["state", "phase", "error", "review", "finished_at"])
        job_enqueue(job)


# --- Consent withdrawn: what happens to the jobs and drafts (cameo's signals)


def _by_job(appearances) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for appearance in appearances:
        found.setdefault(appearance.job_id, []).append(appearance.pk)
    return found


def consent_withdrawn_receiver(sender, *, appearances, **kwargs) -> dict[int, list[str]]:
    """Cancel the jobs still rendering a cameo whose consent is gone."""
    by_job = _by_job(appearances)
    pending = list(
        GenerationJob.objects.filter(pk__in=list(by_job), state__in=(State.HELD, *GenerationJob.ACTIVE_STATES))
        .values_list("pk", flat=True)
    )
    job_cancel_by_system(job_ids=pending, reason=_("Someone in this video withdrew their consent."))
    return {appearance_id: ["cancelled"] for job_id in pending for appearance_id in by_job[job_id]}


def likeness_removed_receiver(sender, *, appearances, actor, **kwargs) -> dict[int, list[str]]:
    """The person in these videos removed them: cancel their jobs and delete the drafts."""
    outcome = consent_withdrawn_receiver(sender, appearances=appearances)
    by_job = _by_job(appearances)
    drafts = GenerationJob.objects.filter(pk__in=list(by_job), deleted_at__isnull=True).exclude(video="")
    for job in drafts:
        files = [(f.storage, f.name) for f in (job.video, job.poster, job.source_image) if f]
        GenerationJob.objects.filter(pk=job.pk).update(deleted_at=timezone.now(), video="", poster="",
                                                       source_image="")
        transaction.on_commit(lambda files=files: [storage.delete(name) for storage, name in files])
        for appearance_id in by_job[job.pk]:
            outcome.setdefault(appearance_id, []).append("draft_deleted")
    return outcome
