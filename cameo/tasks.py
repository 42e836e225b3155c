"""Background work of cameo, run by the Celery worker: the heavy checks of a verification clip."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .services import verification_check


@shared_task(
    name="cameo.verification_check", acks_late=True, ignore_result=True,
    soft_time_limit=settings.CAMEO_CHECK_TIME_LIMIT, time_limit=settings.CAMEO_CHECK_TIME_LIMIT + 30,
)
def verification_check_task(cameo_id: int) -> str | None:
    """Check the clip of cameo `cameo_id` (a no-op unless it waits in `checking`)."""
    cameo = verification_check(cameo_id=cameo_id)
    return cameo.state if cameo is not None else None
