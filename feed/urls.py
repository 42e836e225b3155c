"""Web pages of the feed, and the translations its scripts use."""

from django.urls import path
from django.views.i18n import JavaScriptCatalog

from . import draft_views, views

app_name = "feed"
urlpatterns = [
    path("", views.for_you, name="for_you"),
    path("following/", views.following, name="following"),
    path("v/<int:post_id>/", views.post_detail, name="post"),
    path("v/<int:post_id>/comments/", views.comment_create_view, name="comment_create"),
    path("v/<int:post_id>/<str:kind>", views.post_media, name="post-media"),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="jsi18n"),
    path("drafts/<int:job_id>/post", draft_views.draft_post, name="draft-post"),
]
