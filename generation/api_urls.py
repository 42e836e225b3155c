"""REST routes of generation, under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("generations/", api.JobsView.as_view(), name="api-generations"),
    path("generations/quota/", api.QuotaView.as_view(), name="api-generations-quota"),
    path("generations/<int:job_id>/", api.JobDetailView.as_view(), name="api-generation"),
    path("generations/<int:job_id>/cancel/", api.JobCancelView.as_view(), name="api-generation-cancel"),
    path("generations/<int:job_id>/regenerate/", api.JobRegenerateView.as_view(), name="api-generation-regenerate"),
]
