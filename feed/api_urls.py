"""REST routes of the feed, under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("feed/for-you/", api.ForYouFeedView.as_view(), name="api-feed-for-you"),
    path("feed/following/", api.FollowingFeedView.as_view(), name="api-feed-following"),
    path("posts/<int:post_id>/", api.PostDetailView.as_view(), name="api-post"),
    path("posts/<int:post_id>/like/", api.PostLikeView.as_view(), name="api-post-like"),
    path("posts/<int:post_id>/comments/", api.PostCommentsView.as_view(), name="api-post-comments"),
    path("comments/<int:comment_id>/", api.CommentDetailView.as_view(), name="api-comment"),
    path("users/<str:handle>/posts/", api.UserPostsView.as_view(), name="api-user-posts"),
]
