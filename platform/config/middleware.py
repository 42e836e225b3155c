"""The `writes` rate on the web site's forms, as on the API.

The API counts every write of a person (or of an address, for visitors) against the `writes`
rate (`config.api.WriteThrottledView`). The web forms reach the same services without DRF,
so without this middleware they were a way around it: a script could post comments,
reports or sign-ups through them as fast as the server answered. Here each unsafe request
outside `/api/` counts on the very same counter as the API's writes (`WriteRateThrottle`,
scope `writes`), so one allowance covers both doors, and an API request, which DRF counts,
is never counted twice.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from config.throttling import WriteRateThrottle

API_PREFIX = "/api/"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class _WebForms:
    """What WriteRateThrottle reads from a view: the scope whose rate applies."""

    throttle_scope = "writes"


class WriteThrottleMiddleware:
    """Refuse a web write past the `writes` rate with the 429 page and Retry-After.

    Placed after authentication, so a signed-in person is counted as themselves and a
    visitor by address (`config.network.client_address`).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method in UNSAFE_METHODS and not request.path_info.startswith(API_PREFIX):
            throttle = WriteRateThrottle()
            if not throttle.allow_request(request, _WebForms()):
                return self.refused(request, throttle.wait())
        return self.get_response(request)

    def refused(self, request: HttpRequest, wait: float | None) -> HttpResponse:
        seconds = max(1, math.ceil(wait or 0))
        response = render(request, "429.html", {"retry_after": seconds}, status=429)
        response["Retry-After"] = str(seconds)
        return response
