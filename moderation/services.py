"""Moderation actions other apps call: checking texts, opening and deciding cases, reports, appeals."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Notification, User
from accounts.services import notification_create

from .models import AuditEntry, Case, Decision, Report
from .policy import CONTEXTS, Verdict, default_engine
from .signals import case_decided

MAX_TEXT_LENGTH = 5000
# Newlines and tabs are ordinary in a caption or a comment; every other control character is
# either a mistake or an attempt to hide words from the people reading the text.
ALLOWED_CONTROL_CHARACTERS = frozenset("\n\t")


def text_clean(*, text: str) -> str:
    """Return `text` ready to check, or raise ValidationError saying what is wrong with it."""
    if not isinstance(text, str):
        raise ValidationError(_("The text must be a string."), code="invalid")
    # Browsers send line breaks in form fields as CRLF; a lone CR is still refused below.
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise ValidationError(_("Enter some text to check."), code="empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            _("The text is too long: %(length)d characters, at most %(limit)d.")
            % {"length": len(text), "limit": MAX_TEXT_LENGTH},
            code="too_long",
        )
    for position, char in enumerate(text):
        category = unicodedata.category(char)
        if (category == "Cc" and char not in ALLOWED_CONTROL_CHARACTERS) or category == "Cs":
            raise ValidationError(
                _("The text contains a control character (U+%(code)04X) at position %(position)d.")
                % {"code": ord(char), "position": position},
                code="control_character",
            )
    return text


def text_check(*, text: str, context: str) -> Verdict:
    """Check a prompt, a caption or a comment against the text policy and return the verdict.

    Raise ValidationError for an empty text, one longer than MAX_TEXT_LENGTH characters, or one
    containing control characters other than newline and tab.
    """
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {CONTEXTS}, not {context!r}")
    return default_engine().check(text_clean(text=text), context=context)


# --- What people are told about a category


CATEGORY_LABELS = {
    "public_figure": gettext_lazy("a real public figure"),
    "minor": gettext_lazy("a minor"),
    "copyright": gettext_lazy("a copyrighted work"),
    "trademark": gettext_lazy("a trademark"),
    "nudity": gettext_lazy("nudity"),
    "face": gettext_lazy("a face"),
    "harassment": gettext_lazy("harassment"),
    "violence": gettext_lazy("violence"),
    "spam": gettext_lazy("spam"),
    "other": gettext_lazy("something against the rules"),
}


class TextRefused(ValidationError):
    """The text policy blocked a text: the error names the field, the category and the rule."""

    def __init__(self, *, field: str, message: str, verdict: Verdict) -> None:
        super().__init__({field: [message]}, code="blocked")
        self.field, self.message_text, self.verdict = field, message, verdict


def text_check_or_refuse(*, text: str, context: str, field: str, what: str, then: str = "") -> Verdict:
    """Return the text policy's verdict on `text`, or raise TextRefused if it blocks it.

    Bad text (empty, too long, control characters) raises ValidationError on `field`. The
    refusal names `what` was refused, the category and the rule, followed by `then`.
    """
    try:
        verdict = text_check(text=text, context=context)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    if verdict.decision == "block":
        hit = next(h for h in verdict.rules if h.action == "block")
        message = refusal_message(what=what, category=hit.category, rule=hit.rule)
        raise TextRefused(field=field, message=" ".join(filter(None, [message, then])), verdict=verdict)
    return verdict


def category_label(category: str) -> str:
    """Return the category as the person concerned reads it, in their language."""
    label = CATEGORY_LABELS.get(str(category))
    return str(label) if label is not None else str(category)


def refusal_message(*, what: str, category: str, rule: str) -> str:
    """Return the sentence that tells someone why `what` was refused: the category and the rule."""
    return _("%(what)s was refused: it shows or names %(category)s (rule %(rule)s).") % {
        "what": what, "category": category_label(category), "rule": rule,
    }


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


def is_moderator(user: User | None) -> bool:
    """Return whether `user` may work the review queue."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.has_perm("moderation.review_case"))


def _moderator_required(user: User) -> None:
    if not is_moderator(user):
        raise PermissionDenied(_("Only moderators can review cases."))


# --- Subjects: the objects of other apps that can be reported or appealed


class SubjectNotFound(ObjectDoesNotExist):
    """The subject does not exist, or the person asking may not see it."""


@dataclass(frozen=True)
class SubjectType:
    name: str
    resolve: Callable[..., models.Model | None]


_SUBJECT_TYPES: dict[str, SubjectType] = {}


def subject_type_register(*, name: str, resolve: Callable[..., models.Model | None]) -> None:
    """Let people report or appeal subjects of type `name`.

    `resolve(subject_id=..., viewer=...)` returns the object if `viewer` may see it, else None.
    The app that owns the objects registers them when it starts.
    """
    _SUBJECT_TYPES[name] = SubjectType(name=name, resolve=resolve)


def subject_type_names() -> list[str]:
    return sorted(_SUBJECT_TYPES)


def subject_resolve(*, subject_type: str, subject_id: Any, viewer: User) -> models.Model:
    """Return the subject `viewer` names, or raise SubjectNotFound."""
    kind = _SUBJECT_TYPES.get(subject_type)
    if kind is None:
        raise ValidationError({"subject_type": [_("This cannot be reported.")]})
    try:
        subject = kind.resolve(subject_id=subject_id, viewer=viewer)
    except (TypeError, ValueError):
        subject = None
    if subject is None:
        raise SubjectNotFound(_("This does not exist or is not available."))
    return subject


def subject_owner(subject: models.Model) -> User | None:
    """Return the person a subject belongs to: a person is their own subject, else its author."""
    if isinstance(subject, User):
        return subject
    owner = getattr(subject, "author", None) or getattr(subject, "user", None)
    return owner if isinstance(owner, User) else None


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


def evidence_from_verdicts(*, text: Verdict | None = None, media: Any = None) -> tuple[dict[str, Any], list[str]]:
    """Return the evidence of a text verdict and a media verdict, and the categories they name."""
    evidence: dict[str, Any] = {}
    categories: set[str] = set()
    versions: list[str] = []
    if text is not None:
        evidence["text"] = text.to_dict()
        categories.update(str(c) for c in text.categories)
        versions.append(text.policy_version)
    if media is not None:
        evidence["media"] = media.as_dict()
        categories.update(f.category for f in media.findings if f.action.severity > 0)
        versions.append(media.policy_version)
        if media.checks_failed:
            evidence["media_unchecked"] = True
    evidence["categories"] = sorted(categories)
    evidence["policy_version"] = " ".join(versions)
    return json.loads(json.dumps(evidence, default=_jsonable)), sorted(categories)


def _jsonable(value: Any) -> Any:
    # Detectors hand back numpy numbers and arrays; the evidence is stored as plain JSON.
    for method in ("tolist", "item"):
        if hasattr(value, method):
            return getattr(value, method)()
    return str(value)


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
    transaction.on_commit(lambda: case_decided.send(sender=Case, case=locked, decision=decision))
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
