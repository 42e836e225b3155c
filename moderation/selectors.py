"""Reads in moderation: the review queue, a case with its evidence, a person's reports and appeals."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet

from accounts.models import User

from .models import Case, Decision, ProtectedMedia, Report


def cases_queue(*, kind: str | None = None, state: str | None = None) -> QuerySet[Case]:
    """Return the cases to work, most urgent then oldest first; undecided ones unless `state` says."""
    qs = Case.objects.select_related("subject_type", "subject_owner", "claimed_by")
    qs = qs.filter(state=state) if state else qs.undecided()
    if kind:
        qs = qs.filter(kind=kind)
    return qs.queue_order()


def case_get(*, case_id: int) -> Case | None:
    """Return a case with its decisions and reports, for a moderator."""
    return (
        Case.objects.select_related("subject_type", "subject_owner", "claimed_by", "parent")
        .prefetch_related(
            Prefetch("decisions", queryset=Decision.objects.select_related("moderator").order_by("created_at", "id")),
            Prefetch("reports", queryset=Report.objects.select_related("reporter").order_by("created_at", "id")),
        )
        .filter(pk=case_id)
        .first()
    )


def reports_of(*, user: User) -> QuerySet[Report]:
    """Return the reports `user` made, newest first, with the state and outcome of their case."""
    return Report.objects.filter(reporter=user).select_related("case", "subject_type")


def appeals_of(*, user: User) -> QuerySet[Case]:
    """Return the appeals `user` made, newest first."""
    return Case.objects.filter(kind=Case.Kind.APPEAL, subject_owner=user).order_by("-created_at", "-id")


def case_of_owner(*, case_id: int, user: User) -> Case | None:
    """Return a case about something of `user`'s, or None: people never see others' cases."""
    return Case.objects.filter(pk=case_id, subject_owner=user).first()


def protected_media_get(*, entry_id: int) -> ProtectedMedia | None:
    """Return the active bank entry `entry_id`, or None."""
    return ProtectedMedia.objects.filter(pk=entry_id, active=True).first()


def appealable_cases_of(*, user: User) -> QuerySet[Case]:
    """Return the decisions against something of `user`'s that removed or refused it, newest first,
    with the appeal made of each, if any."""
    return (
        Case.objects.filter(subject_owner=user, state=Case.State.DECIDED, outcome=Case.Outcome.REJECTED)
        .exclude(kind=Case.Kind.APPEAL)
        .select_related("subject_type")
        .prefetch_related(Prefetch("appeals", queryset=Case.objects.order_by("created_at", "id")))
        .order_by("-decided_at", "-id")
    )
