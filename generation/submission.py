"""Checking a request for a video, before anything is written: the check step of submission.

`job_check` takes what a person asked for (from the form, the API, a terminal) in any shape,
cleans every field, runs the text policy on every prompt, validates and checks an uploaded
photo, resolves the source of a remix or an extension, checks the consent of every cameo
the request uses and the daily allowance, and returns a frozen, typed `JobRequest`. It
writes nothing. `generation.services.job_create` then writes exactly what the request says.

Bad input raises ValidationError naming the field. A prompt the policy blocks is not an
error here: the request comes back with its `refusal`, so that the write step keeps it as an
appealable blocked job (and then raises the refusal) in one transaction.
"""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _

from accounts.models import User
from cameo.consent import consent_check
from cameo.models import Cameo
from config.images import image_clean
from moderation.checks import TextRefused, media_refuse, text_check_or_refuse
from moderation.enums import Decision
from moderation.media import MediaContext, MediaVerdict, image_frames, media_check
from moderation.policy import Verdict

from .backends.base import SIDE_MULTIPLE
from .models import GenerationJob
from .selectors import own_draft_get, post_source_get, quota_get
from .sources import PostSource

Mode = GenerationJob.Mode

SEED_LIMIT = 2**31 - 1
MIN_DURATION = 1.0
# The long side of a source image as kept; a JPEG is decoded at reduced size to get there.
SOURCE_IMAGE_MAX_SIDE = 2048
NEGATIVE_PROMPT_MAX_LENGTH = 500


@dataclass(frozen=True)
class StoryboardShot:
    """One shot of a storyboard: its prompt and how long it lasts."""

    prompt: str
    duration: float

    def as_dict(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "duration": self.duration}


@dataclass(frozen=True, kw_only=True)
class JobRequest:
    """A request for a video, checked: clean values, and every verdict taken on it."""

    owner: User
    mode: str
    prompt: str
    negative_prompt: str
    style: str
    duration: float
    aspect_ratio: str
    tier: str
    seed: int
    width: int
    height: int
    shots: tuple[StoryboardShot, ...] = ()
    # The post a remix starts from, or the draft an extension continues.
    source_post: PostSource | None = None
    source_job: GenerationJob | None = None
    # The photo to animate, re-encoded as PNG without its metadata, and moderation's verdict.
    image: ContentFile | None = field(default=None, repr=False)
    image_verdict: MediaVerdict | None = None
    # The text policy on the prompt and on each shot's prompt.
    prompt_verdict: Verdict | None = None
    shot_verdicts: tuple[Verdict, ...] = ()
    # The cameos the video may show (their owners said yes) and the words their limits saw.
    cameos: tuple[Cameo, ...] = ()
    consent_prompt: str = ""
    # Set when the text policy blocked a prompt: nothing else was checked.
    refusal: TextRefused | None = None

    @property
    def verdicts(self) -> tuple[Verdict, ...]:
        first = (self.prompt_verdict,) if self.prompt_verdict is not None else ()
        return (*first, *self.shot_verdicts)

    @property
    def held(self) -> bool:
        """Whether a moderator must look at the prompt or the photo before the job runs."""
        reviewed = any(v.decision == Decision.REVIEW for v in self.verdicts)
        return reviewed or (self.image_verdict is not None and self.image_verdict.decision == Decision.REVIEW)

    @property
    def review_verdict(self) -> Verdict | None:
        """The first text verdict that asks for a review, if any."""
        return next((v for v in self.verdicts if v.decision == Decision.REVIEW), None)

    def parameters(self) -> dict[str, Any]:
        """Return what the worker needs beyond the columns: the source video, the cameos."""
        parameters: dict[str, Any] = {}
        if self.source_post is not None:
            parameters["source_video"] = self.source_post.video_name
        elif self.source_job is not None:
            parameters["source_video"] = self.source_job.video.name
        if self.cameos:
            parameters["cameos"] = [{"handle": c.owner.handle, "cameo_id": c.pk} for c in self.cameos]
        return parameters


def job_check(
    *,
    owner: User,
    prompt: Any,
    mode: Any = Mode.TEXT,
    duration: Any = 4,
    aspect_ratio: Any = GenerationJob.AspectRatio.PORTRAIT,
    tier: Any = GenerationJob.Tier.STANDARD,
    style: Any = GenerationJob.Style.NONE,
    seed: Any = None,
    negative_prompt: Any = "",
    image: Any = None,
    source_post_id: Any = None,
    source_job_id: Any = None,
    shots: Sequence[Any] | None = None,
) -> JobRequest:
    """Check a request for a video and return it clean, with its verdicts; write nothing.

    Raises ValidationError naming the field for bad input, a refused photo, an unusable
    source, a cameo whose owner did not say yes, or an exhausted allowance. A prompt the
    policy blocks returns the request with `refusal` set.
    """
    mode = _choice(mode, Mode, "mode", _("mode"))
    aspect_ratio = _choice(aspect_ratio, GenerationJob.AspectRatio, "aspect_ratio", _("aspect ratio"))
    tier = _choice(tier, GenerationJob.Tier, "tier", _("resolution"))
    style = _choice(style, GenerationJob.Style, "style", _("style"))
    seed = _seed(seed)
    negative_prompt = str(negative_prompt or "").strip()[:NEGATIVE_PROMPT_MAX_LENGTH]

    storyboard: tuple[StoryboardShot, ...] = ()
    if mode == Mode.STORYBOARD:
        if shots is not None and not isinstance(shots, list | tuple):
            raise ValidationError({"shots": [_("A storyboard needs at least two shots.")]})
        storyboard = _shots_clean(list(shots or []))
        prompt = prompt_clean(prompt or " / ".join(shot.prompt for shot in storyboard))
        seconds = round(sum(shot.duration for shot in storyboard), 2)
    else:
        prompt = prompt_clean(prompt)
        seconds = _duration(duration)
    width, height = frame_size(aspect_ratio=aspect_ratio, tier=tier)
    fields: dict[str, Any] = {
        "owner": owner, "mode": mode, "prompt": prompt, "negative_prompt": negative_prompt, "style": style,
        "duration": seconds, "aspect_ratio": aspect_ratio, "tier": tier, "seed": seed,
        "width": width, "height": height, "shots": storyboard,
    }

    try:
        prompt_verdict = _prompt_verdict(prompt, field="prompt")
        shot_verdicts = tuple(
            _prompt_verdict(shot.prompt, field=f"shots[{index}]") for index, shot in enumerate(storyboard)
        )
    except TextRefused as refusal:
        return JobRequest(**fields, refusal=refusal)

    image_file = image_verdict = None
    source_post = source_job = None
    if mode == Mode.IMAGE:
        if image is None:
            raise ValidationError({"image": [_("Choose a photo to animate.")]})
        image_file, image_verdict = _source_image(image, owner=owner)
    elif mode == Mode.REMIX:
        source_post = post_source_get(post_id=source_post_id, viewer=owner)
    elif mode == Mode.EXTEND:
        source_job = own_draft_get(job_id=source_job_id, owner=owner, field="source_job")
        if source_job.video_duration + seconds > settings.GENERATION_MAX_TOTAL_DURATION + 0.01:
            raise ValidationError(
                {"duration": [_("An extended video lasts at most %(n)g seconds; this one already "
                                "lasts %(have).1f.") % {"n": settings.GENERATION_MAX_TOTAL_DURATION,
                                                        "have": source_job.video_duration}]}
            )
        # The extension keeps the source's look: the same frame size and aspect ratio.
        fields.update(width=source_job.width, height=source_job.height, aspect_ratio=source_job.aspect_ratio)

    # Every cameo the prompts mention, or the source video shows, must consent: no quota spent otherwise.
    inherited = source_job.pk if source_job is not None else (source_post.job_id if source_post else None)
    uses = consent_check(
        user=owner, prompts=[prompt, *(shot.prompt for shot in storyboard)],
        inherited_job_ids=[inherited] if inherited else [],
    )
    _quota_check(owner)
    return JobRequest(
        **fields, source_post=source_post, source_job=source_job, image=image_file, image_verdict=image_verdict,
        prompt_verdict=prompt_verdict, shot_verdicts=shot_verdicts, cameos=tuple(uses.cameos),
        consent_prompt=uses.prompt,
    )


def job_check_again(job: GenerationJob, *, seed: Any) -> JobRequest:
    """Check the request of an earlier `job` again, as its owner would send it now, with `seed`."""
    image = None
    if job.mode == Mode.IMAGE:
        if not job.source_image:
            raise ValidationError({"image": [_("The photo of this video was deleted; start a new one.")]})
        with job.source_image.open("rb") as handle:
            image = ContentFile(handle.read(), name="source.png")
    return job_check(
        owner=job.owner, prompt=job.prompt, mode=job.mode, duration=job.duration,
        aspect_ratio=job.aspect_ratio, tier=job.tier, style=job.style, seed=seed,
        negative_prompt=job.negative_prompt, image=image, source_post_id=job.source_post_id,
        source_job_id=job.source_job_id, shots=job.shots or None,
    )


# --- The fields


def frame_size(*, aspect_ratio: str, tier: str) -> tuple[int, int]:
    """Return (width, height) for an aspect ratio and a resolution tier, in multiples of 16."""
    short = int(settings.GENERATION_TIERS[tier])
    across, down = (int(part) for part in aspect_ratio.split(":"))
    long = short * max(across, down) / min(across, down)

    def snap(value: float) -> int:
        return max(SIDE_MULTIPLE, int(round(value / SIDE_MULTIPLE)) * SIDE_MULTIPLE)

    short_px, long_px = snap(short), snap(long)
    return (short_px, long_px) if down >= across else (long_px, short_px)


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


def _choice(value: Any, choices: Any, field: str, label: str) -> str:
    values = [str(v) for v in choices.values]
    if str(value) not in values:
        raise ValidationError(
            {field: [_("Unknown %(what)s %(value)r: choose one of %(choices)s.")
                     % {"what": label, "value": str(value)[:40], "choices": ", ".join(values)}]}
        )
    return str(value)


def _duration(value: Any, *, field: str = "duration", maximum: float | None = None) -> float:
    limit = float(maximum or settings.GENERATION_MAX_DURATION)
    try:
        seconds = float(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: [_("The duration must be a number of seconds.")]}) from None
    if not (MIN_DURATION <= seconds <= limit):  # NaN fails this too
        raise ValidationError(
            {field: [_("The duration must be between %(low)g and %(high)g seconds.")
                     % {"low": MIN_DURATION, "high": limit}]}
        )
    return round(seconds, 2)


def _seed(value: Any) -> int:
    if value in (None, ""):
        return secrets.randbelow(SEED_LIMIT)
    try:
        seed = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({"seed": [_("The seed must be a whole number.")]}) from None
    if not 0 <= seed <= SEED_LIMIT:
        raise ValidationError({"seed": [_("The seed must be between 0 and %(n)d.") % {"n": SEED_LIMIT}]})
    return seed


def _shots_clean(shots: list[Any]) -> tuple[StoryboardShot, ...]:
    if len(shots) < 2:
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
        cleaned.append(StoryboardShot(
            prompt=prompt_clean(shot.get("prompt"), field=field),
            duration=_duration(shot.get("duration", 2), field=field),
        ))
    total = sum(shot.duration for shot in cleaned)
    if total > settings.GENERATION_MAX_TOTAL_DURATION:
        raise ValidationError(
            {"shots": [_("A storyboard lasts at most %(n)g seconds in all.")
                       % {"n": settings.GENERATION_MAX_TOTAL_DURATION}]}
        )
    return tuple(cleaned)


def _prompt_verdict(prompt: str, *, field: str) -> Verdict:
    """Return the text policy's verdict; raise TextRefused, naming category and rule, if blocked."""
    return text_check_or_refuse(
        text=prompt, context="prompt", field=field, what=_("This prompt"),
        then=_("Nothing was charged. If you think this is a mistake, you can appeal once from your appeals page."),
    )


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


def _source_image(upload: Any, *, owner: User) -> tuple[ContentFile, MediaVerdict]:
    """Return the validated upload re-encoded as PNG, and moderation's verdict on it."""
    try:
        image = image_clean(
            upload,
            max_bytes=settings.GENERATION_SOURCE_IMAGE_MAX_BYTES,
            max_pixels=settings.GENERATION_SOURCE_IMAGE_MAX_PIXELS,
            max_side=SOURCE_IMAGE_MAX_SIDE,
        )
    except ValidationError as exc:
        raise ValidationError({"image": exc.messages}) from None
    image = image.convert("RGB")
    image.thumbnail((SOURCE_IMAGE_MAX_SIDE, SOURCE_IMAGE_MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    verdict = media_check(
        frames=image_frames(image),
        context=MediaContext(source="upload", subject=f"accounts.user:{owner.pk}", user_id=owner.pk),
    )
    media_refuse(verdict, what=_("This image"), field="image")
    return ContentFile(buffer.getvalue(), name="source.png"), verdict
