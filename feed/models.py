"""Posts, and the likes and comments people leave on them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# A post's files live in the public folders (`videos/`, `posters/`) only while it is
# published; otherwise under `withheld/`, which nothing serves but the post's own
# permission-checked view. Taking a post down moves its files there (feed.services).
WITHHELD = "withheld/"


def video_upload_to(instance: Post, filename: str) -> str:
    return f"videos/{uuid.uuid4().hex}.mp4"


def poster_upload_to(instance: Post, filename: str) -> str:
    return f"posters/{uuid.uuid4().hex}.jpg"


class PostQuerySet(models.QuerySet):
    def published(self) -> PostQuerySet:
        return self.filter(state=Post.State.PUBLISHED)


class Post(models.Model):
    """A video someone shared, with its caption and counts."""

    class State(models.TextChoices):
        PENDING_REVIEW = "pending_review", _("Waiting for review")
        PUBLISHED = "published", _("Published")
        REMOVED = "removed", _("Removed")

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="posts")
    video = models.FileField(_("video"), upload_to=video_upload_to)
    poster = models.ImageField(_("poster"), upload_to=poster_upload_to)
    duration = models.FloatField(_("duration (s)"))
    video_size = models.PositiveBigIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    caption = models.CharField(_("caption"), max_length=500, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PENDING_REVIEW)
    remix_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="remixes"
    )
    # The generation job that made the video (its draft, provenance and parameters).
    job = models.ForeignKey(
        "generation.GenerationJob", on_delete=models.SET_NULL, null=True, blank=True, related_name="posts"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    like_count = models.PositiveIntegerField(default=0)
    comment_count = models.PositiveIntegerField(default=0)
    # Ranking: `fresh_score` is fixed at publication, `rank_score` adds engagement to it.
    fresh_score = models.FloatField(default=0.0)
    rank_score = models.FloatField(default=0.0)

    objects = PostQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["-rank_score", "-id"], name="feed_post_rank_idx",
                condition=Q(state="published"),
            ),
            models.Index(
                fields=["-published_at", "-id"], name="feed_post_time_idx",
                condition=Q(state="published"),
            ),
            models.Index(
                fields=["author", "-rank_score", "-id"], name="feed_post_author_rank_idx",
                condition=Q(state="published"),
            ),
            models.Index(
                fields=["author", "-published_at", "-id"], name="feed_post_author_time_idx",
                condition=Q(state="published"),
            ),
        ]

    def __str__(self) -> str:
        return f"Post {self.pk} by {self.author_id}"

    def get_absolute_url(self) -> str:
        return reverse("feed:post", kwargs={"post_id": self.pk})

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def video_src(self) -> str:
        """Where a page loads the video: its public address, or the checked one while withheld."""
        return self._src(self.video, "video")

    @property
    def poster_src(self) -> str:
        return self._src(self.poster, "poster")

    @property
    def review_video_url(self) -> str:
        """The permission-checked address of the video, for its author and moderators."""
        return reverse("feed:post-media", args=[self.pk, "video"]) if self.video else ""

    @property
    def review_poster_url(self) -> str:
        return reverse("feed:post-media", args=[self.pk, "poster"]) if self.poster else ""

    def _src(self, file: FieldFile, kind: str) -> str:
        if not file:
            return ""
        if file.name and file.name.startswith(WITHHELD):
            return reverse("feed:post-media", args=[self.pk, kind])
        return file.url


class Like(models.Model):
    """One person likes one post, once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="likes")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="likes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["post", "user"], name="feed_like_unique")]
        indexes = [models.Index(fields=["user", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.user_id} ♥ {self.post_id}"


class Comment(models.Model):
    """A short text someone wrote under a post."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="comments")
    body = models.TextField(_("comment"), max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["post", "-created_at", "-id"])]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.post_id}"
