"""JSON shapes of generation jobs and drafts in the REST API."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from .models import GenerationJob
from .selectors import queue_position


class ShotSerializer(serializers.Serializer):
    prompt = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="What happens in this shot.")
    # A string or a number; the check step reads it as seconds and says what is wrong.
    duration = serializers.CharField(required=False, default="2", help_text="Seconds (1 to 20).")


class JobCreateSerializer(serializers.Serializer):
    """A request for a video.

    The serializer checks the shape (a string where a string goes, whole numbers for ids and
    the seed, a list of shots); the check step (`generation.submission.job_check`) checks the
    values and names what is wrong in the creator's language.
    """

    mode = serializers.CharField(default=GenerationJob.Mode.TEXT, help_text="text, image, remix, extend or storyboard.")
    prompt = serializers.CharField(allow_blank=True, required=False, default="", trim_whitespace=False,
                                   help_text="A few words, in French or English; camera directions welcome.")
    negative_prompt = serializers.CharField(allow_blank=True, required=False, default="")
    duration = serializers.CharField(required=False, default="4", help_text="Seconds, 1 to 20.")
    aspect_ratio = serializers.CharField(required=False, default=GenerationJob.AspectRatio.PORTRAIT,
                                         help_text="9:16, 16:9 or 1:1.")
    tier = serializers.CharField(required=False, default=GenerationJob.Tier.STANDARD, help_text="low, standard or high.")
    # `style` hides Field.style only in the stubs: SerializerMetaclass pops declared fields
    # from the class at run time.
    style = serializers.CharField(required=False, default=GenerationJob.Style.NONE,  # type: ignore[assignment]
                                  help_text="none, realistic, cartoon, animation, film, anime or watercolor.")
    seed = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=0, max_value=2**31 - 1,
                                    help_text="Reuse a seed to make the same video again; empty for a new one.")
    image = serializers.ImageField(required=False, allow_null=True, default=None,
                                   help_text="Image mode: the photo to animate (multipart upload).")
    source_post = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                           help_text="Remix: the id of the post to remix.")
    source_job = serializers.IntegerField(required=False, allow_null=True, default=None, min_value=1,
                                          help_text="Extend: the id of one of your ready videos.")
    shots = ShotSerializer(many=True, required=False, default=None, allow_null=True,
                           help_text="Storyboard: two or more shots, rendered one after the other.")

    def to_internal_value(self, data: Any) -> Any:
        # A multipart form carries the shots as a JSON string; seeds sent as "" mean "new".
        if hasattr(data, "dict") and hasattr(data, "getlist"):
            data = {key: data.get(key) for key in data}
        if isinstance(data, dict):
            data = dict(data)
            if isinstance(data.get("shots"), str):
                try:
                    data["shots"] = json.loads(data["shots"])
                except ValueError:
                    raise serializers.ValidationError({"shots": [_("The shots must be a JSON list.")]}) from None
            for name in ("seed", "source_post", "source_job"):
                if data.get(name) == "":
                    data[name] = None
        return super().to_internal_value(data)


class JobSerializer(serializers.Serializer):
    """A job as its owner sees it: the request, the progress, and the draft when ready."""

    id = serializers.IntegerField()
    mode = serializers.CharField()
    state = serializers.CharField()
    phase = serializers.CharField()
    progress = serializers.FloatField(help_text="0 to 1.")
    step = serializers.IntegerField()
    step_total = serializers.IntegerField()
    queue_position = serializers.SerializerMethodField(help_text="Queued jobs ahead of this one.")
    error = serializers.CharField()
    prompt = serializers.CharField()
    negative_prompt = serializers.CharField()
    style = serializers.CharField()  # type: ignore[assignment]  # as in JobCreateSerializer
    duration = serializers.FloatField(help_text="Seconds asked for.")
    aspect_ratio = serializers.CharField()
    tier = serializers.CharField()
    seed = serializers.IntegerField()
    shots = ShotSerializer(many=True)
    source_post = serializers.IntegerField(source="source_post_id", allow_null=True)
    source_job = serializers.IntegerField(source="source_job_id", allow_null=True)
    credited = serializers.SerializerMethodField(help_text="Handle of the remixed post's author.")
    width = serializers.IntegerField()
    height = serializers.IntegerField()
    fps = serializers.IntegerField()
    steps = serializers.IntegerField()
    model_id = serializers.CharField()
    model_version = serializers.CharField()
    review = serializers.CharField(help_text="Moderation's verdict on the output: allow, review or block.")
    video_url = serializers.SerializerMethodField()
    poster_url = serializers.SerializerMethodField()
    video_duration = serializers.FloatField()
    video_size = serializers.IntegerField()
    frame_count = serializers.IntegerField()
    provenance = serializers.JSONField()
    parameters = serializers.JSONField(help_text="Everything the model was given, to make the video again.")
    timings = serializers.JSONField(help_text="Seconds spent in each phase.")
    attempts = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_queue_position(self, job: GenerationJob) -> int:
        return queue_position(job)

    def get_credited(self, job: GenerationJob) -> str | None:
        return job.credited.handle if job.credited_id and job.credited else None

    def get_video_url(self, job: GenerationJob) -> str | None:
        return job.review_video_url if job.is_draft else None

    def get_poster_url(self, job: GenerationJob) -> str | None:
        return job.review_poster_url if job.is_draft else None


class RegenerateSerializer(serializers.Serializer):
    seed = serializers.IntegerField(required=False, allow_null=True, default=None,
                                    help_text="The seed to use; the job's own seed when left out.")
    new_seed = serializers.BooleanField(required=False, default=False, help_text="Pick a new random seed.")


class QuotaSerializer(serializers.Serializer):
    used = serializers.IntegerField()
    limit = serializers.IntegerField()
    left = serializers.IntegerField()
    max_duration = serializers.FloatField(default=settings.GENERATION_MAX_DURATION)
