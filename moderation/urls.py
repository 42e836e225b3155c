"""Web pages of moderation."""

from django.urls import path

from . import views

app_name = "moderation"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("decide/", views.queue_decide, name="queue_decide"),
    path("cases/<int:case_id>/", views.case_detail, name="case"),
    path("cases/<int:case_id>/claim/", views.case_claim_view, name="claim"),
    path("cases/<int:case_id>/decide/", views.case_decide_view, name="decide"),
    path("report/<str:subject_type>/<str:subject_id>/", views.report, name="report"),
    path("reports/", views.my_reports, name="my_reports"),
    path("appeals/", views.appeals, name="appeals"),
    path("appeals/<int:case_id>/", views.appeal, name="appeal"),
]
