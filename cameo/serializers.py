"""JSON shapes of cameos, their approvals and their uses in the REST API."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Appearance, Cameo
from .services import challenge_expires_at, challenge_text

# The challenge is only worth showing while the owner still has to record it.
CHALLENGE_STATES = (Cameo.State.PENDING, Cameo.State.REJECTED)


class CameoCreateSerializer(serializers.Serializer):
    """Photos of one's face. They are checked by the service, which names what is wrong."""

    photos = serializers.ListField(
        child=serializers.ImageField(),
        help_text="One to five (CAMEO_MAX_PHOTOS) clear photos of your face alone: multipart, the field repeated.",
    )


class CameoRulesSerializer(serializers.Serializer):
    """Who may use the cameo and on what terms; fields left out are not changed."""

    audience = serializers.CharField(
        required=False, help_text="only_me, approved (people you approve), mutuals or everyone.",
    )
    limits = serializers.CharField(
        required=False, allow_blank=True, trim_whitespace=False,
        help_text="In your own words, one per line (at most 20 lines, 500 characters): what videos with you "
                  "must never show.",
    )
    approve_each_use = serializers.BooleanField(
        required=False, help_text="Videos with you cannot be posted until you approve them.",
    )


class VerificationSerializer(serializers.Serializer):
    clip = serializers.FileField(
        help_text="A short video (MP4, MOV or WebM) of you doing the challenge: your face alone, in good light.",
    )


class CameoSerializer(serializers.Serializer):
    """One's own cameo as its owner sees it: its state, rules, photos and approvals."""

    handle = serializers.CharField()
    state = serializers.CharField(
        help_text="pending (clip due), checking (the clip is being checked), in_review, verified or rejected "
                  "(record again)."
    )
    clip_refused = serializers.SerializerMethodField(
        help_text="Why the last clip was refused by the automatic checks, while a new one is due."
    )
    audience = serializers.CharField(help_text="only_me, approved, mutuals or everyone.")
    limits = serializers.CharField()
    approve_each_use = serializers.BooleanField()
    photo_urls = serializers.SerializerMethodField(help_text="The reference photos (owner and moderators only).")
    clip_url = serializers.SerializerMethodField(help_text="The verification clip, once sent.")
    challenge = serializers.SerializerMethodField(help_text="What to do on camera, while a clip is due.")
    challenge_expires_at = serializers.SerializerMethodField()
    verified_at = serializers.DateTimeField(allow_null=True)
    grants = serializers.SerializerMethodField(help_text="Handles of the people approved to use the cameo.")
    created_at = serializers.DateTimeField()

    def get_photo_urls(self, cameo: Cameo) -> list[str]:
        return [reverse("cameo:photo", args=[photo.pk]) for photo in cameo.photos.all()]

    def get_clip_refused(self, cameo: Cameo) -> str | None:
        refused = (cameo.clip_checks or {}).get("refused") if cameo.state == Cameo.State.PENDING else None
        return str(refused) if refused else None

    def get_clip_url(self, cameo: Cameo) -> str | None:
        return cameo.review_video_url or None

    def get_challenge(self, cameo: Cameo) -> str | None:
        return (challenge_text(cameo) or None) if cameo.state in CHALLENGE_STATES else None

    @extend_schema_field(OpenApiTypes.DATETIME)
    def get_challenge_expires_at(self, cameo: Cameo):
        return challenge_expires_at(cameo) if cameo.state in CHALLENGE_STATES else None

    def get_grants(self, cameo: Cameo) -> list[str]:
        return [grant.user.handle for grant in cameo.grants.select_related("user")]


class CameoWithdrawnSerializer(CameoSerializer):
    withdrawn = serializers.IntegerField(help_text="How many uses lost consent with this change and were taken down.")


class WithdrawnSerializer(serializers.Serializer):
    withdrawn = serializers.IntegerField(help_text="How many uses lost consent and were taken down.")


class GrantCreateSerializer(serializers.Serializer):
    handle = serializers.CharField(help_text="The person to approve, with or without the @.")


class GrantSerializer(serializers.Serializer):
    handle = serializers.CharField(source="user.handle")
    created_at = serializers.DateTimeField()


class AppearanceRemoveSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=500,
                                 help_text="Why, for the audit log.")


class AppearanceSerializer(serializers.Serializer):
    """One use of one's likeness, by oneself or by someone else, and what became of it."""

    id = serializers.IntegerField()
    user = serializers.CharField(source="user.handle", help_text="Handle of the person who made the video.")
    job_id = serializers.IntegerField()
    post_id = serializers.IntegerField(allow_null=True)
    prompt = serializers.CharField()
    state = serializers.CharField(help_text="awaiting (your approval), allowed, withdrawn or removed.")
    reason = serializers.CharField(help_text="Why it was taken down: revoked, audience, limits, deleted or removed.")
    outcome = serializers.ListField(child=serializers.CharField(),
                                    help_text='What happened to the video: "cancelled", "unpublished", "deleted"…')
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    video_url = serializers.SerializerMethodField()

    def get_video_url(self, appearance: Appearance) -> str:
        return reverse("generation:job-video", args=[appearance.job_id])


class CameoPublicSerializer(serializers.Serializer):
    """What someone writing a prompt may know of a cameo; never its media."""

    handle = serializers.CharField()
    verified = serializers.BooleanField(source="is_verified")
    audience = serializers.CharField(help_text="only_me, approved, mutuals or everyone.")
    may_use = serializers.SerializerMethodField(help_text="Whether you may put this person in a video now.")
    refusal = serializers.SerializerMethodField(help_text="Why you may not, when you may not.")
    limits = serializers.SerializerMethodField(help_text="The owner's limits, shown only to people who may use it.")

    def get_may_use(self, cameo: Cameo) -> bool:
        return not self.context["refusal"]

    def get_refusal(self, cameo: Cameo) -> str | None:
        return self.context["refusal"] or None

    def get_limits(self, cameo: Cameo) -> str | None:
        return None if self.context["refusal"] else cameo.limits
