"""People, the follows and blocks between them, and what they are told."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .validators import validate_birth_date, validate_handle


def avatar_upload_to(instance: User, filename: str) -> str:
    return f"avatars/{instance.pk or 'new'}/{uuid.uuid4().hex}.webp"


if TYPE_CHECKING:
    # The stubs make UserManager generic; Django's runtime class is not subscriptable.
    _UserManagerBase = DjangoUserManager["User"]
else:
    _UserManagerBase = DjangoUserManager


class UserManager(_UserManagerBase):
    """Users are found by handle, whatever its case."""

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(handle__iexact=username)

    def _create_user(self, handle: str, email: str | None, password: str | None, **extra: Any) -> User:
        user = self.model(handle=handle, email=self.normalize_email(email or ""), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    # The first argument is named after USERNAME_FIELD ("handle"), not "username" as in the
    # stubs: Django's createsuperuser command and our callers pass it by that keyword.
    def create_user(  # type: ignore[override]
        self, handle: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(handle, email, password, **extra)

    def create_superuser(  # type: ignore[override]  # named "handle", as create_user above
        self, handle: str, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(handle, email, password, **extra)


class User(AbstractUser):
    """A person on the platform, known by a unique, case-insensitive handle."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]

    handle = models.CharField(
        _("handle"), max_length=30, unique=True, validators=[validate_handle],
        error_messages={"unique": _("This handle is already taken.")},
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)
    bio = models.CharField(_("bio"), max_length=300, blank=True)
    avatar = models.ImageField(_("avatar"), upload_to=avatar_upload_to, blank=True)
    date_of_birth = models.DateField(
        _("date of birth"), null=True, blank=True, validators=[validate_birth_date]
    )
    follower_count = models.PositiveIntegerField(default=0)
    following_count = models.PositiveIntegerField(default=0)
    post_count = models.PositiveIntegerField(default=0)

    USERNAME_FIELD = "handle"
    REQUIRED_FIELDS = ["email"]

    objects: ClassVar[UserManager] = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                Lower("handle"), name="accounts_user_handle_ci_unique",
                violation_error_message=_("This handle is already taken."),
            ),
        ]

    def __str__(self) -> str:
        return f"@{self.handle}"

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile", kwargs={"handle": self.handle})

    @property
    def name(self) -> str:
        """Return the name to show: the display name, else the handle."""
        return self.display_name or self.handle


class Follow(models.Model):
    """`follower` sees the posts of `followee` in their Following feed."""

    follower = models.ForeignKey(User, on_delete=models.CASCADE, related_name="following_set")
    followee = models.ForeignKey(User, on_delete=models.CASCADE, related_name="follower_set")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["follower", "followee"], name="accounts_follow_unique"),
            models.CheckConstraint(
                condition=~models.Q(follower=models.F("followee")), name="accounts_follow_not_self"
            ),
        ]
        indexes = [models.Index(fields=["followee", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.follower} → {self.followee}"


class Block(models.Model):
    """`blocker` no longer sees `blocked`, who can no longer follow them."""

    blocker = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocking_set")
    blocked = models.ForeignKey(User, on_delete=models.CASCADE, related_name="blocked_by_set")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["blocker", "blocked"], name="accounts_block_unique"),
            models.CheckConstraint(
                condition=~models.Q(blocker=models.F("blocked")), name="accounts_block_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blocker} ⊘ {self.blocked}"


class Notification(models.Model):
    """Something that happened that `recipient` should hear about."""

    class Verb(models.TextChoices):
        FOLLOW = "follow", _("followed you")
        LIKE = "like", _("liked your video")
        COMMENT = "comment", _("commented on your video")
        MODERATION_APPROVED = "moderation_approved", _("approved what you posted after review")
        MODERATION_REJECTED = "moderation_rejected", _("removed what you posted after review")
        REPORT_UPHELD = "report_upheld", _("acted on your report")
        REPORT_DISMISSED = "report_dismissed", _("reviewed your report and took no action")
        CAMEO_USED = "cameo_used", _("made a video with your cameo")
        CAMEO_APPROVED = "cameo_approved", _("approved your video with their cameo")
        CAMEO_WITHDRAWN = "cameo_withdrawn", _("withdrew consent: your video with their cameo was taken down")
        LIKENESS_REMOVED = "likeness_removed", _("removed a video of you that shows them")
        CAMEO_VERIFIED = "cameo_verified", _("verified your cameo")
        CAMEO_NOT_VERIFIED = "cameo_not_verified", _("could not verify your cameo")

    recipient = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    actor = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+", null=True)
    verb = models.CharField(max_length=32, choices=Verb.choices)
    target_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, null=True, blank=True)
    target_id = models.PositiveBigIntegerField(null=True, blank=True)
    target = GenericForeignKey("target_type", "target_id")
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["recipient", "-created_at"])]
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.actor} {self.verb} → {self.recipient}"
