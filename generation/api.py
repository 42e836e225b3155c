"""REST endpoints of generation: submit a job, follow it, cancel, regenerate, delete a draft."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.viewers import signed_in
from config.api import WriteThrottledView, error_responses

from .models import GenerationJob
from .selectors import job_get, jobs_of, quota_get
from .serializers import JobCreateSerializer, JobSerializer, QuotaSerializer, RegenerateSerializer
from .services import draft_delete, job_cancel, job_create, job_regenerate
from .submission import job_check


def _job_or_404(job_id: int, request: Request) -> GenerationJob:
    job = job_get(job_id=job_id, viewer=request.user)
    if job is None:
        raise exceptions.NotFound(_("This job does not exist or is not yours."))
    return job


class JobsView(WriteThrottledView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="generations_list",
        parameters=[OpenApiParameter("state", OpenApiTypes.STR, description="Only jobs in this state (e.g. ready).")],
        responses={200: JobSerializer(many=True), **error_responses(401, 403)},
        tags=["generation"],
    )
    def get(self, request: Request) -> Response:
        """Return one's own jobs and drafts, newest first."""
        state = request.query_params.get("state")
        jobs = jobs_of(owner=signed_in(request), states=[state] if state else None)
        return Response(JobSerializer(jobs, many=True).data)

    @extend_schema(
        operation_id="generations_create",
        request={"application/json": JobCreateSerializer, "multipart/form-data": JobCreateSerializer},
        responses={201: JobSerializer, **error_responses(400, 401, 403, 429)},
        tags=["generation"],
    )
    def post(self, request: Request) -> Response:
        """Ask for a video. A blocked prompt is refused with its category and rule and costs
        nothing; a prompt to review is held for a moderator; otherwise the job is queued."""
        body = JobCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        fields = dict(body.validated_data)
        job = job_create(request=job_check(
            owner=signed_in(request),
            source_post_id=fields.pop("source_post"),
            source_job_id=fields.pop("source_job"),
            **{name: value for name, value in fields.items() if value is not None or name == "seed"},
        ))
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)


class JobDetailView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="generations_retrieve",
        responses={200: JobSerializer, **error_responses(401, 403, 404)},
        tags=["generation"],
    )
    def get(self, request: Request, job_id: int) -> Response:
        """Return one of one's jobs: its state and progress, and the draft once ready (the
        polling fallback of the progress websocket)."""
        return Response(JobSerializer(_job_or_404(job_id, request)).data)

    @extend_schema(
        operation_id="generations_delete",
        responses={204: None, **error_responses(401, 403, 404)},
        tags=["generation"],
    )
    def delete(self, request: Request, job_id: int) -> Response:
        """Delete a draft's video (a running job is cancelled first)."""
        draft_delete(job=_job_or_404(job_id, request), user=signed_in(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class JobCancelView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="generations_cancel",
        request=None,
        responses={200: JobSerializer, **error_responses(400, 401, 403, 404)},
        tags=["generation"],
    )
    def post(self, request: Request, job_id: int) -> Response:
        """Cancel a held, queued or running job; cancelled jobs are not charged."""
        job = job_cancel(job=_job_or_404(job_id, request), user=signed_in(request))
        return Response(JobSerializer(job).data)


class JobRegenerateView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="generations_regenerate",
        request=RegenerateSerializer,
        responses={201: JobSerializer, **error_responses(400, 401, 403, 404)},
        tags=["generation"],
    )
    def post(self, request: Request, job_id: int) -> Response:
        """Make the video again: same request, with the same seed, a chosen one or a new one."""
        body = RegenerateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = job_regenerate(job=_job_or_404(job_id, request), user=signed_in(request), **body.validated_data)
        return Response(JobSerializer(job).data, status=status.HTTP_201_CREATED)


class QuotaView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(operation_id="generations_quota", responses={200: QuotaSerializer, **error_responses(401, 403)},
                   tags=["generation"])
    def get(self, request: Request) -> Response:
        """Return how many videos one may still make in the next 24 hours."""
        quota = quota_get(signed_in(request))
        return Response(QuotaSerializer({"used": quota.used, "limit": quota.limit, "left": quota.left}).data)
