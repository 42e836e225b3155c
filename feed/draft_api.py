"""REST endpoint that turns a generation draft into a post, through moderation's gate."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.viewers import signed_in
from config.api import WriteThrottledView, error_responses

from .gate import post_from_draft
from .selectors import post_get
from .serializers import PostSerializer


class DraftPostSerializer(serializers.Serializer):
    caption = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)


class DraftPostView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="drafts_post",
        request=DraftPostSerializer,
        responses={201: PostSerializer, **error_responses(400, 401, 403)},
        tags=["posts"],
    )
    def post(self, request: Request, job_id: int) -> Response:
        """Post one of one's drafts with a caption. It is published at once when its video and
        caption clear moderation; otherwise it waits for review (`state: pending_review`)."""
        body = DraftPostSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = signed_in(request)
        post = post_from_draft(author=user, job_id=job_id, caption=body.validated_data["caption"])
        shown = post_get(post_id=post.pk, viewer=user) or post
        return Response(PostSerializer(shown, context={"request": request}).data, status=status.HTTP_201_CREATED)


urlpatterns = [
    path("drafts/<int:job_id>/post/", DraftPostView.as_view(), name="api-draft-post"),
]
