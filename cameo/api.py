"""REST endpoints of cameo: make and verify one's cameo, say who may use it, follow and take
down its uses, and look up someone else's before naming them in a prompt."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.selectors import user_get_visible
from accounts.viewers import signed_in
from config.api import WriteThrottledView, error_responses

from .consent import ConsentRefused, consent_check
from .models import Appearance, Cameo
from .selectors import appearance_get, appearances_of, cameo_lookup, cameo_of
from .serializers import (
    AppearanceRemoveSerializer,
    AppearanceSerializer,
    CameoCreateSerializer,
    CameoPublicSerializer,
    CameoRulesSerializer,
    CameoSerializer,
    CameoWithdrawnSerializer,
    GrantCreateSerializer,
    GrantSerializer,
    VerificationSerializer,
    WithdrawnSerializer,
)
from .services import (
    appearance_approve,
    appearance_remove,
    cameo_create,
    cameo_delete,
    cameo_rules_update,
    challenge_issue,
    grant_add,
    grant_remove,
    verification_submit,
)


class AppearancePagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100


def _own_cameo(request: Request) -> Cameo:
    cameo = cameo_of(signed_in(request))
    if cameo is None:
        raise exceptions.NotFound(_("You have no cameo yet."))
    return cameo


def _own_appearance(request: Request, appearance_id: int) -> Appearance:
    appearance = appearance_get(appearance_id=appearance_id, owner=signed_in(request))
    if appearance is None:
        raise exceptions.NotFound(_("This video does not exist or does not show you."))
    return appearance


class CameoView(WriteThrottledView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        operation_id="cameo_retrieve",
        responses={200: CameoSerializer, **error_responses(401, 403, 404)},
        tags=["cameo"],
    )
    def get(self, request: Request) -> Response:
        """Return one's cameo: its state, rules, photos, the challenge to record, and approvals."""
        return Response(CameoSerializer(_own_cameo(request)).data)

    @extend_schema(
        operation_id="cameo_create",
        request={"multipart/form-data": CameoCreateSerializer},
        responses={201: CameoSerializer, **error_responses(400, 401, 403, 429)},
        tags=["cameo"],
    )
    def post(self, request: Request) -> Response:
        """Make one's cameo from one to five photos of one's face (adults only). It then waits
        for a verification clip of the challenge it returns."""
        cameo = cameo_create(owner=signed_in(request), photos=request.FILES.getlist("photos"))
        return Response(CameoSerializer(cameo).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        operation_id="cameo_update",
        request=CameoRulesSerializer,
        responses={200: CameoWithdrawnSerializer, **error_responses(400, 401, 403, 404)},
        tags=["cameo"],
    )
    def patch(self, request: Request) -> Response:
        """Change who may use one's cameo and on what terms. Uses the new rules no longer allow
        are withdrawn at once (jobs cancelled, posts unpublished); `withdrawn` counts them."""
        cameo = _own_cameo(request)
        body = CameoRulesSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        updated = cameo_rules_update(cameo=cameo, user=signed_in(request), **body.validated_data)
        return Response({**CameoSerializer(updated.cameo).data, "withdrawn": len(updated.withdrawn)})

    @extend_schema(
        operation_id="cameo_delete",
        request=None,
        responses={200: WithdrawnSerializer, **error_responses(401, 403, 404)},
        tags=["cameo"],
    )
    def delete(self, request: Request) -> Response:
        """Delete one's cameo, its photos and clip; every use by someone else is withdrawn."""
        withdrawn = cameo_delete(cameo=_own_cameo(request), user=signed_in(request))
        return Response({"withdrawn": len(withdrawn)})


class ChallengeView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cameo_challenge",
        request=None,
        responses={200: CameoSerializer, **error_responses(400, 401, 403, 404)},
        tags=["cameo"],
    )
    def post(self, request: Request) -> Response:
        """Get a fresh challenge to record (four digits to say and a head movement)."""
        cameo = challenge_issue(cameo=_own_cameo(request), user=signed_in(request))
        return Response(CameoSerializer(cameo).data)


class VerificationView(WriteThrottledView):
    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        operation_id="cameo_verification",
        request={"multipart/form-data": VerificationSerializer},
        responses={202: CameoSerializer, 200: CameoSerializer, **error_responses(400, 401, 403, 404, 429)},
        tags=["cameo"],
    )
    def post(self, request: Request) -> Response:
        """Send the clip of the challenge. A clip that is not a video of the right size,
        container, pixels and length is refused at once (400) and nothing is kept. Otherwise
        the answer is 202 and the cameo is `checking`: the worker looks at its faces. When
        they are one person, the one of the photos, the cameo waits for a moderator
        (`in_review`); when not, the clip is deleted, the cameo is `pending` again and
        `clip_refused` says why (the owner is notified too)."""
        cameo = verification_submit(cameo=_own_cameo(request), user=signed_in(request), clip=request.FILES.get("clip"))
        accepted = cameo.state == Cameo.State.CHECKING
        return Response(CameoSerializer(cameo).data,
                        status=status.HTTP_202_ACCEPTED if accepted else status.HTTP_200_OK)


class GrantsView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cameo_grants_list",
        responses={200: GrantSerializer(many=True), **error_responses(401, 403, 404)},
        tags=["cameo"],
    )
    def get(self, request: Request) -> Response:
        """Return the people approved to use one's cameo, newest first."""
        grants = _own_cameo(request).grants.select_related("user")
        return Response(GrantSerializer(grants, many=True).data)

    @extend_schema(
        operation_id="cameo_grants_create",
        request=GrantCreateSerializer,
        responses={201: GrantSerializer, **error_responses(400, 401, 403, 404)},
        tags=["cameo"],
    )
    def post(self, request: Request) -> Response:
        """Approve someone to use one's cameo (no change if already approved)."""
        body = GrantCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        grant = grant_add(cameo=_own_cameo(request), user=signed_in(request), handle=body.validated_data["handle"])
        return Response(GrantSerializer(grant).data, status=status.HTTP_201_CREATED)


class GrantDetailView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cameo_grants_delete",
        request=None,
        responses={200: WithdrawnSerializer, **error_responses(400, 401, 403, 404)},
        tags=["cameo"],
    )
    def delete(self, request: Request, handle: str) -> Response:
        """Revoke someone's approval: their uses that lose consent are withdrawn at once."""
        withdrawn = grant_remove(cameo=_own_cameo(request), user=signed_in(request), handle=handle)
        return Response({"withdrawn": len(withdrawn)})


class AppearancesView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = AppearanceSerializer
    pagination_class = AppearancePagination
    queryset = Appearance.objects.none()

    @extend_schema(
        operation_id="cameo_appearances_list",
        responses={200: AppearanceSerializer(many=True), **error_responses(401, 403)},
        tags=["cameo"],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        """List every video that uses one's likeness, newest first, others' drafts included."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Appearance.objects.none()
        return appearances_of(owner=self.request.user)


class AppearanceApproveView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cameo_appearances_approve",
        request=None,
        responses={200: AppearanceSerializer, **error_responses(400, 401, 403, 404)},
        tags=["cameo"],
    )
    def post(self, request: Request, appearance_id: int) -> Response:
        """Approve a video waiting for one's approval: it may now be posted."""
        appearance = appearance_approve(appearance=_own_appearance(request, appearance_id), user=signed_in(request))
        return Response(AppearanceSerializer(appearance).data)


class AppearanceDetailView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cameo_appearances_delete",
        request=None,
        parameters=[OpenApiParameter("note", OpenApiTypes.STR, description="Why, for the audit log (at most 500 "
                                     "characters); also accepted as `note` in a JSON body.")],
        responses={200: AppearanceSerializer, **error_responses(400, 401, 403, 404)},
        tags=["cameo"],
    )
    def delete(self, request: Request, appearance_id: int) -> Response:
        """Take down a video that shows oneself, whoever made it: its job is cancelled, its
        draft deleted, its post removed, and the removal audited with the optional `note`."""
        appearance = _own_appearance(request, appearance_id)
        body = AppearanceRemoveSerializer(data=request.data or request.query_params)
        body.is_valid(raise_exception=True)
        appearance = appearance_remove(appearance=appearance, user=signed_in(request), note=body.validated_data["note"])
        return Response(AppearanceSerializer(appearance).data)


class CameoLookupView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="cameos_retrieve",
        responses={200: CameoPublicSerializer, **error_responses(401, 403, 404)},
        tags=["cameo"],
    )
    def get(self, request: Request, handle: str) -> Response:
        """Return whether one may put this person in a video now, and their limits if so;
        never their photos or clip. 404 when they have no cameo or a block stands between you."""
        user = signed_in(request)
        cameo = cameo_lookup(handle=handle)
        if cameo is None or user_get_visible(handle=cameo.handle, viewer=user) is None:
            raise exceptions.NotFound(_("This person has no cameo."))
        try:
            consent_check(user=user, prompts=[f"@{cameo.handle}"])
        except ConsentRefused as refused:
            refusal = refused.messages[0]
        else:
            refusal = ""
        return Response(CameoPublicSerializer(cameo, context={"refusal": refusal}).data)

