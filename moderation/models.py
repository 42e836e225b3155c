"""What moderation keeps: the bank of protected media."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ProtectedMedia(models.Model):
    """A copyrighted still or clip, or a reference photo of a public figure, that nothing
    published may match.

    Only fingerprints are kept, never the file: PDQ hashes (one for an image, one per
    sampled frame for a video) and, for a public figure's photo, a face descriptor.
    """

    class Category(models.TextChoices):
        COPYRIGHT = "copyright", _("Copyrighted work")
        PUBLIC_FIGURE = "public_figure", _("Public figure")

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")

    label = models.CharField(_("label"), max_length=200, help_text=_("Who or what this is, as reviewers will see it."))
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    source = models.CharField(
        _("source"), max_length=300, blank=True,
        help_text=_("Where the reference came from: the rights holder, the request, the original title."),
    )
    file_sha256 = models.CharField(_("file SHA-256"), max_length=64, db_index=True, editable=False)
    pdq_hashes = models.JSONField(_("PDQ hashes"), default=list, editable=False)
    pdq_quality = models.PositiveSmallIntegerField(_("lowest PDQ quality"), default=0, editable=False)
    face_embedding = models.JSONField(_("face descriptor"), null=True, blank=True, editable=False)
    face_model = models.CharField(_("face model"), max_length=40, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("protected media")
        verbose_name_plural = _("protected media")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["active", "category"], name="moderation_protected_active")]

    def __str__(self) -> str:
        return f"{self.label} ({self.get_category_display()}, {self.get_kind_display()})"

    @property
    def frame_count(self) -> int:
        return len(self.pdq_hashes)

    @property
    def has_face(self) -> bool:
        return bool(self.face_embedding)
