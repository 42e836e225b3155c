"""JSON shapes of posts and comments in the REST API, written out by hand for speed."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage
from django.http import HttpRequest
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.encoding import filepath_to_uri
from rest_framework import serializers

from accounts.models import User
from accounts.serializers import (
    AuthorRenderer,
    AuthorSerializer,
    PathTemplate,
    author_renderer,
    iso_datetime,
    memo,
)

from .models import Comment, Post
from .selectors import PostCard


class PostRenderer:
    """What every post of one response shares: the site's origin, the path route, the authors."""

    def __init__(self, context: Mapping[str, Any]) -> None:
        request = context.get("request")
        self.origin = request.build_absolute_uri("/")[:-1] if request is not None else ""
        self.post_path = PathTemplate("feed:post", "post_id", 2_147_483_647)
        self.author: AuthorRenderer = author_renderer(context)

    def path(self, post: Post) -> str:
        return self.post_path.fill(post.pk) or post.get_absolute_url()


def post_renderer(context: Mapping[str, Any]) -> PostRenderer:
    """Return the post renderer shared by everything serialized with `context`."""
    renderer = context.get("_posts")
    if renderer is None:
        renderer = memo(context)["_posts"] = PostRenderer(context)
    return renderer


class RemixOfSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    author_handle = serializers.CharField(read_only=True)


class PostSerializer(serializers.Serializer):
    """A post as a card shows it; built from selector rows without further queries."""

    id = serializers.IntegerField(read_only=True)
    url = serializers.CharField(read_only=True, help_text="Path of the post's page.")
    share_url = serializers.URLField(read_only=True, help_text="Absolute address of the post's page.")
    author = AuthorSerializer(read_only=True)
    caption = serializers.CharField(read_only=True)
    video_url = serializers.CharField(read_only=True)
    poster_url = serializers.CharField(read_only=True, allow_null=True)
    duration = serializers.FloatField(read_only=True, help_text="Seconds.")
    width = serializers.IntegerField(read_only=True)
    height = serializers.IntegerField(read_only=True)
    video_size = serializers.IntegerField(read_only=True, help_text="Bytes.")
    like_count = serializers.IntegerField(read_only=True)
    comment_count = serializers.IntegerField(read_only=True)
    liked = serializers.BooleanField(read_only=True, help_text="Whether the viewer likes it.")
    published_at = serializers.DateTimeField(read_only=True, allow_null=True)
    state = serializers.ChoiceField(choices=Post.State.choices, read_only=True)
    remix_of = RemixOfSerializer(read_only=True, allow_null=True)

    def to_representation(self, post: Post) -> dict[str, Any]:
        render = post_renderer(self.context)
        url = render.path(post)
        remix = post.remix_of if post.remix_of_id is not None else None
        return {
            "id": post.pk,
            "url": url,
            "share_url": render.origin + url,
            "author": render.author(post.author),
            "caption": post.caption,
            "video_url": post.video_src or None,
            "poster_url": post.poster_src or None,
            "duration": post.duration,
            "width": post.width,
            "height": post.height,
            "video_size": post.video_size,
            "like_count": post.like_count,
            "comment_count": post.comment_count,
            "liked": bool(getattr(post, "liked", False)),
            "published_at": iso_datetime(post.published_at),
            "state": post.state,
            "remix_of": {"id": remix.pk, "author_handle": remix.author.handle} if remix is not None else None,
        }


# Names made only of characters that filepath_to_uri() leaves as they are.
_URI_SAFE_NAME = re.compile(r"[A-Za-z0-9_.~/!*()'-]*").fullmatch


def _name_url(storage: Storage) -> Callable[[str], str | None]:
    """Return what gives the public URL of a file name in `storage`, as `file_url` does."""
    if storage.__class__ is FileSystemStorage:  # __class__ sees through the lazy default storage
        base = storage.base_url

        def local(name: str) -> str | None:
            if not name:
                return None
            return base + (name if _URI_SAFE_NAME(name) else filepath_to_uri(name))

        return local
    return lambda name: storage.url(name) if name else None


@lru_cache(maxsize=16)
def _card_paths(script_prefix: str, urlconf: Any) -> tuple[PathTemplate, PathTemplate]:
    """Return the routes of a post and a profile, split around their argument, for these URLs."""
    return PathTemplate("feed:post", "post_id", 2_147_483_647), PathTemplate("accounts:profile", "handle", "sample_handle")


def post_cards_data(cards: Iterable[PostCard], request: HttpRequest) -> list[dict[str, Any]]:
    """Return feed cards in PostSerializer's shape, written straight from the feed rows."""
    origin = request.build_absolute_uri("/")[:-1]
    # reverse() depends on the script prefix and the URLconf of the request, so do the paths.
    post_path, profile_path = _card_paths(get_script_prefix(), get_urlconf())
    video_url = _name_url(Post._meta.get_field("video").storage)
    poster_url = _name_url(Post._meta.get_field("poster").storage)
    avatar_url = _name_url(User._meta.get_field("avatar").storage)
    authors: dict[int, dict[str, Any]] = {}
    data = []
    # Unpacked in PostCard's order: a page has up to 50 cards of 20 fields.
    for (
        pk, author_id, caption, video, poster, duration, width, height, video_size, like_count,
        comment_count, published_at, state, remix_id, _score, handle, display_name, avatar,
        remix_handle, liked,
    ) in cards:
        author = authors.get(author_id)
        if author is None:
            author = authors[author_id] = {
                "handle": handle,
                "display_name": display_name,
                "avatar_url": avatar_url(avatar),
                "url": profile_path.fill(handle) or reverse("accounts:profile", kwargs={"handle": handle}),
            }
        url = post_path.fill(pk) or reverse("feed:post", kwargs={"post_id": pk})
        data.append({
            "id": pk,
            "url": url,
            "share_url": origin + url,
            "author": author,
            "caption": caption,
            "video_url": video_url(video),
            "poster_url": poster_url(poster),
            "duration": duration,
            "width": width,
            "height": height,
            "video_size": video_size,
            "like_count": like_count,
            "comment_count": comment_count,
            "liked": bool(liked),
            "published_at": iso_datetime(published_at),
            "state": state,
            "remix_of": None if remix_id is None else {"id": remix_id, "author_handle": remix_handle},
        })
    return data


class PostPageSerializer(serializers.Serializer):
    """A page of posts and the cursor of the next one."""

    results = PostSerializer(many=True, read_only=True)
    next = serializers.CharField(read_only=True, allow_null=True, help_text="Cursor of the next page; null at the end.")


class PostUpdateSerializer(serializers.Serializer):
    caption = serializers.CharField(allow_blank=True, max_length=settings.CAPTION_MAX_LENGTH)


class CommentSerializer(serializers.Serializer):
    """A comment under a post, and whether the viewer may delete it."""

    id = serializers.IntegerField(read_only=True)
    post = serializers.IntegerField(read_only=True, help_text="Id of the post it is under.")
    author = AuthorSerializer(read_only=True)
    body = serializers.CharField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    can_delete = serializers.BooleanField(read_only=True)

    def to_representation(self, comment: Comment) -> dict[str, Any]:
        request = self.context.get("request")
        viewer_id = getattr(getattr(request, "user", None), "pk", None)
        post = self.context.get("post") or comment.post
        return {
            "id": comment.pk,
            "post": comment.post_id,
            "author": author_renderer(self.context)(comment.author),
            "body": comment.body,
            "created_at": iso_datetime(comment.created_at),
            "can_delete": viewer_id is not None and viewer_id in (comment.author_id, post.author_id),
        }


class CommentPageSerializer(serializers.Serializer):
    """A page of comments and the cursor of the next one."""

    results = CommentSerializer(many=True, read_only=True)
    next = serializers.CharField(read_only=True, allow_null=True, help_text="Cursor of the next page; null at the end.")


class CommentCreateSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=settings.COMMENT_MAX_LENGTH)


class LikeStateSerializer(serializers.Serializer):
    liked = serializers.BooleanField(read_only=True)
    like_count = serializers.IntegerField(read_only=True)
