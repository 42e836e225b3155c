from django.contrib import admin

from .models import Appearance, Cameo, CameoGrant


class GrantInline(admin.TabularInline):
    model = CameoGrant
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Cameo)
class CameoAdmin(admin.ModelAdmin):
    """Cameos: states and rules. The media is reviewed in the moderation queue, not here."""

    list_display = ["owner", "state", "audience", "approve_each_use", "verified_at", "created_at"]
    list_filter = ["state", "audience"]
    search_fields = ["owner__handle"]
    readonly_fields = ["owner", "reference_vector", "clip", "clip_checks", "verified_at", "created_at"]
    exclude = ["challenge_digits", "challenge_move", "challenge_issued_at"]
    inlines = [GrantInline]


@admin.register(Appearance)
class AppearanceAdmin(admin.ModelAdmin):
    list_display = ["created_at", "owner", "user", "job_id", "post_id", "state", "reason"]
    list_filter = ["state", "reason"]
    search_fields = ["owner__handle", "user__handle"]
    readonly_fields = ["cameo", "owner", "user", "job_id", "post_id", "prompt", "outcome", "created_at", "decided_at"]
