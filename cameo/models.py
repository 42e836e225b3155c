"""Cameos: a person's likeness, how they proved it is theirs, who may use it, and every use."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def likeness_photo_upload_to(instance: CameoPhoto, filename: str) -> str:
    # likeness/ is a private folder: config.media never serves it, cameo's views do.
    return f"likeness/{uuid.uuid4().hex}.png"


def likeness_clip_upload_to(instance: Cameo, filename: str) -> str:
    # The server names the file from what it made (cameo.likeness.clip_clean), never from
    # what the uploader called it: the name decides the type the file is served with.
    suffix = "webm" if filename.lower().endswith(".webm") else "mp4"
    return f"likeness/clips/{uuid.uuid4().hex}.{suffix}"


class Cameo(models.Model):
    """One person's likeness: reference photos, a verification clip, and their consent rules."""

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting for the verification clip")
        CHECKING = "checking", _("Checking your clip")
        IN_REVIEW = "in_review", _("Waiting for a moderator")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Not verified")

    class Audience(models.TextChoices):
        ONLY_ME = "only_me", _("Only me")
        APPROVED = "approved", _("People I approve")
        MUTUALS = "mutuals", _("People I follow who follow me")
        EVERYONE = "everyone", _("Everyone")

    class Move(models.TextChoices):
        TURN_LEFT = "turn_left", _("turn your head to the left")
        TURN_RIGHT = "turn_right", _("turn your head to the right")
        LOOK_UP = "look_up", _("look up")
        NOD = "nod", _("nod")

    owner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cameo")
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.PENDING)
    audience = models.CharField(_("who may use it"), max_length=10, choices=Audience.choices,
                                default=Audience.APPROVED)
    limits = models.TextField(
        _("limits"), max_length=500, blank=True,
        help_text=_("In your own words, one per line: what videos with you must never show."),
    )
    approve_each_use = models.BooleanField(
        _("approve every use"), default=False,
        help_text=_("Videos with you cannot be posted until you approve them."),
    )
    # The mean dlib face descriptor of the reference photos (128 floats).
    reference_vector = models.JSONField(default=list, blank=True)
    challenge_digits = models.CharField(max_length=8, blank=True)
    challenge_move = models.CharField(max_length=12, choices=Move.choices, blank=True)
    challenge_issued_at = models.DateTimeField(null=True, blank=True)
    clip = models.FileField(_("verification clip"), upload_to=likeness_clip_upload_to, blank=True)
    # What the automatic checks found in the clip: faces per frame, distance to the photos.
    clip_checks = models.JSONField(default=dict, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("cameo")
        verbose_name_plural = _("cameos")

    def __str__(self) -> str:
        return f"Cameo of {self.owner}"

    @property
    def is_verified(self) -> bool:
        return self.state == self.State.VERIFIED

    @property
    def handle(self) -> str:
        return self.owner.handle

    # What a moderator sees on a verification case: the clip, the first photo, the challenge.
    @property
    def review_video_url(self) -> str:
        return reverse("cameo:clip", args=[self.pk]) if self.clip else ""

    @property
    def review_poster_url(self) -> str:
        photo = self.photos.order_by("id").first()
        return reverse("cameo:photo", args=[photo.pk]) if photo else ""

    @property
    def review_images(self) -> list[str]:
        return [reverse("cameo:photo", args=[photo.pk]) for photo in self.photos.order_by("id")]

    @property
    def review_text(self) -> str:
        checks = self.clip_checks or {}
        if not checks:
            return ""
        return _("Challenge: %(challenge)s Median face distance to the photos: %(distance)s (threshold %(t)s).") % {
            "challenge": checks.get("challenge", ""), "distance": checks.get("median_distance", "?"),
            "t": checks.get("threshold", "?"),
        }


class CameoPhoto(models.Model):
    """A reference photo of the owner's face; the first one conditions the videos."""

    cameo = models.ForeignKey(Cameo, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=likeness_photo_upload_to)
    vector = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"Photo {self.pk} of {self.cameo}"


class CameoGrant(models.Model):
    """The owner approved `user` to use their cameo."""

    cameo = models.ForeignKey(Cameo, on_delete=models.CASCADE, related_name="grants")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cameo_grants")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["cameo", "user"], name="cameo_grant_unique")]

    def __str__(self) -> str:
        return f"{self.user} may use {self.cameo}"


class Appearance(models.Model):
    """One use of a cameo: the job that renders it and, later, the post that shows it.

    Jobs and posts belong to generation and the feed, so they are kept as ids. The row
    outlives the cameo (its `owner` stays), so a deleted cameo still takes down its uses.
    """

    class State(models.TextChoices):
        AWAITING_APPROVAL = "awaiting", _("Waiting for your approval")
        ALLOWED = "allowed", _("Allowed")
        WITHDRAWN = "withdrawn", _("Consent withdrawn")
        REMOVED = "removed", _("Removed by you")

    class Reason(models.TextChoices):
        NONE = "", _("—")
        REVOKED = "revoked", _("approval revoked")
        AUDIENCE = "audience", _("audience narrowed")
        LIMITS = "limits", _("outside your limits")
        DELETED = "deleted", _("cameo deleted")
        REMOVED = "removed", _("removed by you")

    LIVE_STATES = (State.AWAITING_APPROVAL, State.ALLOWED)

    cameo = models.ForeignKey(Cameo, on_delete=models.SET_NULL, null=True, blank=True, related_name="appearances")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likeness_uses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cameo_uses")
    job_id = models.BigIntegerField(_("job"), db_index=True)
    post_id = models.BigIntegerField(_("post"), null=True, blank=True, db_index=True)
    prompt = models.TextField(_("prompt"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.ALLOWED)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices, blank=True)
    # What happened to the video when consent went: "cancelled", "unpublished", "deleted"...
    outcome = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["owner", "job_id"], name="cameo_appearance_once_per_job")]
        indexes = [models.Index(fields=["owner", "-created_at"], name="cameo_appearance_owner_idx")]

    def __str__(self) -> str:
        return f"{self.owner} in job {self.job_id} ({self.state})"

    @property
    def is_live(self) -> bool:
        return self.state in self.LIVE_STATES
