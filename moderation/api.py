"""REST endpoints of moderation: reports and appeals for everyone, the review queue for moderators."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.viewers import signed_in, signed_in_or_none
from config.api import WriteThrottledView, error_responses

from .models import Case
from .selectors import appeals_of, case_get, case_of_owner, cases_queue, reports_of
from .serializers import (
    AppealCreateSerializer,
    AppealSerializer,
    BulkDecideSerializer,
    BulkResultSerializer,
    CaseDetailSerializer,
    CaseSerializer,
    DecideSerializer,
    ReportCreateSerializer,
    ReportSerializer,
)
from .services import (
    CaseConflict,
    appeal_create,
    case_claim,
    case_decide,
    cases_decide_bulk,
    is_moderator,
    report_create,
)

QUEUE_LIMIT = 100


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("This case cannot be changed now.")
    default_code = "conflict"


class IsModerator(BasePermission):
    message = _("Only moderators can review cases.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return is_moderator(signed_in_or_none(request))


def _case_or_404(case_id: int) -> Case:
    case = case_get(case_id=case_id)
    if case is None:
        raise exceptions.NotFound(_("This case does not exist."))
    return case


class ReportsView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="reports_list",
        responses={200: ReportSerializer(many=True), **error_responses(401, 403)},
        tags=["moderation"],
    )
    def get(self, request: Request) -> Response:
        """Return one's own reports, newest first, with what became of them."""
        return Response(ReportSerializer(reports_of(user=signed_in(request))[:QUEUE_LIMIT], many=True).data)

    @extend_schema(
        operation_id="reports_create",
        request=ReportCreateSerializer,
        responses={201: ReportSerializer, **error_responses(400, 401, 403, 404)},
        tags=["moderation"],
    )
    def post(self, request: Request) -> Response:
        """Report a post, a comment or a person to the moderators."""
        data = ReportCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = report_create(reporter=signed_in(request), **data.validated_data)
        return Response(ReportSerializer(report).data, status=status.HTTP_201_CREATED)


class AppealsView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="appeals_list",
        responses={200: AppealSerializer(many=True), **error_responses(401, 403)},
        tags=["moderation"],
    )
    def get(self, request: Request) -> Response:
        """Return one's own appeals, newest first."""
        return Response(AppealSerializer(appeals_of(user=signed_in(request))[:QUEUE_LIMIT], many=True).data)

    @extend_schema(
        operation_id="appeals_create",
        request=AppealCreateSerializer,
        responses={201: AppealSerializer, **error_responses(400, 401, 403, 404)},
        tags=["moderation"],
    )
    def post(self, request: Request) -> Response:
        """Appeal, once, a decision that removed or refused something of one's own."""
        data = AppealCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        user = signed_in(request)
        case = None
        if "case" in values:
            case = case_of_owner(case_id=values["case"], user=user)
            if case is None:
                raise exceptions.NotFound(_("This case does not exist."))
        appeal = appeal_create(
            user=user, message=values["message"], case=case,
            subject_type="post" if case is None else None, subject_id=values.get("post"),
        )
        return Response(AppealSerializer(appeal).data, status=status.HTTP_201_CREATED)


class CasesView(APIView):
    permission_classes = [IsAuthenticated, IsModerator]

    @extend_schema(
        operation_id="moderation_cases_list",
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, enum=Case.Kind.values),
            OpenApiParameter("state", OpenApiTypes.STR, enum=Case.State.values, description="Default: undecided."),
        ],
        responses={200: CaseSerializer(many=True), **error_responses(400, 401, 403)},
        tags=["moderation"],
    )
    def get(self, request: Request) -> Response:
        """Return the review queue: most urgent first, then oldest first."""
        kind = request.query_params.get("kind") or None
        state = request.query_params.get("state") or None
        if kind is not None and kind not in Case.Kind.values:
            raise exceptions.ValidationError({"kind": [_("Unknown kind of case.")]})
        if state is not None and state not in Case.State.values:
            raise exceptions.ValidationError({"state": [_("Unknown state.")]})
        cases = cases_queue(kind=kind, state=state)[:QUEUE_LIMIT]
        return Response(CaseSerializer(cases, many=True).data)


class CaseDetailView(APIView):
    permission_classes = [IsAuthenticated, IsModerator]

    @extend_schema(
        operation_id="moderation_cases_retrieve",
        responses={200: CaseDetailSerializer, **error_responses(401, 403, 404)},
        tags=["moderation"],
    )
    def get(self, request: Request, case_id: int) -> Response:
        """Return a case with its evidence, reports and decisions."""
        return Response(CaseDetailSerializer(_case_or_404(case_id)).data)


class CaseClaimView(WriteThrottledView):
    permission_classes = [IsAuthenticated, IsModerator]

    @extend_schema(
        operation_id="moderation_cases_claim",
        request=None,
        responses={200: CaseSerializer, **error_responses(401, 403, 404, 409)},
        tags=["moderation"],
    )
    def post(self, request: Request, case_id: int) -> Response:
        """Take a case, so no other moderator works on it for a while."""
        try:
            case = case_claim(case=_case_or_404(case_id), moderator=signed_in(request))
        except CaseConflict as exc:
            raise Conflict(exc.messages[0]) from None
        return Response(CaseSerializer(case).data)


class CaseDecideView(WriteThrottledView):
    permission_classes = [IsAuthenticated, IsModerator]

    @extend_schema(
        operation_id="moderation_cases_decide",
        request=DecideSerializer,
        responses={200: CaseDetailSerializer, **error_responses(400, 401, 403, 404, 409)},
        tags=["moderation"],
    )
    def post(self, request: Request, case_id: int) -> Response:
        """Approve, reject or escalate a case, with a note."""
        data = DecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            case_decide(case=_case_or_404(case_id), moderator=signed_in(request), **data.validated_data)
        except CaseConflict as exc:
            raise Conflict(exc.messages[0]) from None
        return Response(CaseDetailSerializer(_case_or_404(case_id)).data)


class CasesBulkDecideView(WriteThrottledView):
    permission_classes = [IsAuthenticated, IsModerator]

    @extend_schema(
        operation_id="moderation_cases_decide_bulk",
        request=BulkDecideSerializer,
        responses={200: BulkResultSerializer, **error_responses(400, 401, 403)},
        tags=["moderation"],
    )
    def post(self, request: Request) -> Response:
        """Decide many cases the same way; those that cannot be decided are listed with the reason."""
        data = BulkDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = cases_decide_bulk(moderator=signed_in(request), **data.validated_data)
        return Response({"decided": result.decided, "refused": {str(k): v for k, v in result.refused.items()}})
