"""Writes in moderation: cases, decisions and the audit log, reports and appeals.

Checking a text or acting on a verdict is in `moderation.checks`; the subjects people can
report and appeal are in `moderation.subjects`.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Notification, User
from accounts.services import notification_create
from config.signals import on_commit_send

from .checks import ALLOWED_CONTROL_CHARACTERS
from .models import AuditEntry, Case, Decision, Report
from .policy import default_engine
from .signals import case_decided
from .subjects import SubjectNotFound, subject_owner, subject_resolve

# --- Priorities

PRIORITY_MINOR = 300
PRIORITY_PROTECTED = 200
PRIORITY_OTHER = 100
PRIORITY_PER_REPORT = 10
PRIORITY_ESCALATION = 150


def case_priority(*, categories: Iterable[str], report_count: int = 0) -> int:
    """Return the priority of a case: a minor first, then public figures and copyright, then the rest;
    each report adds a little."""
    categories = {str(c) for c in categories}
    if "minor" in categories:
        base = PRIORITY_MINOR
    elif categories & {"public_figure", "copyright"}:
        base = PRIORITY_PROTECTED
    else:
        base = PRIORITY_OTHER
    return base + PRIORITY_PER_REPORT * report_count


# --- Permissions


def is_moderator(user: User | AnonymousUser | None) -> bool:
    """Return whether `user` may work the review queue."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm("moderation.review_case"))


def _moderator_required(user: User) -> None:
    if not is_moderator(user):
        raise PermissionDenied(_("Only moderators can review cases."))


def _notification_target(subject: models.Model | None) -> models.Model | None:
    # Notifications link to the video a subject is or belongs to.
    if subject is None or isinstance(subject, User):
        return None
    return getattr(subject, "post", subject)


# --- Audit log


def audit_record(
    *, actor: User | None, action: str, subject: models.Model, owner: User | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Write one entry of the audit log: who did `action` to `subject`, and why."""
    return AuditEntry.objects.create(
        actor=actor, action=action, subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk, subject_owner=owner if owner is not None else subject_owner(subject),
        details=details or {},
    )


# --- Cases


class CaseConflict(ValidationError):
    """The case is taken by another moderator or already decided."""


def _claim_expiry() -> dt.timedelta:
    return dt.timedelta(minutes=int(getattr(settings, "MODERATION_CLAIM_MINUTES", 15)))


@transaction.atomic
def case_open(
    *,
    kind: str,
    subject: models.Model,
    evidence: dict[str, Any] | None = None,
    categories: Iterable[str] = (),
    owner: User | None = None,
) -> Case:
    """Open a case about `subject` for a moderator, with the evidence that brought it here."""
    categories = sorted({str(c) for c in categories})
    return Case.objects.create(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        subject_owner=owner if owner is not None else subject_owner(subject),
        evidence=evidence or {},
        categories=categories,
        priority=case_priority(categories=categories),
    )


@transaction.atomic
def refusal_record(
    *,
    kind: str,
    subject: models.Model,
    owner: User,
    evidence: dict[str, Any],
    categories: Iterable[str],
    note: str,
) -> Case:
    """Record the policy's own refusal of `subject` as a decided case, so its owner can appeal
    it once like any moderator's decision."""
    categories = sorted({str(c) for c in categories})
    now = timezone.now()
    case = Case.objects.create(
        kind=kind,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        subject_owner=owner,
        evidence=evidence,
        categories=categories,
        priority=case_priority(categories=categories),
        state=Case.State.DECIDED,
        outcome=Case.Outcome.REJECTED,
        decided_at=now,
    )
    Decision.objects.create(
        case=case, moderator=None, action=Decision.Action.REJECT, note=note,
        policy_version=str(evidence.get("policy_version") or _policy_version()),
    )
    return case


@transaction.atomic
def case_claim(*, case: Case, moderator: User) -> Case:
    """Give `case` to `moderator`; refuse a case someone else holds (unless their claim expired)."""
    _moderator_required(moderator)
    if case.subject_owner_id == moderator.pk:
        raise PermissionDenied(_("Another moderator must decide a case about your own content."))
    now = timezone.now()
    claimed = (
        Case.objects.filter(pk=case.pk)
        .exclude(state=Case.State.DECIDED)
        .filter(Q(claimed_by__isnull=True) | Q(claimed_by=moderator) | Q(claimed_at__lt=now - _claim_expiry()))
        .update(state=Case.State.CLAIMED, claimed_by=moderator, claimed_at=now)
    )
    case.refresh_from_db()
    if not claimed:
        if case.is_decided:
            raise CaseConflict(_("This case has already been decided."), code="decided")
        raise CaseConflict(_("Another moderator is working on this case."), code="claimed")
    return case


def _holds(case: Case, moderator: User, now: dt.datetime) -> bool:
    return (
        case.claimed_by_id is None
        or case.claimed_by_id == moderator.pk
        or case.claimed_at is None
        or case.claimed_at < now - _claim_expiry()
    )


def _policy_version() -> str:
    try:
        return default_engine().version
    except Exception:
        return ""


@transaction.atomic
def case_decide(*, case: Case, moderator: User, action: str, note: str = "") -> Decision:
    """Decide `case` (approve, reject or escalate), write the audit entry and tell the people concerned."""
    _moderator_required(moderator)
    if action not in Decision.Action.values:
        raise ValidationError({"action": [_("Choose approve, reject or escalate.")]})
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": [_("A note is at most %(n)d characters.") % {"n": 2000}]})
    locked = Case.objects.select_for_update().get(pk=case.pk)
    now = timezone.now()
    if locked.subject_owner_id == moderator.pk:
        raise PermissionDenied(_("Another moderator must decide a case about your own content."))
    if locked.is_decided:
        raise CaseConflict(_("This case has already been decided."), code="decided")
    if not _holds(locked, moderator, now):
        raise CaseConflict(_("Another moderator is working on this case."), code="claimed")
    if action == Decision.Action.ESCALATE and not note:
        raise ValidationError({"note": [_("Say why the case is escalated.")]})
    decision = Decision.objects.create(
        case=locked, moderator=moderator, action=action, note=note, policy_version=_policy_version()
    )
    if action == Decision.Action.ESCALATE:
        locked.state = Case.State.OPEN
        locked.outcome = Case.Outcome.ESCALATED
        locked.priority += PRIORITY_ESCALATION
        locked.claimed_by = None
        locked.claimed_at = None
        locked.save(update_fields=["state", "outcome", "priority", "claimed_by", "claimed_at"])
    else:
        locked.state = Case.State.DECIDED
        locked.outcome = Case.Outcome.APPROVED if action == Decision.Action.APPROVE else Case.Outcome.REJECTED
        locked.decided_at = now
        locked.save(update_fields=["state", "outcome", "decided_at"])
        _tell_the_people_concerned(locked, action)
    on_commit_send(case_decided, sender=Case, case=locked, decision=decision)
    case.refresh_from_db()
    return decision


def _tell_the_people_concerned(case: Case, action: str) -> None:
    if case.kind == Case.Kind.CAMEO_VERIFICATION:
        return  # cameo tells the owner in its own words
    subject = case.subject
    target = _notification_target(subject)
    approved = action == Decision.Action.APPROVE
    if case.kind == Case.Kind.REPORT:
        verb = Notification.Verb.REPORT_DISMISSED if approved else Notification.Verb.REPORT_UPHELD
        for reporter in User.objects.filter(reports__case=case).distinct():
            notification_create(recipient=reporter, actor=None, verb=verb, target=target)
        if approved:
            return  # The author is not told about reports that came to nothing.
    owner = case.subject_owner
    if owner is not None:
        verb = Notification.Verb.MODERATION_APPROVED if approved else Notification.Verb.MODERATION_REJECTED
        notification_create(recipient=owner, actor=None, verb=verb, target=target)


@dataclass
class BulkResult:
    decided: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def cases_decide_bulk(*, case_ids: Iterable[int], moderator: User, action: str, note: str = "") -> BulkResult:
    """Decide many cases the same way; each is decided on its own, and those that cannot be are named."""
    _moderator_required(moderator)
    result = BulkResult()
    for case_id in dict.fromkeys(case_ids):
        case = Case.objects.filter(pk=case_id).first()
        if case is None:
            result.refused[case_id] = _("This case does not exist.")
            continue
        try:
            case_decide(case=case, moderator=moderator, action=action, note=note)
        except ValidationError as exc:
            result.refused[case_id] = exc.messages[0]
        except PermissionDenied as exc:
            result.refused[case_id] = str(exc)
        else:
            result.decided.append(case_id)
    return result


# --- Reports

REPORT_TEXT_MAX_LENGTH = 1000


def _clean_free_text(text: str, *, field_name: str, limit: int, required: bool = False) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise ValidationError({field_name: [_("Write something first.")]})
    if len(text) > limit:
        raise ValidationError({field_name: [_("At most %(n)d characters.") % {"n": limit}]})
    if any(unicodedata.category(ch) in ("Cc", "Cs") and ch not in ALLOWED_CONTROL_CHARACTERS for ch in text):
        raise ValidationError({field_name: [_("The text contains control characters.")]})
    return text


@transaction.atomic
def report_create(*, reporter: User, subject_type: str, subject_id: Any, reason: str, text: str = "") -> Report:
    """Report a post, a comment or a person; reports of one subject join its open case."""
    if reason not in Report.Reason.values:
        raise ValidationError({"reason": [_("Choose one of the listed reasons.")]})
    text = _clean_free_text(text, field_name="text", limit=REPORT_TEXT_MAX_LENGTH)
    subject = subject_resolve(subject_type=subject_type, subject_id=subject_id, viewer=reporter)
    owner = subject_owner(subject)
    if owner is not None and owner.pk == reporter.pk:
        raise ValidationError({"subject_id": [_("You cannot report yourself or what you posted.")]})
    content_type = ContentType.objects.get_for_model(subject)
    if Report.objects.filter(reporter=reporter, subject_type=content_type, subject_id=subject.pk).exists():
        raise ValidationError({"subject_id": [_("You have already reported this.")]})
    case = _report_case(subject=subject, content_type=content_type, owner=owner)
    try:
        with transaction.atomic():
            report = Report.objects.create(
                reporter=reporter, case=case, subject_type=content_type, subject_id=subject.pk,
                reason=reason, text=text,
            )
    except IntegrityError:
        raise ValidationError({"subject_id": [_("You have already reported this.")]}) from None
    categories = sorted({*case.categories, reason})
    bump = max(0, case_priority(categories=categories) - case_priority(categories=case.categories))
    case.categories = categories
    case.report_count += 1
    case.priority += bump + PRIORITY_PER_REPORT
    case.save(update_fields=["categories", "report_count", "priority"])
    return report


def _report_case(*, subject: models.Model, content_type: ContentType, owner: User | None) -> Case:
    """Return the open report case about `subject`, locked, opening it if there is none."""
    open_cases = Case.objects.select_for_update().filter(
        kind=Case.Kind.REPORT, subject_type=content_type, subject_id=subject.pk
    ).undecided()
    case = open_cases.first()
    if case is not None:
        return case
    try:
        with transaction.atomic():
            return Case.objects.create(
                kind=Case.Kind.REPORT, subject_type=content_type, subject_id=subject.pk, subject_owner=owner,
                priority=case_priority(categories=()),
            )
    except IntegrityError:
        return open_cases.get()


# --- Appeals

APPEAL_MAX_LENGTH = 1000


@transaction.atomic
def appeal_create(
    *,
    user: User,
    message: str,
    case: Case | None = None,
    subject_type: str | None = None,
    subject_id: Any = None,
) -> Case:
    """Appeal, once, the decision that removed or rejected something of `user`'s."""
    message = _clean_free_text(message, field_name="message", limit=APPEAL_MAX_LENGTH, required=True)
    if case is None:
        subject = subject_resolve(subject_type=subject_type or "", subject_id=subject_id, viewer=user)
        content_type, pk = ContentType.objects.get_for_model(subject), subject.pk
        case = (
            Case.objects.filter(
                subject_type=content_type, subject_id=pk, state=Case.State.DECIDED,
                outcome=Case.Outcome.REJECTED,
            )
            .exclude(kind=Case.Kind.APPEAL)
            .order_by("-decided_at", "-id")
            .first()
        )
        if case is None:
            raise ValidationError(_("There is no decision against this to appeal."))
    if case.subject_owner_id != user.pk:
        raise SubjectNotFound(_("This does not exist or is not available."))
    if case.kind == Case.Kind.APPEAL or not (case.is_decided and case.outcome == Case.Outcome.REJECTED):
        raise ValidationError(_("Only a decision that removed or refused something can be appealed."))
    if Case.objects.filter(kind=Case.Kind.APPEAL, subject_type=case.subject_type_id, subject_id=case.subject_id).exists():
        raise ValidationError(_("You have already appealed this decision; an appeal can be made once."))
    last = case.decisions.order_by("-created_at", "-id").first()
    evidence = {
        "appealed_case": case.pk,
        "appealed_kind": case.kind,
        "decision": {"action": last.action, "note": last.note, "policy_version": last.policy_version} if last else None,
        "original_evidence": case.evidence,
    }
    try:
        with transaction.atomic():
            return Case.objects.create(
                kind=Case.Kind.APPEAL, subject_type_id=case.subject_type_id, subject_id=case.subject_id,
                subject_owner=user, parent=case, message=message, evidence=evidence,
                categories=case.categories, priority=case_priority(categories=case.categories),
            )
    except IntegrityError:
        raise ValidationError(_("You have already appealed this decision; an appeal can be made once.")) from None
