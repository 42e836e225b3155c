"""Reading cameos and their uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from accounts.models import User

from .models import Appearance, Cameo, CameoPhoto


def _id(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):  # OverflowError: int(1e400)
        return None


def cameo_of(user: User | None) -> Cameo | None:
    """Return `user`'s cameo, if they made one."""
    if user is None or not user.is_authenticated:
        return None
    return Cameo.objects.filter(owner=user).select_related("owner").first()


def appearances_of(*, owner: User) -> QuerySet[Appearance]:
    """Return every use of `owner`'s likeness, newest first, drafts of others included."""
    return Appearance.objects.filter(owner=owner).select_related("user", "cameo")


def appearance_get(*, appearance_id: Any, owner: User) -> Appearance | None:
    """Return appearance `appearance_id` if it shows `owner`, else None."""
    appearance_id = _id(appearance_id)
    if appearance_id is None or not owner.is_authenticated:
        return None
    return appearances_of(owner=owner).filter(pk=appearance_id).first()


def photo_get(*, photo_id: Any) -> CameoPhoto | None:
    photo_id = _id(photo_id)
    return CameoPhoto.objects.filter(pk=photo_id).select_related("cameo").first() if photo_id else None


def shows_viewer(*, job_id: int, viewer: User | AnonymousUser | None) -> bool:
    """Return whether job `job_id` uses `viewer`'s likeness: they may then watch its video."""
    if not isinstance(viewer, User):
        return False
    return Appearance.objects.filter(job_id=job_id, owner=viewer).exists()


@dataclass(frozen=True)
class JobCameo:
    """A cameo a job uses: who, their reference photo, and their face descriptor."""

    handle: str
    cameo_id: int
    photo: Any  # the reference photo's FieldFile
    vector: list[float]


def job_cameos(*, job_id: int) -> list[JobCameo]:
    """Return the cameos job `job_id` may still use, in the order they were recorded."""
    uses = (
        Appearance.objects.filter(job_id=job_id, state__in=Appearance.LIVE_STATES, cameo__isnull=False)
        .select_related("cameo__owner").order_by("id")
    )
    found = []
    for use in uses:
        cameo = use.cameo
        if cameo is None:  # deleted between the query and here
            continue
        photo = cameo.photos.order_by("id").first()
        found.append(JobCameo(
            handle=cameo.owner.handle, cameo_id=cameo.pk, photo=photo.image if photo else None,
            vector=list(cameo.reference_vector or []),
        ))
    return found


def cameo_lookup(*, handle: str) -> Cameo | None:
    """Return the cameo of the person called `handle`, if they have one."""
    return Cameo.objects.filter(owner__handle__iexact=(handle or "").lstrip("@"), owner__is_active=True) \
        .select_related("owner").first()
