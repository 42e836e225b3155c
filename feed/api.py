"""REST endpoints of the feed: the two feeds, posts, likes and comments."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import user_get_visible
from accounts.viewers import signed_in, signed_in_or_none
from config.api import WriteThrottledView, error_responses
from config.throttling import BatchedThrottlesMixin

from .models import Post
from .selectors import (
    Page,
    comment_get,
    comments_page,
    feed_following_cards,
    feed_for_you_cards,
    post_get,
    profile_posts,
)
from .serializers import (
    CommentCreateSerializer,
    CommentPageSerializer,
    CommentSerializer,
    LikeStateSerializer,
    PostPageSerializer,
    PostSerializer,
    PostUpdateSerializer,
    post_cards_data,
)
from .services import (
    comment_create,
    comment_delete,
    like_create,
    like_delete,
    post_delete,
    post_update,
)

PAGE_PARAMETERS = [
    OpenApiParameter("cursor", OpenApiTypes.STR, description="The `next` of the previous page."),
    OpenApiParameter("limit", OpenApiTypes.INT, description="Items per page (1 to 50, default 10)."),
]


def _page(request: Request) -> dict[str, Any]:
    """Return the cursor and limit asked for in the query string."""
    return {"cursor": request.query_params.get("cursor") or None, "limit": request.query_params.get("limit")}


def _post_page(page: Page, request: Request) -> dict[str, Any]:
    return {"results": PostSerializer(page.items, many=True, context={"request": request}).data, "next": page.next_cursor}


def _visible_post(post_id: int, request: Request) -> Post:
    """Return the post as the viewer may see it, else raise NotFound."""
    post = post_get(post_id=post_id, viewer=signed_in_or_none(request))
    if post is None:
        raise exceptions.NotFound(_("This video does not exist or is not available."))
    return post


class JSONNegotiation(DefaultContentNegotiation):
    """Content negotiation for views that write only JSON.

    The Accept headers that API clients send, none or `*/*` or `application/json`, pick
    JSON with no parsing; anything else is negotiated as usual (and may be refused with 406).
    """

    PLAIN_ACCEPT = frozenset({"*/*", "application/json"})

    def select_renderer(self, request, renderers, format_suffix=None):
        if (
            len(renderers) == 1
            and format_suffix is None
            and request.META.get("HTTP_ACCEPT", "*/*") in self.PLAIN_ACCEPT
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)


class FeedView(BatchedThrottlesMixin, APIView):
    """A page of a feed: the busiest reads of the API, so they take the shortest way through it.

    Authentication, permissions, throttles and errors are DRF's as everywhere, but the
    throttle counters move in one round trip, JSON is the only format (no browsable page, and
    the usual Accept headers need no negotiating), and the page is written straight from the
    selector's rows, without serializer instances, then rendered once by JSONRenderer.
    """

    renderer_classes = [JSONRenderer]
    content_negotiation_class = JSONNegotiation

    def page_response(self, page: Page, request: Request) -> HttpResponse:
        """Return `page` of PostCards as JSON in PostPageSerializer's shape."""
        data = {"results": post_cards_data(page.items, request), "next": page.next_cursor}
        renderer = request.accepted_renderer
        body = renderer.render(data, request.accepted_media_type, self.get_renderer_context())
        return HttpResponse(body, content_type=renderer.media_type)


class ForYouFeedView(FeedView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="feed_for_you",
        parameters=PAGE_PARAMETERS,
        responses={200: PostPageSerializer, **error_responses(400)},
        tags=["feed"],
    )
    def get(self, request: Request) -> HttpResponse:
        """Return a page of the For you feed."""
        return self.page_response(feed_for_you_cards(viewer=signed_in_or_none(request), **_page(request)), request)


class FollowingFeedView(FeedView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="feed_following",
        parameters=PAGE_PARAMETERS,
        responses={200: PostPageSerializer, **error_responses(400, 401, 403)},
        tags=["feed"],
    )
    def get(self, request: Request) -> HttpResponse:
        """Return a page of the Following feed: posts of followed people, newest first."""
        return self.page_response(feed_following_cards(viewer=signed_in(request), **_page(request)), request)


class UserPostsView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="users_posts_list",
        parameters=PAGE_PARAMETERS,
        responses={200: PostPageSerializer, **error_responses(400, 404)},
        tags=["people"],
    )
    def get(self, request: Request, handle: str) -> Response:
        """Return a page of a person's published posts, newest first."""
        viewer = signed_in_or_none(request)
        author = user_get_visible(handle=handle, viewer=viewer)
        if author is None:
            raise exceptions.NotFound(_("This person does not exist or is not available."))
        return Response(_post_page(profile_posts(author=author, viewer=viewer, **_page(request)), request))


class PostDetailView(WriteThrottledView):
    @extend_schema(operation_id="posts_retrieve", responses={200: PostSerializer, **error_responses(404)}, tags=["posts"])
    def get(self, request: Request, post_id: int) -> Response:
        """Return a post; drafts only to their author."""
        post = _visible_post(post_id, request)
        return Response(PostSerializer(post, context={"request": request}).data)

    @extend_schema(
        operation_id="posts_update",
        request=PostUpdateSerializer,
        responses={200: PostSerializer, **error_responses(400, 401, 403, 404)},
        tags=["posts"],
    )
    def patch(self, request: Request, post_id: int) -> Response:
        """Change the caption of one's own post."""
        data = PostUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        post = post_update(post=_visible_post(post_id, request), user=signed_in(request), **data.validated_data)
        return Response(PostSerializer(post, context={"request": request}).data)

    @extend_schema(
        operation_id="posts_delete",
        responses={204: None, **error_responses(401, 403, 404)},
        tags=["posts"],
    )
    def delete(self, request: Request, post_id: int) -> Response:
        """Delete one's own post and its files."""
        post_delete(post=_visible_post(post_id, request), user=signed_in(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class PostLikeView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="posts_like_create",
        request=None,
        responses={200: LikeStateSerializer, **error_responses(401, 403, 404)},
        tags=["posts"],
    )
    def post(self, request: Request, post_id: int) -> Response:
        """Like a published post (no change if already liked)."""
        _added, like_count = like_create(user=signed_in(request), post_id=post_id)
        return Response({"liked": True, "like_count": like_count})

    @extend_schema(
        operation_id="posts_like_delete",
        request=None,
        responses={200: LikeStateSerializer, **error_responses(401, 403, 404)},
        tags=["posts"],
    )
    def delete(self, request: Request, post_id: int) -> Response:
        """Take back a like (no change if there was none)."""
        _removed, like_count = like_delete(user=signed_in(request), post_id=post_id)
        return Response({"liked": False, "like_count": like_count})


class PostCommentsView(WriteThrottledView):
    @extend_schema(
        operation_id="posts_comments_list",
        parameters=PAGE_PARAMETERS,
        responses={200: CommentPageSerializer, **error_responses(400, 404)},
        tags=["posts"],
    )
    def get(self, request: Request, post_id: int) -> Response:
        """Return a page of the comments under a post, newest first."""
        post = _visible_post(post_id, request)
        page = comments_page(post=post, viewer=signed_in_or_none(request), **_page(request))
        context = {"request": request, "post": post}
        return Response({"results": CommentSerializer(page.items, many=True, context=context).data, "next": page.next_cursor})

    @extend_schema(
        operation_id="posts_comments_create",
        request=CommentCreateSerializer,
        responses={201: CommentSerializer, **error_responses(400, 401, 403, 404)},
        tags=["posts"],
    )
    def post(self, request: Request, post_id: int) -> Response:
        """Write a comment under a published post."""
        data = CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = comment_create(author=signed_in(request), post_id=post_id, **data.validated_data)
        return Response(CommentSerializer(comment, context={"request": request}).data, status=status.HTTP_201_CREATED)


class CommentDetailView(WriteThrottledView):
    @extend_schema(
        operation_id="comments_delete",
        responses={204: None, **error_responses(401, 403, 404)},
        tags=["posts"],
    )
    def delete(self, request: Request, comment_id: int) -> Response:
        """Delete a comment: one's own, or any under one's own post."""
        user = signed_in(request)
        comment = comment_get(comment_id=comment_id, viewer=user)
        if comment is None:
            raise exceptions.NotFound(_("This comment does not exist or is not available."))
        comment_delete(comment=comment, user=user)
        return Response(status=status.HTTP_204_NO_CONTENT)
