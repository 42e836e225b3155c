"""JSON shapes of people, tokens and notifications in the REST API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.contrib.auth import authenticate
from django.core.files.storage import FileSystemStorage
from django.db.models.fields.files import FieldFile
from django.urls import NoReverseMatch, reverse
from django.utils.encoding import filepath_to_uri
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers

from .auth_backends import LOCKED_MESSAGE, login_lock_remaining
from .models import Notification, User
from .selectors import blocked_list, followee_ids


def file_url(value: FieldFile | None) -> str | None:
    """Return the public URL of a stored file, or None when there is none."""
    if value is None or not value.name:  # a FieldFile is empty exactly when it has no name
        return None
    storage = value.storage
    if storage.__class__ is FileSystemStorage:  # __class__ sees through the lazy default storage
        # What FileSystemStorage.url() returns for the names this site stores, without the
        # urljoin() that made URLs the costliest part of a feed page. Other storages (S3,
        # with signed URLs) are always asked.
        return storage.base_url + filepath_to_uri(value.name)
    return storage.url(value.name)


class PathTemplate:
    """The path of a route with one argument, split around it, so many paths cost one reverse()."""

    def __init__(self, name: str, key: str, sample: str | int) -> None:
        marker = str(sample)
        try:
            path = reverse(name, kwargs={key: sample})
        except NoReverseMatch:
            path = ""
        before, found, after = path.partition(marker)
        self.parts = (before, after) if found and marker not in after else None

    def fill(self, value: str | int) -> str | None:
        """Return the path with `value` as its argument, or None if the route could not be split."""
        if self.parts is None:
            return None
        return f"{self.parts[0]}{value}{self.parts[1]}"


class AuthorRenderer:
    """Write the short form of people for one response: each person once, paths from one reverse()."""

    def __init__(self) -> None:
        self.profile_path = PathTemplate("accounts:profile", "handle", "sample_handle")
        self.seen: dict[int, dict[str, Any]] = {}

    def __call__(self, user: User) -> dict[str, Any]:
        data = self.seen.get(user.pk)
        if data is None:
            data = self.seen[user.pk] = {
                "handle": user.handle,
                "display_name": user.display_name,
                "avatar_url": file_url(user.avatar),
                "url": self.profile_path.fill(user.handle) or user.get_absolute_url(),
            }
        return data


def memo(context: Mapping[str, Any]) -> dict[str, Any]:
    """Return a serializer's context as the dict that it is, to keep per-response state in.

    DRF keeps the `context=` dict it was given (else a new `{}`); its stubs type it as a
    read-only Mapping only because the argument may be any Mapping, and ours are all dicts.
    """
    return cast(dict[str, Any], context)


def author_renderer(context: Mapping[str, Any]) -> AuthorRenderer:
    """Return the author renderer shared by everything serialized with `context`."""
    renderer = context.get("_authors")
    if renderer is None:
        renderer = memo(context)["_authors"] = AuthorRenderer()
    return renderer


def iso_datetime(value) -> str | None:
    """Return `value` in ISO 8601, with `Z` for UTC, as the rest of the API writes it."""
    if value is None:
        return None
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


class AuthorSerializer(serializers.Serializer):
    """A person in short: enough to show next to a post or a comment."""

    handle = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)
    avatar_url = serializers.CharField(read_only=True, allow_null=True)
    url = serializers.CharField(read_only=True)

    def to_representation(self, instance: User) -> dict[str, Any]:
        return author_renderer(self.context)(instance)


def _viewer_relations(context: Mapping[str, Any]) -> tuple[frozenset[int], frozenset[int]]:
    """Return (ids the viewer follows, ids the viewer blocked), read once per response."""
    cached = context.get("_relations")
    if cached is None:
        request = context.get("request")
        viewer = getattr(request, "user", None)
        if viewer is None or not viewer.is_authenticated:
            cached = (frozenset(), frozenset())
        else:
            blocked = frozenset(blocked_list(user=viewer).values_list("pk", flat=True))
            cached = (followee_ids(user=viewer), blocked)
        memo(context)["_relations"] = cached
    return cached


class ProfileSerializer(serializers.Serializer):
    """A person's public profile, with how the viewer relates to them."""

    handle = serializers.CharField(read_only=True)
    display_name = serializers.CharField(read_only=True)
    bio = serializers.CharField(read_only=True)
    avatar_url = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    follower_count = serializers.IntegerField(read_only=True)
    following_count = serializers.IntegerField(read_only=True)
    post_count = serializers.IntegerField(read_only=True)
    is_following = serializers.SerializerMethodField()
    is_blocked = serializers.SerializerMethodField()

    def get_avatar_url(self, user: User) -> str | None:
        return file_url(user.avatar)

    def get_url(self, user: User) -> str:
        return user.get_absolute_url()

    def get_is_following(self, user: User) -> bool:
        return user.pk in _viewer_relations(self.context)[0]

    def get_is_blocked(self, user: User) -> bool:
        return user.pk in _viewer_relations(self.context)[1]


class MeSerializer(ProfileSerializer):
    """The signed-in person's own profile, with their private details."""

    email = serializers.EmailField(read_only=True)
    date_of_birth = serializers.DateField(read_only=True, allow_null=True)


class ProfileUpdateSerializer(serializers.Serializer):
    """The profile fields a person may change; all optional."""

    display_name = serializers.CharField(required=False, allow_blank=True, max_length=50)
    bio = serializers.CharField(required=False, allow_blank=True, max_length=300)
    avatar = serializers.FileField(
        required=False, help_text=_("A JPEG, PNG, WebP or GIF image, re-encoded as a square WebP.")
    )


class SignupSerializer(serializers.Serializer):
    """What a person gives to open an account."""

    handle = serializers.CharField(max_length=30)
    email = serializers.EmailField()
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})
    date_of_birth = serializers.DateField()
    display_name = serializers.CharField(required=False, allow_blank=True, max_length=50, default="")


class TokenObtainSerializer(serializers.Serializer):
    """A handle and password exchanged for an API token."""

    handle = serializers.CharField()
    password = serializers.CharField(write_only=True, trim_whitespace=False, style={"input_type": "password"})

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        request = self.context.get("request")
        handle = attrs["handle"].lstrip("@")
        # Checked before authenticate(), which would refuse too, but as a wrong password.
        wait = login_lock_remaining(request, handle)
        if wait is not None:
            raise exceptions.Throttled(wait=wait, detail=str(LOCKED_MESSAGE))
        user = authenticate(request=request, username=handle, password=attrs["password"])
        if user is None:
            raise serializers.ValidationError(
                _("Unable to sign in with this handle and password."), code="authorization"
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class FollowStateSerializer(serializers.Serializer):
    following = serializers.BooleanField(read_only=True)
    follower_count = serializers.IntegerField(read_only=True)


class BlockStateSerializer(serializers.Serializer):
    blocked = serializers.BooleanField(read_only=True)


class NotificationTargetSerializer(serializers.Serializer):
    type = serializers.CharField(read_only=True, help_text=_("`app_label.model`, e.g. `feed.post`."))
    id = serializers.IntegerField(read_only=True)


class NotificationSerializer(serializers.Serializer):
    """Something that happened that the viewer should hear about."""

    id = serializers.IntegerField(read_only=True)
    verb = serializers.ChoiceField(choices=Notification.Verb.choices, read_only=True)
    text = serializers.CharField(read_only=True)
    actor = AuthorSerializer(read_only=True, allow_null=True)
    target = NotificationTargetSerializer(read_only=True, allow_null=True)
    created_at = serializers.DateTimeField(read_only=True)
    read = serializers.BooleanField(read_only=True)

    def to_representation(self, instance: Notification) -> dict[str, Any]:
        target = None
        # `target_type` and `actor` are None, read without a query, when their ids are None.
        if instance.target_id is not None and (kind := instance.target_type) is not None:
            target = {"type": f"{kind.app_label}.{kind.model}", "id": instance.target_id}
        actor = instance.actor
        return {
            "id": instance.pk,
            "verb": instance.verb,
            "text": str(instance.get_verb_display()),
            "actor": author_renderer(self.context)(actor) if actor is not None else None,
            "target": target,
            "created_at": iso_datetime(instance.created_at),
            "read": instance.read_at is not None,
        }


class NotificationListSerializer(serializers.Serializer):
    results = NotificationSerializer(many=True, read_only=True)
    unread = serializers.IntegerField(read_only=True)


class NotificationsReadSerializer(serializers.Serializer):
    marked = serializers.IntegerField(read_only=True, help_text=_("How many were unread."))
    unread = serializers.IntegerField(read_only=True)

