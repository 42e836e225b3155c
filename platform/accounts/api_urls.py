"""REST routes about people, under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("auth/signup/", api.SignupView.as_view(), name="api-signup"),
    path("auth/token/", api.TokenView.as_view(), name="api-token"),
    path("me/", api.MeView.as_view(), name="api-me"),
    path("me/blocks/", api.MyBlocksView.as_view(), name="api-me-blocks"),
    path("notifications/", api.NotificationsView.as_view(), name="api-notifications"),
    path("notifications/read/", api.NotificationsReadView.as_view(), name="api-notifications-read"),
    path("users/<str:handle>/", api.ProfileView.as_view(), name="api-user"),
    path("users/<str:handle>/followers/", api.FollowersView.as_view(), name="api-user-followers"),
    path("users/<str:handle>/following/", api.FollowingView.as_view(), name="api-user-following"),
    path("users/<str:handle>/follow/", api.FollowView.as_view(), name="api-user-follow"),
    path("users/<str:handle>/block/", api.BlockView.as_view(), name="api-user-block"),
]
