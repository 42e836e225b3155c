"""Web pages of the feed: For you, Following, a video's own page, and the videos on profiles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User
from accounts.selectors import following_list, is_following
from accounts.viewers import Viewer, signed_in, signed_in_or_none
from config.media import private_file_response
from config.pagination import InvalidCursor, Page
from moderation.services import is_moderator

from .models import Post
from .selectors import (
    comments_page,
    feed_following,
    feed_for_you,
    post_get,
    profile_posts,
)
from .services import comment_create

PROFILE_GRID_SIZE = 18
# The feed page tells its script whom the viewer follows, to draw the follow buttons.
FOLLOWED_HANDLES_MAX = 5000


def _followed_handles(user: Viewer) -> list[str]:
    if not user.is_authenticated:
        return []
    return list(following_list(user=user).values_list("handle", flat=True)[:FOLLOWED_HANDLES_MAX])


def _first_page(selector: Callable[..., Page], cursor: str | None, **kwargs: Any) -> Page:
    """Return the page at `cursor`, or the first one when the cursor is not valid."""
    try:
        return selector(cursor=cursor, **kwargs)
    except InvalidCursor:
        return selector(**kwargs)


def _feed(request: HttpRequest, *, selector: Callable[..., Page], tab: str, api_path: str) -> HttpResponse:
    page = _first_page(selector, request.GET.get("cursor") or None, viewer=request.user)
    return render(
        request,
        "feed/feed.html",
        {"page": page, "tab": tab, "api_path": api_path, "followed_handles": _followed_handles(request.user)},
    )


@require_safe
def for_you(request: HttpRequest) -> HttpResponse:
    """The For you feed: everyone's videos, ranked."""
    return _feed(request, selector=feed_for_you, tab="for_you", api_path="feed/for-you/")


@login_required
@require_safe
def following(request: HttpRequest) -> HttpResponse:
    """The Following feed: videos of the people the viewer follows, newest first."""
    return _feed(request, selector=feed_following, tab="following", api_path="feed/following/")


@require_safe
def post_detail(request: HttpRequest, post_id: int) -> HttpResponse:
    """One video with its comments; the address people share."""
    viewer = signed_in_or_none(request)
    post = post_get(post_id=post_id, viewer=viewer)
    if post is None:
        raise Http404
    comments = comments_page(post=post, viewer=viewer) if post.is_published else Page(items=[])
    following = is_following(follower=viewer, followee=post.author)
    return render(
        request,
        "feed/post.html",
        {
            "post": post,
            "comments": comments,
            "following": following,
            "followed_handles": [post.author.handle] if following else [],
            "share_url": request.build_absolute_uri(post.get_absolute_url()),
            "poster_url": request.build_absolute_uri(post.poster_src),
            "video_url": request.build_absolute_uri(post.video_src),
        },
    )


@require_safe
def post_media(request: HttpRequest, post_id: int, kind: str) -> HttpResponseBase:
    """A post's video or poster at its checked address: to its author and to moderators
    whatever its state (a post waiting for review, or taken down), to everyone else only
    while it is published (then the public address is the one to use)."""
    post = Post.objects.filter(pk=post_id).first()
    if post is None or kind not in ("video", "poster"):
        raise Http404
    viewer = signed_in_or_none(request)
    allowed = viewer is not None and (viewer.pk == post.author_id or is_moderator(viewer))
    if not allowed:
        if post.is_published and post_get(post_id=post.pk, viewer=viewer) is not None:
            return redirect(post.video_src if kind == "video" else post.poster_src)
        raise Http404
    return private_file_response(request, post.video if kind == "video" else post.poster)


@login_required
@require_POST
def comment_create_view(request: HttpRequest, post_id: int) -> HttpResponse:
    """Add a comment from the form of a video's page (the script uses the API instead)."""
    try:
        comment_create(author=signed_in(request), post_id=post_id, body=request.POST.get("body", ""))
    except Post.DoesNotExist:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("feed:post", kwargs={"post_id": post_id}) + "#post-comments-title")


def profile_videos(*, person: User, viewer: Viewer, cursor: str | None = None) -> dict[str, Any]:
    """Add the person's published videos to their profile page (a section of `accounts.profiles`)."""
    page = _first_page(profile_posts, cursor, author=person, viewer=viewer, limit=PROFILE_GRID_SIZE)
    return {"posts": page.items, "posts_next": page.next_cursor}
