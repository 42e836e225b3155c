"""What generation does when something happens elsewhere (connected in `GenerationConfig.ready`).

Receivers are entry points, like views and tasks: they read the event, call one service per
thing to do, and answer in the shape the signal documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from moderation.enums import Action, CaseKind

from .services import (
    drafts_delete_for_likeness,
    flagged_output_decide,
    held_prompt_decide,
    jobs_stop_for_consent,
    refusal_lift,
)

if TYPE_CHECKING:
    from cameo.models import Appearance
    from moderation.models import Case, Decision


def case_decided_receiver(sender: type, *, case: Case, decision: Decision, **kwargs: Any) -> None:
    """Act on a moderator's decision about a job: a held prompt, an appeal, a flagged draft."""
    if case.subject_type.app_label != "generation" or decision.action not in (Action.APPROVE, Action.REJECT):
        return
    approved = decision.action == Action.APPROVE
    if case.kind == CaseKind.HELD_PROMPT:
        held_prompt_decide(job_id=case.subject_id, approved=approved)
    elif case.kind == CaseKind.APPEAL and approved:
        refusal_lift(job_id=case.subject_id)
    elif case.kind == CaseKind.FLAGGED_MEDIA:
        flagged_output_decide(job_id=case.subject_id, approved=approved)


def _by_job(appearances: Iterable[Appearance]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for appearance in appearances:
        if appearance.job_id is not None:
            found.setdefault(appearance.job_id, []).append(appearance.pk)
    return found


def consent_withdrawn_receiver(sender: type, *, appearances: list[Appearance], **kwargs: Any) -> dict[int, list[str]]:
    """Cancel the jobs still rendering a cameo whose consent is gone."""
    by_job = _by_job(appearances)
    stopped = jobs_stop_for_consent(job_ids=by_job)
    return {appearance_id: ["cancelled"] for job_id in stopped for appearance_id in by_job[job_id]}


def likeness_removed_receiver(
    sender: type, *, appearances: list[Appearance], actor: Any = None, **kwargs: Any
) -> dict[int, list[str]]:
    """The person in these videos removed them: cancel their jobs and delete the drafts."""
    by_job = _by_job(appearances)
    outcome = consent_withdrawn_receiver(sender, appearances=appearances)
    for job_id in drafts_delete_for_likeness(job_ids=by_job):
        for appearance_id in by_job[job_id]:
            outcome.setdefault(appearance_id, []).append("draft_deleted")
    return outcome
