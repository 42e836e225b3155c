"""Routes of the REST API under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("accounts.api_urls")),
    path("", include("feed.api_urls")),
    path("", include("moderation.api_urls")),
    path("", include("generation.api_urls")),
    path("", include("feed.draft_api")),
    path("", include("cameo.api_urls")),
]
