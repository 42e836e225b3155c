"""Web pages of generation, under /create/."""

from django.urls import path

from . import views

app_name = "generation"
urlpatterns = [
    path("", views.create, name="create"),
    path("drafts/", views.drafts, name="drafts"),
    path("jobs/<int:job_id>/", views.job_detail, name="job"),
    path("jobs/<int:job_id>/status", views.job_status_view, name="job-status"),
    path("jobs/<int:job_id>/video", views.job_video, name="job-video"),
    path("jobs/<int:job_id>/poster", views.job_poster, name="job-poster"),
    path("jobs/<int:job_id>/cancel", views.job_cancel_view, name="job-cancel"),
    path("jobs/<int:job_id>/delete", views.job_delete_view, name="job-delete"),
    path("jobs/<int:job_id>/regenerate", views.job_regenerate_view, name="job-regenerate"),
]
