"""What moderation keeps: the bank of protected media, cases, decisions and reports."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
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


class CaseQuerySet(models.QuerySet):
    def queue_order(self) -> CaseQuerySet:
        """Most urgent first, then oldest first."""
        return self.order_by("-priority", "created_at", "id")

    def undecided(self) -> CaseQuerySet:
        return self.exclude(state=Case.State.DECIDED)


class Case(models.Model):
    """Something a moderator has to look at, with the evidence that brought it here.

    A decision is about the subject: `approve` keeps or publishes it, `reject` removes it. On a
    report, approving dismisses the report and rejecting upholds it; on an appeal, approving
    restores the subject and rejecting confirms the first decision. `escalate` leaves the case
    open with a higher priority, for a more senior moderator.
    """

    class Kind(models.TextChoices):
        HELD_PROMPT = "held_prompt", _("Held prompt")
        HELD_POST = "held_post", _("Held post")
        FLAGGED_MEDIA = "flagged_media", _("Flagged media")
        FLAGGED_COMMENT = "flagged_comment", _("Flagged comment")
        REPORT = "report", _("Report")
        APPEAL = "appeal", _("Appeal")
        CAMEO_VERIFICATION = "cameo_verification", _("Cameo verification")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        CLAIMED = "claimed", _("Claimed")
        DECIDED = "decided", _("Decided")

    class Outcome(models.TextChoices):
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        ESCALATED = "escalated", _("Escalated")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner of the subject"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="moderation_cases",
    )
    evidence = models.JSONField(_("evidence"), default=dict, blank=True)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    priority = models.IntegerField(_("priority"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.OPEN)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    report_count = models.PositiveIntegerField(_("reports"), default=0)
    parent = models.ForeignKey(
        "self", verbose_name=_("appealed case"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="appeals",
    )
    message = models.TextField(_("message"), blank=True, help_text=_("What the person appealing wrote."))
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [("review_case", _("Can review and decide moderation cases"))]
        indexes = [
            models.Index(fields=["state", "-priority", "created_at"], name="moderation_case_queue"),
            models.Index(fields=["subject_type", "subject_id"], name="moderation_case_subject"),
        ]
        constraints = [
            # Reports of one subject join the one open report case.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"],
                condition=models.Q(kind="report") & ~models.Q(state="decided"),
                name="moderation_case_one_open_report",
            ),
            # A subject can be appealed once.
            models.UniqueConstraint(
                fields=["subject_type", "subject_id"], condition=models.Q(kind="appeal"),
                name="moderation_case_one_appeal",
            ),
        ]

    def __str__(self) -> str:
        return f"Case {self.pk} ({self.kind}, {self.state})"

    @property
    def is_decided(self) -> bool:
        return self.state == self.State.DECIDED


class ImmutableQuerySet(models.QuerySet):
    """Rows that are written once and never changed or removed."""

    def update(self, **kwargs):
        raise TypeError("Moderation decisions are an append-only record: they cannot be updated.")

    def delete(self):
        raise TypeError("Moderation decisions are an append-only record: they cannot be deleted.")


class Decision(models.Model):
    """One decision a moderator took on a case: the audit record, written once."""

    class Action(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        ESCALATE = "escalate", _("Escalate")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    # Empty for the policy's own refusals (a blocked prompt), which can be appealed like any other.
    moderator = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    note = models.TextField(_("note"), blank=True)
    policy_version = models.CharField(_("policy version"), max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.action} on case {self.case_id} by {self.moderator_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("Moderation decisions are an append-only record: they cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Moderation decisions are an append-only record: they cannot be deleted.")


class Report(models.Model):
    """One person's report of a post, a comment or a profile; reports of a subject share a case."""

    class Reason(models.TextChoices):
        PUBLIC_FIGURE = "public_figure", _("A real public figure")
        MINOR = "minor", _("A minor")
        COPYRIGHT = "copyright", _("Copyrighted material")
        HARASSMENT = "harassment", _("Harassment")
        VIOLENCE = "violence", _("Violence")
        SPAM = "spam", _("Spam")
        OTHER = "other", _("Something else")

    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reports")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reports")
    subject_type = models.ForeignKey(ContentType, on_delete=models.CASCADE, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    text = models.TextField(_("details"), max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "subject_type", "subject_id"], name="moderation_report_once"
            ),
        ]

    def __str__(self) -> str:
        return f"Report {self.pk} by {self.reporter_id} ({self.reason})"


class AuditEntry(models.Model):
    """Something a person did to someone else's content outside the review queue (the owner of
    a likeness taking down a video that shows them): written once, never changed."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    action = models.CharField(_("action"), max_length=40)
    subject_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    subject_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("subject_type", "subject_id")
    subject_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    details = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit log")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="moderation_audit_subject")]

    def __str__(self) -> str:
        return f"{self.action} on {self.subject_type_id}:{self.subject_id} by {self.actor_id}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise TypeError("The audit log is an append-only record: entries cannot be updated.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("The audit log is an append-only record: entries cannot be deleted.")
