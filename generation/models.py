"""Generation jobs: the source of truth for every video the platform makes, and the registry
of what it made."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def draft_video_upload_to(instance: GenerationJob, filename: str) -> str:
    # drafts/ is a private folder: config.media never serves it, generation's views do.
    return f"drafts/{uuid.uuid4().hex}.mp4"


def draft_poster_upload_to(instance: GenerationJob, filename: str) -> str:
    return f"drafts/{uuid.uuid4().hex}.jpg"


def source_image_upload_to(instance: GenerationJob, filename: str) -> str:
    return f"drafts/sources/{uuid.uuid4().hex}.png"


class GenerationJobQuerySet(models.QuerySet):
    def drafts_of(self, user) -> GenerationJobQuerySet:
        """Return `user`'s finished, undeleted drafts."""
        return self.filter(owner=user, state=GenerationJob.State.READY, deleted_at__isnull=True)

    def active(self) -> GenerationJobQuerySet:
        return self.filter(state__in=GenerationJob.ACTIVE_STATES)


class GenerationJob(models.Model):
    """One request for a video: everything needed to make it again, and how it went."""

    class Mode(models.TextChoices):
        TEXT = "text", _("Text to video")
        IMAGE = "image", _("Image to video")
        REMIX = "remix", _("Remix")
        EXTEND = "extend", _("Extend")
        STORYBOARD = "storyboard", _("Storyboard")

    class State(models.TextChoices):
        HELD = "held", _("Waiting for review")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Rendering")
        ENCODING = "encoding", _("Encoding")
        CHECKING = "checking", _("Checking")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        BLOCKED = "blocked", _("Blocked")
        CANCELLED = "cancelled", _("Cancelled")

    class Phase(models.TextChoices):
        """Where a job is, finer than its state: what the progress bar says."""

        HELD = "held", _("Waiting for review")
        QUEUED = "queued", _("Queued")
        STARTING = "starting", _("Starting")
        RENDERING = "rendering", _("Rendering")
        DECODING = "decoding", _("Decoding")
        ENCODING = "encoding", _("Encoding")
        CHECKING = "checking", _("Checking")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")
        BLOCKED = "blocked", _("Blocked")
        CANCELLED = "cancelled", _("Cancelled")

    class AspectRatio(models.TextChoices):
        PORTRAIT = "9:16", _("Portrait 9:16")
        LANDSCAPE = "16:9", _("Landscape 16:9")
        SQUARE = "1:1", _("Square 1:1")

    class Tier(models.TextChoices):
        LOW = "low", _("Fast (low resolution)")
        STANDARD = "standard", _("Standard")
        HIGH = "high", _("High")

    class Style(models.TextChoices):
        NONE = "none", _("As written")
        REALISTIC = "realistic", _("Realistic")
        CARTOON = "cartoon", _("Cartoon")
        ANIMATION = "animation", _("3D animation")
        FILM = "film", _("Film")
        ANIME = "anime", _("Anime")
        WATERCOLOR = "watercolor", _("Watercolour")

    class Review(models.TextChoices):
        ALLOW = "allow", _("Allowed")
        REVIEW = "review", _("Needs review")
        BLOCK = "block", _("Blocked")

    ACTIVE_STATES = (State.QUEUED, State.RUNNING, State.ENCODING, State.CHECKING)
    FINISHED_STATES = (State.READY, State.FAILED, State.BLOCKED, State.CANCELLED)
    # Jobs in these states do not count against the daily allowance.
    FREE_STATES = (State.FAILED, State.BLOCKED, State.CANCELLED)

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="generation_jobs")
    mode = models.CharField(_("mode"), max_length=12, choices=Mode.choices, default=Mode.TEXT)
    prompt = models.TextField(_("prompt"))
    negative_prompt = models.CharField(_("negative prompt"), max_length=500, blank=True)
    style = models.CharField(_("style"), max_length=12, choices=Style.choices, default=Style.NONE)
    duration = models.FloatField(_("duration asked (s)"))
    aspect_ratio = models.CharField(_("aspect ratio"), max_length=5, choices=AspectRatio.choices)
    tier = models.CharField(_("resolution"), max_length=10, choices=Tier.choices, default=Tier.STANDARD)
    seed = models.BigIntegerField(_("seed"))
    # Storyboard: [{"prompt": ..., "duration": ...}, ...]; other modes: empty.
    shots = models.JSONField(_("shots"), default=list, blank=True)
    # Sources: the image to animate, the job whose video a remix or an extension starts from.
    source_image = models.ImageField(_("source image"), upload_to=source_image_upload_to, blank=True)
    source_job = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="derived_jobs"
    )
    # A remix's source post (kept as an id: posts belong to the feed) and its credited author.
    source_post_id = models.BigIntegerField(_("source post"), null=True, blank=True)
    credited = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # What rendered it, with every parameter the backend used (per shot for a storyboard).
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    fps = models.PositiveSmallIntegerField(default=16)
    steps = models.PositiveSmallIntegerField(default=0)
    model_id = models.CharField(_("model"), max_length=200, blank=True)
    model_version = models.CharField(_("model version"), max_length=64, blank=True)
    parameters = models.JSONField(_("render parameters"), default=dict, blank=True)

    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.QUEUED, db_index=True)
    phase = models.CharField(_("phase"), max_length=20, blank=True)
    progress = models.FloatField(_("progress"), default=0.0)
    step = models.PositiveIntegerField(default=0)
    step_total = models.PositiveIntegerField(default=0)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # The worker that holds the job, and when it last said so: a stale lease is taken over.
    lease = models.CharField(max_length=64, blank=True)
    # The process holding the lease (host, PID namespace, PID, start time; generation.lease):
    # another process of the same machine can tell that it died and take over at once.
    lease_owner = models.CharField(max_length=200, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    # When the job's message last went to the render queue; null while queued: it could not be
    # sent (the broker was down) and the sweep sends it (generation.sweep).
    sent_at = models.DateTimeField(null=True, blank=True)
    cancel_requested = models.BooleanField(default=False)
    # {"queued": s, "render": s, "encode": s, "check": s, "total": s}
    timings = models.JSONField(default=dict, blank=True)

    # Moderation: the prompt's verdict at submission and the output frames' verdict.
    text_verdict = models.JSONField(default=dict, blank=True)
    output_verdict = models.JSONField(default=dict, blank=True)
    review = models.CharField(_("review"), max_length=10, choices=Review.choices, blank=True)

    # The draft.
    video = models.FileField(_("video"), upload_to=draft_video_upload_to, blank=True)
    poster = models.ImageField(_("poster"), upload_to=draft_poster_upload_to, blank=True)
    video_duration = models.FloatField(default=0.0)
    video_size = models.PositiveBigIntegerField(default=0)
    frame_count = models.PositiveIntegerField(default=0)
    provenance = models.JSONField(_("provenance"), default=dict, blank=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)

    objects = GenerationJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["owner", "-created_at"], name="generation_job_owner_idx"),
            models.Index(
                fields=["created_at", "id"], name="generation_job_queue_idx",
                condition=Q(state="queued"),
            ),
        ]

    def __str__(self) -> str:
        return f"Job {self.pk} ({self.mode}, {self.state})"

    def get_absolute_url(self) -> str:
        return reverse("generation:job", args=[self.pk])

    @classmethod
    def state_fields(cls, state: str, phase: str | None = None) -> dict[str, str]:
        """Return the columns that move a job to `state`: the state and its phase together.

        The phase defaults to the state's own (a running job starts at "starting"), so no
        write leaves a finished job with a phase that says it is still rendering.
        """
        state = cls.State(state)
        return {"state": state, "phase": cls.Phase(phase) if phase else _PHASE_OF_STATE[state]}

    def state_set(self, state: str, phase: str | None = None) -> list[str]:
        """Move this job to `state` (and `phase`) in memory; return the fields to save."""
        fields = self.state_fields(state, phase)
        self.state, self.phase = fields["state"], fields["phase"]
        return list(fields)

    @property
    def is_finished(self) -> bool:
        return self.state in self.FINISHED_STATES

    @property
    def is_draft(self) -> bool:
        return self.state == self.State.READY and self.deleted_at is None and bool(self.video)

    @property
    def review_video_url(self) -> str:
        """The permission-checked address of the video, for its owner and moderators."""
        return reverse("generation:job-video", args=[self.pk]) if self.video else ""

    @property
    def review_poster_url(self) -> str:
        return reverse("generation:job-poster", args=[self.pk]) if self.poster else ""


_PHASE_OF_STATE = {
    GenerationJob.State.HELD: GenerationJob.Phase.HELD,
    GenerationJob.State.QUEUED: GenerationJob.Phase.QUEUED,
    GenerationJob.State.RUNNING: GenerationJob.Phase.STARTING,
    GenerationJob.State.ENCODING: GenerationJob.Phase.ENCODING,
    GenerationJob.State.CHECKING: GenerationJob.Phase.CHECKING,
    GenerationJob.State.READY: GenerationJob.Phase.READY,
    GenerationJob.State.FAILED: GenerationJob.Phase.FAILED,
    GenerationJob.State.BLOCKED: GenerationJob.Phase.BLOCKED,
    GenerationJob.State.CANCELLED: GenerationJob.Phase.CANCELLED,
}


class GeneratedVideo(models.Model):
    """The registry of everything the platform generated, found by perceptual hash even when
    the file's metadata has been stripped."""

    job = models.OneToOneField(GenerationJob, on_delete=models.SET_NULL, null=True, related_name="registry")
    creator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+")
    content_sha256 = models.CharField(max_length=64, db_index=True)
    # Per-second PDQ hashes of the frames: [{"hash": hex, "time": s, "quality": q}, ...]
    frame_hashes = models.JSONField(default=list)
    manifest = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Generated video {self.content_sha256[:12]}"
