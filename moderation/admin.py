from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .media.bank import BankError, protected_media_analyse, protected_media_fill
from .models import AuditEntry, Case, Decision, ProtectedMedia, Report


class ProtectedMediaAddForm(forms.ModelForm):
    """Take the file to fingerprint; the file itself is not kept."""

    file = forms.FileField(
        label=_("image or video"),
        help_text=_("Only its fingerprints are stored: PDQ hashes, and a face descriptor for a public figure."),
    )

    class Meta:
        model = ProtectedMedia
        fields = ["label", "category", "source", "active"]

    def clean(self):
        cleaned = super().clean()
        upload, category = cleaned.get("file"), cleaned.get("category")
        if upload and category:
            try:
                self.analysis = protected_media_analyse(file=upload, category=category)
            except BankError as exc:
                raise forms.ValidationError({"file": str(exc)}) from exc
            duplicate = ProtectedMedia.objects.filter(file_sha256=self.analysis.file_sha256).first()
            if duplicate is not None:
                raise forms.ValidationError(
                    {"file": _("This file is already in the bank as #%(id)s (%(label)s).")
                     % {"id": duplicate.pk, "label": duplicate.label}}
                )
        return cleaned


@admin.register(ProtectedMedia)
class ProtectedMediaAdmin(admin.ModelAdmin):
    list_display = ["label", "category", "kind", "frame_count", "has_face", "active", "created_by", "created_at"]
    list_filter = ["category", "kind", "active"]
    search_fields = ["label", "source"]
    actions = ["activate", "deactivate"]
    readonly_fields = [
        "category", "kind", "frame_count", "pdq_quality", "has_face", "face_model", "file_sha256",
        "created_by", "created_at", "updated_at",
    ]
    fields = ["label", "source", "active", *readonly_fields]

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ProtectedMediaAddForm
            kwargs["fields"] = [*ProtectedMediaAddForm.Meta.fields, "file"]
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        return [*ProtectedMediaAddForm.Meta.fields, "file"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            protected_media_fill(entry=obj, analysis=form.analysis)
            obj.created_by = request.user
            for note in form.analysis.notes:
                self.message_user(request, note, messages.WARNING)
        super().save_model(request, obj, form, change)

    @admin.display(boolean=True, description=_("face"))
    def has_face(self, obj: ProtectedMedia) -> bool:
        return obj.has_face

    @admin.display(description=_("hashes"))
    def frame_count(self, obj: ProtectedMedia) -> int:
        return obj.frame_count

    @admin.action(description=_("Match against the selected entries"))
    def activate(self, request, queryset):
        # update() skips auto_now; the bank index notices changes by updated_at.
        count = queryset.filter(active=False).update(active=True, updated_at=timezone.now())
        self._report(request, count)

    @admin.action(description=_("Stop matching against the selected entries"))
    def deactivate(self, request, queryset):
        count = queryset.filter(active=True).update(active=False, updated_at=timezone.now())
        self._report(request, count)

    def _report(self, request, count: int) -> None:
        self.message_user(request, ngettext("%d entry changed.", "%d entries changed.", count) % count)


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    can_delete = False
    fields = ("created_at", "moderator", "action", "note", "policy_version")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class ReportInline(admin.TabularInline):
    model = Report
    extra = 0
    can_delete = False
    fields = ("created_at", "reporter", "reason", "text")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = ["id", "kind", "subject_type", "subject_id", "priority", "state", "outcome", "report_count", "created_at"]
    list_filter = ["kind", "state", "outcome"]
    ordering = ["-priority", "created_at", "id"]
    readonly_fields = [
        "kind", "subject_type", "subject_id", "subject_owner", "evidence", "categories", "priority", "state",
        "outcome", "report_count", "parent", "message", "claimed_by", "claimed_at", "created_at", "decided_at",
    ]
    inlines = [ReportInline, DecisionInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """An append-only record: shown, never added, changed or deleted here."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """What people did to others' content outside the queue (a likeness taken down)."""

    list_display = ["created_at", "action", "actor", "subject_owner", "subject_type", "subject_id"]
    list_filter = ["action"]
    readonly_fields = ["actor", "action", "subject_type", "subject_id", "subject_owner", "details", "created_at"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    """The audit log of moderators' decisions: read only."""

    list_display = ["created_at", "case", "moderator", "action", "policy_version"]
    list_filter = ["action"]
    readonly_fields = ["case", "moderator", "action", "note", "policy_version", "created_at"]
