"""The API fuzzed from its own OpenAPI schema: no input makes a server error, and every answer
matches the schema, anonymous and signed in.

Each operation gets FUZZ_EXAMPLES generated requests here (a few, so the suite stays quick);
`make fuzz` runs the same tests with many more (see docs/security.md).
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from schemathesis.specs.openapi import checks as openapi_checks

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4"))
CHECKS = [
    checks.not_a_server_error,
    openapi_checks.response_schema_conformance,
    openapi_checks.content_type_conformance,
]
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 10,
    suppress_health_check=list(HealthCheck),
)


def _fuzz(headers: dict[str, str] | None = None) -> list[str]:
    """Send generated requests to every operation; return what failed, one line each."""
    from config.wsgi import application

    failures: list[str] = []
    # As Django's test client does: the test's database connection stays open between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        api = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
        _fuzz_operations(api, headers, failures)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return failures


def _fuzz_operations(api: Any, headers: dict[str, str] | None, failures: list[str]) -> None:
    for result in api.get_all_operations():
        operation = result.ok()

        @FUZZ_SETTINGS
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except Exception as exc:  # each operation reports on its own, all are tried
            failures.append(f"{operation.label}: {type(exc).__name__}: {str(exc)[:2000]}")


@pytest.mark.django_db
def test_the_api_never_fails_anonymous():
    assert _fuzz() == []


@pytest.mark.django_db
def test_the_api_never_fails_signed_in():
    from rest_framework.authtoken.models import Token

    from tests.factories import UserFactory

    token = Token.objects.create(user=UserFactory()).key
    assert _fuzz({"Authorization": f"Token {token}"}) == []
