"""REST endpoints about people: sign-up, tokens, profiles, follows, blocks, notifications."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, generics, status
from rest_framework.authtoken.models import Token
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api import WriteThrottledView, error_responses

from .models import User
from .selectors import (
    blocked_list,
    followers_list,
    following_list,
    notifications_list,
    notifications_unread_count,
    user_get_visible,
)
from .serializers import (
    BlockStateSerializer,
    FollowStateSerializer,
    MeSerializer,
    NotificationListSerializer,
    NotificationSerializer,
    NotificationsReadSerializer,
    ProfileSerializer,
    ProfileUpdateSerializer,
    SignupSerializer,
    TokenObtainSerializer,
    TokenSerializer,
)
from .services import (
    block_create,
    block_delete,
    follow_create,
    follow_delete,
    notifications_mark_read,
    profile_update,
    user_signup,
)
from .viewers import signed_in, signed_in_or_none


class PeoplePagination(LimitOffsetPagination):
    default_limit = 20
    max_limit = 100


def _visible_user(handle: str, request: Request) -> User:
    """Return the person `handle` as the viewer may see them, else raise NotFound."""
    user = user_get_visible(handle=handle, viewer=signed_in_or_none(request))
    if user is None:
        raise exceptions.NotFound(_("This person does not exist or is not available."))
    return user


def _any_user(handle: str) -> User:
    """Return the active person `handle` whatever the blocks, else raise NotFound."""
    user = User.objects.filter(handle__iexact=handle.lstrip("@"), is_active=True).first()
    if user is None:
        raise exceptions.NotFound(_("This person does not exist or is not available."))
    return user


class SignupView(WriteThrottledView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_signup",
        request=SignupSerializer,
        responses={201: MeSerializer, **error_responses(400)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        """Open an account and return it; then ask `auth/token/` for a token with its password.

        No token here: the answer is the same whether or not the email was already in use
        (see `user_signup`), and a token is what a known address must not get.
        """
        data = SignupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_signup(**data.validated_data)
        return Response(MeSerializer(user, context={"request": request}).data, status=status.HTTP_201_CREATED)


class TokenView(WriteThrottledView):
    def get_permissions(self):
        if self.request.method == "DELETE":
            return [IsAuthenticated()]
        return [AllowAny()]

    @extend_schema(
        operation_id="auth_token_create",
        request=TokenObtainSerializer,
        responses={200: TokenSerializer, **error_responses(400)},
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        """Exchange a handle and password for an API token."""
        data = TokenObtainSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        token, _created = Token.objects.get_or_create(user=data.validated_data["user"])
        return Response({"token": token.key})

    @extend_schema(
        operation_id="auth_token_delete",
        request=None,
        responses={204: None, **error_responses(401, 403)},
        tags=["auth"],
    )
    def delete(self, request: Request) -> Response:
        """Revoke the signed-in person's API token."""
        Token.objects.filter(user=signed_in(request)).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(WriteThrottledView):
    permission_classes = [IsAuthenticated]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(operation_id="me_retrieve", responses={200: MeSerializer, **error_responses(401, 403)}, tags=["me"])
    def get(self, request: Request) -> Response:
        """Return the signed-in person's own profile."""
        return Response(MeSerializer(request.user, context={"request": request}).data)

    @extend_schema(
        operation_id="me_update",
        request={
            "multipart/form-data": ProfileUpdateSerializer,
            "application/json": ProfileUpdateSerializer,
        },
        responses={200: MeSerializer, **error_responses(400, 401, 403)},
        tags=["me"],
    )
    def patch(self, request: Request) -> Response:
        """Change the display name, bio or avatar of the signed-in person."""
        data = ProfileUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        user = profile_update(user=signed_in(request), **data.validated_data)
        return Response(MeSerializer(user, context={"request": request}).data)


class MyBlocksView(generics.ListAPIView):
    permission_classes = [IsAuthenticated]
    serializer_class = ProfileSerializer
    pagination_class = PeoplePagination
    queryset = User.objects.none()

    @extend_schema(operation_id="me_blocks_list", responses={200: ProfileSerializer(many=True), **error_responses(401, 403)}, tags=["me"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        """List the people the signed-in person has blocked."""
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return blocked_list(user=self.request.user)


class ProfileView(APIView):
    @extend_schema(operation_id="users_retrieve", responses={200: ProfileSerializer, **error_responses(404)}, tags=["people"])
    def get(self, request: Request, handle: str) -> Response:
        """Return a person's public profile."""
        user = _visible_user(handle, request)
        return Response(ProfileSerializer(user, context={"request": request}).data)


class _PeopleOfView(generics.ListAPIView):
    serializer_class = ProfileSerializer
    pagination_class = PeoplePagination
    queryset = User.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return User.objects.none()
        return self.selector(user=_visible_user(self.kwargs["handle"], self.request))


class FollowersView(_PeopleOfView):
    selector = staticmethod(followers_list)

    @extend_schema(operation_id="users_followers_list", responses={200: ProfileSerializer(many=True), **error_responses(404)}, tags=["people"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        """List the people who follow this person, newest first."""
        return super().get(request, *args, **kwargs)


class FollowingView(_PeopleOfView):
    selector = staticmethod(following_list)

    @extend_schema(operation_id="users_following_list", responses={200: ProfileSerializer(many=True), **error_responses(404)}, tags=["people"])
    def get(self, request: Request, *args, **kwargs) -> Response:
        """List the people this person follows, newest first."""
        return super().get(request, *args, **kwargs)


class FollowView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    def _state(self, user: User) -> Response:
        user.refresh_from_db(fields=["follower_count"])
        following = self.request.method == "POST"
        return Response({"following": following, "follower_count": user.follower_count})

    @extend_schema(
        operation_id="users_follow_create",
        request=None,
        responses={200: FollowStateSerializer, **error_responses(400, 401, 403, 404)},
        tags=["people"],
    )
    def post(self, request: Request, handle: str) -> Response:
        """Follow this person (no change if already followed)."""
        user = _any_user(handle)
        follow_create(follower=signed_in(request), followee=user)
        return self._state(user)

    @extend_schema(
        operation_id="users_follow_delete",
        request=None,
        responses={200: FollowStateSerializer, **error_responses(401, 403, 404)},
        tags=["people"],
    )
    def delete(self, request: Request, handle: str) -> Response:
        """Stop following this person (no change if not followed)."""
        user = _any_user(handle)
        follow_delete(follower=signed_in(request), followee=user)
        return self._state(user)


class BlockView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="users_block_create",
        request=None,
        responses={200: BlockStateSerializer, **error_responses(400, 401, 403, 404)},
        tags=["people"],
    )
    def post(self, request: Request, handle: str) -> Response:
        """Block this person: follows both ways end and each stops seeing the other."""
        block_create(blocker=signed_in(request), blocked=_any_user(handle))
        return Response({"blocked": True})

    @extend_schema(
        operation_id="users_block_delete",
        request=None,
        responses={200: BlockStateSerializer, **error_responses(401, 403, 404)},
        tags=["people"],
    )
    def delete(self, request: Request, handle: str) -> Response:
        """Lift a block on this person."""
        block_delete(blocker=signed_in(request), blocked=_any_user(handle))
        return Response({"blocked": False})


class NotificationsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_list",
        responses={200: NotificationListSerializer, **error_responses(401, 403)},
        tags=["notifications"],
    )
    def get(self, request: Request) -> Response:
        """Return the signed-in person's latest notifications and how many are unread."""
        user = signed_in(request)
        items = notifications_list(user=user)
        unread = notifications_unread_count(user=user)
        return Response({"results": NotificationSerializer(items, many=True).data, "unread": unread})


class NotificationsReadView(WriteThrottledView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        operation_id="notifications_read",
        request=None,
        responses={200: NotificationsReadSerializer, **error_responses(401, 403)},
        tags=["notifications"],
    )
    def post(self, request: Request) -> Response:
        """Mark all of the signed-in person's notifications read."""
        marked = notifications_mark_read(user=signed_in(request))
        return Response({"marked": marked, "unread": 0})
