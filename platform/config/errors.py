"""The site's error views: under /api/ an error is JSON in the API's shape, elsewhere a page.

DRF answers the errors raised inside its views (config.api.exception_handler), but some are
raised before a view runs or escape it: a path that matches no route (`/api/v1/posts/abc/`
when ids are numbers), a body Django refuses to read, an exception DRF does not handle.
Django answers those with these handlers (config.urls), so an API client never has to parse
an HTML page.

An exception that says a server the site depends on is down (config.outages) is not a bug:
it is answered 503 with Retry-After, in the same two shapes.
"""

from __future__ import annotations

import sys

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from rest_framework import exceptions

from config.outages import is_outage, unavailable_response

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    """Return whether `request` is addressed to the API."""
    return request.path_info.startswith(API_PREFIX)


def api_error(*, code: str, message: str, status: int) -> JsonResponse:
    """Return an error in the shape of config.api.ErrorSerializer."""
    return JsonResponse({"error": {"code": code, "message": message}}, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        return api_error(code="bad_request", message=str(exceptions.ParseError.default_detail), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        detail = exceptions.PermissionDenied.default_detail
        return api_error(code=exceptions.PermissionDenied.default_code, message=str(detail), status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        detail = exceptions.NotFound.default_detail
        return api_error(code=exceptions.NotFound.default_code, message=str(detail), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    # Nothing here may touch the database, the session or the cache: any may be what failed.
    # Django calls this inside its `except` block (asgiref carries the exception over when
    # that runs in another thread), so the exception being handled is the cause.
    if is_outage(sys.exception()):
        return unavailable_response(request)
    if is_api(request):
        detail = exceptions.APIException.default_detail  # "A server error occurred."
        return api_error(code="server_error", message=str(detail), status=500)
    return defaults.server_error(request)
