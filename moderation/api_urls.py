"""REST routes of moderation, under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("reports/", api.ReportsView.as_view(), name="api-reports"),
    path("appeals/", api.AppealsView.as_view(), name="api-appeals"),
    path("moderation/cases/", api.CasesView.as_view(), name="api-moderation-cases"),
    path("moderation/cases/decide/", api.CasesBulkDecideView.as_view(), name="api-moderation-cases-decide"),
    path("moderation/cases/<int:case_id>/", api.CaseDetailView.as_view(), name="api-moderation-case"),
    path("moderation/cases/<int:case_id>/claim/", api.CaseClaimView.as_view(), name="api-moderation-case-claim"),
    path("moderation/cases/<int:case_id>/decide/", api.CaseDecideView.as_view(), name="api-moderation-case-decide"),
]
