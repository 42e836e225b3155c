"""REST routes of cameo, under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("cameo/", api.CameoView.as_view(), name="api-cameo"),
    path("cameo/challenge/", api.ChallengeView.as_view(), name="api-cameo-challenge"),
    path("cameo/verification/", api.VerificationView.as_view(), name="api-cameo-verification"),
    path("cameo/grants/", api.GrantsView.as_view(), name="api-cameo-grants"),
    path("cameo/grants/<str:handle>/", api.GrantDetailView.as_view(), name="api-cameo-grant"),
    path("cameo/appearances/", api.AppearancesView.as_view(), name="api-cameo-appearances"),
    path("cameo/appearances/<int:appearance_id>/", api.AppearanceDetailView.as_view(),
         name="api-cameo-appearance"),
    path("cameo/appearances/<int:appearance_id>/approve/", api.AppearanceApproveView.as_view(),
         name="api-cameo-appearance-approve"),
    path("cameos/<str:handle>/", api.CameoLookupView.as_view(), name="api-cameos-lookup"),
]
