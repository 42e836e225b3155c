"""Shared pieces of the REST API: one JSON shape for every error, and the write throttle."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from config.outages import degraded, is_outage, retry_after, unavailable_message
from config.pagination import InvalidCursor
from config.throttling import WriteRateThrottle


class InvalidCursorError(exceptions.APIException):
    """A page cursor that this site did not make, or made for another list."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("This cursor is not valid.")
    default_code = "invalid_cursor"


class ServiceUnavailableError(exceptions.APIException):
    """A server the site depends on is down: try again after `wait` seconds (config.outages)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "unavailable"

    def __init__(self) -> None:
        super().__init__(unavailable_message(), self.default_code)
        self.wait = retry_after()  # DRF's handler sends it as Retry-After


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    # The name shadows Serializer.fields for the type checker only: DRF's metaclass moves
    # declared fields out of the class attributes.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ErrorSerializer(serializers.Serializer):
    """The body of every error response."""

    error = ErrorDetailSerializer()


class WriteThrottledView(APIView):
    """An endpoint whose writes also count against the `writes` rate."""

    # DRF's settings object resolves the dotted paths of the setting into classes.
    throttle_classes = (*api_settings.DEFAULT_THROTTLE_CLASSES, WriteRateThrottle)  # type: ignore[arg-type]
    throttle_scope = "writes"


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """Return the schema of the error responses with these status codes."""
    return {code: OpenApiResponse(ErrorSerializer) for code in codes}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Return every API error as `{"error": {"code", "message", "fields"?}}`."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    elif isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, InvalidCursor):
        exc = InvalidCursorError(str(exc) or None)
    elif is_outage(exc):
        degraded("api", "answered 503, a server is down", exc)
        exc = ServiceUnavailableError()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    error: dict[str, Any] = {"code": "error", "message": ""}
    if isinstance(exc, exceptions.ValidationError):
        error["code"] = "invalid"
        detail = exc.detail
        if isinstance(detail, dict):
            error["fields"] = {key: _messages(value) for key, value in detail.items()}
            first = next(iter(error["fields"].values()), [""])
            error["message"] = first[0] if first else ""
        else:
            messages = _messages(detail)
            error["message"] = messages[0] if messages else "Invalid input."
            error["fields"] = {"non_field_errors": messages}
    elif isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        error["code"] = codes if isinstance(codes, str) else "error"
        error["message"] = str(exc.detail)
    if response.status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        error["code"] = "throttled"
    if isinstance(exc, ServiceUnavailableError):
        response["Cache-Control"] = "no-store"
    response.data = {"error": error}
    _render_as_json(context.get("request"))
    return response


# Renderers that can show an error as the API's JSON: JSON itself, and the browsable API,
# which shows that JSON in its page.
ERROR_FORMATS = {"json", "api"}


def _render_as_json(request: Any) -> None:
    """Have an error answered as JSON even by a view that renders something else (the schema
    in YAML, the docs page in HTML): a client of the API always gets an error it can parse."""
    renderer = getattr(request, "accepted_renderer", None)
    if request is not None and getattr(renderer, "format", None) not in ERROR_FORMATS:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def _messages(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(_messages(item))
        return out
    if isinstance(value, dict):
        return [m for item in value.values() for m in _messages(item)]
    return [str(value)]
