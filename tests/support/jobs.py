"""Submitting a job the way every caller does: check the request, then create the job."""

from __future__ import annotations

from typing import Any

from generation.models import GenerationJob
from generation.services import job_create
from generation.submission import job_check


def submit(*, enqueue: bool = True, **request: Any) -> GenerationJob:
    """Check `request` and create its job (queued once committed, unless `enqueue` is false)."""
    return job_create(request=job_check(**request), enqueue=enqueue)
