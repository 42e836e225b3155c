from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Block, Follow, Notification, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["handle"]
    list_display = ["handle", "display_name", "email", "date_of_birth", "is_staff", "date_joined"]
    search_fields = ["handle", "display_name", "email"]
    fieldsets = (
        (None, {"fields": ("handle", "password")}),
        (_("Profile"), {"fields": ("display_name", "email", "bio", "avatar", "date_of_birth")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("handle", "email", "password1", "password2")}),)
    readonly_fields = ["follower_count", "following_count", "post_count"]


admin.site.register(Follow)
admin.site.register(Block)
admin.site.register(Notification)
