"""Web pages of moderation: the review queue, a case, reporting, a person's reports and appeals."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from accounts.models import User
from accounts.viewers import signed_in

from .checks import category_label
from .forms import AppealForm, BulkDecideForm, DecideForm, QueueFilterForm, ReportForm
from .models import Case
from .selectors import appealable_cases_of, case_get, case_of_owner, cases_queue, reports_of
from .services import (
    appeal_create,
    case_claim,
    case_decide,
    cases_decide_bulk,
    is_moderator,
    report_create,
)
from .subjects import SubjectNotFound, subject_resolve

QUEUE_SIZE = 100


def _moderator_only(request: HttpRequest) -> None:
    if not is_moderator(signed_in(request)):
        raise PermissionDenied


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(m) for m in exc.messages)
    return str(exc) or _("This is not allowed.")


def _highlight(text: str, words: list[str]) -> SafeString:
    """Return `text` escaped, with each of `words` wrapped in <mark>."""
    words = sorted({w for w in words if w}, key=len, reverse=True)
    if not text or not words:
        return escape(text or "")
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        out.append(escape(text[last:match.start()]))
        out.append(f"<mark>{escape(match.group(0))}</mark>")
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308  (every piece is escaped)


def _subject_of(case: Case) -> models.Model | None:
    model = case.subject_type.model_class()
    if model is None:
        return None
    return model._base_manager.filter(pk=case.subject_id).first()


def _subject_view(case: Case) -> dict[str, Any]:
    """Return what a moderator sees of the subject: its text, the video it is or belongs to."""
    subject = _subject_of(case)
    post = getattr(subject, "post", None) if subject is not None else None
    video_owner = post if post is not None else subject
    video = getattr(video_owner, "video", None)
    poster = getattr(video_owner, "poster", None)
    text = ""
    if subject is not None:
        text = (
            getattr(subject, "caption", None) or getattr(subject, "body", None) or getattr(subject, "bio", None)
            or getattr(subject, "prompt", None) or getattr(subject, "review_text", None) or ""
        )
    evidence = case.evidence or {}
    text_evidence = evidence.get("text") or (evidence.get("original_evidence") or {}).get("text") or {}
    rules = list(text_evidence.get("rules") or [])
    words = [str(r.get("matched") or "") for r in rules]
    media = evidence.get("media") or (evidence.get("original_evidence") or {}).get("media") or {}
    return {
        "subject": subject,
        "subject_missing": subject is None,
        "is_person": isinstance(subject, User),
        "post": post if post is not None else (subject if video is not None else None),
        # Private media (a draft) names its own permission-checked address.
        "video_url": getattr(video_owner, "review_video_url", None) or (video.url if video else ""),
        "poster_url": getattr(video_owner, "review_poster_url", None) or (poster.url if poster else ""),
        # A likeness under verification shows its reference photos beside the clip.
        "images": list(getattr(subject, "review_images", None) or []) if subject is not None else [],
        "text": text,
        "highlighted": _highlight(text, words),
        "rules": rules,
        "media": media,
        "findings": media.get("findings") or [],
        "bank_entry": evidence.get("bank_entry"),
        "policy_version": evidence.get("policy_version") or text_evidence.get("policy_version") or "",
        "category_labels": [category_label(c) for c in case.categories],
    }


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    """The review queue: the cases to work, most urgent then oldest first."""
    _moderator_only(request)
    filters = QueueFilterForm(request.GET or None)
    kind = state = None
    if filters.is_valid():
        kind = filters.cleaned_data["kind"] or None
        state = filters.cleaned_data["state"] or None
    cases = list(cases_queue(kind=kind, state=state)[:QUEUE_SIZE])
    rows = [{"case": c, "categories": [category_label(x) for x in c.categories]} for c in cases]
    return render(request, "moderation/queue.html", {"rows": rows, "filters": filters, "bulk_form": BulkDecideForm()})


@login_required
@require_POST
def queue_decide(request: HttpRequest) -> HttpResponse:
    """Approve or reject the cases ticked in the queue."""
    _moderator_only(request)
    form = BulkDecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tick at least one case and choose a decision."))
        return redirect("moderation:queue")
    result = cases_decide_bulk(
        case_ids=form.cleaned_data["cases"], moderator=signed_in(request),
        action=form.cleaned_data["action"], note=form.cleaned_data["note"],
    )
    if result.decided:
        messages.success(request, _("Decided: %(n)d case(s).") % {"n": len(result.decided)})
    for case_id, reason in result.refused.items():
        messages.error(request, _("Case %(id)s was not decided: %(reason)s") % {"id": case_id, "reason": reason})
    return redirect("moderation:queue")


@login_required
@require_safe
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    """One case with its evidence, its reports and its decisions."""
    _moderator_only(request)
    case = case_get(case_id=case_id)
    if case is None:
        raise Http404
    context = {
        "case": case,
        "decisions": list(case.decisions.all()),
        "reports": list(case.reports.all()),
        "form": DecideForm(),
        **_subject_view(case),
    }
    return render(request, "moderation/case.html", context)


@login_required
@require_POST
def case_claim_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Take a case, so that no other moderator works it at the same time."""
    _moderator_only(request)
    case = case_get(case_id=case_id)
    if case is None:
        raise Http404
    try:
        case_claim(case=case, moderator=signed_in(request))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("You claimed this case."))
    return redirect("moderation:case", case_id=case_id)


@login_required
@require_POST
def case_decide_view(request: HttpRequest, case_id: int) -> HttpResponse:
    """Approve, reject or escalate a case."""
    _moderator_only(request)
    case = case_get(case_id=case_id)
    if case is None:
        raise Http404
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose approve, reject or escalate."))
        return redirect("moderation:case", case_id=case_id)
    try:
        case_decide(case=case, moderator=signed_in(request), action=form.cleaned_data["action"], note=form.cleaned_data["note"])
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
        return redirect("moderation:case", case_id=case_id)
    messages.success(request, _("Your decision was recorded."))
    return redirect("moderation:queue")


SUBJECT_TYPES = {"post", "comment", "user"}


@login_required
def report(request: HttpRequest, subject_type: str, subject_id: str) -> HttpResponse:
    """Report a post, a comment or a person: a reason from the list and, if wanted, a few words."""
    if subject_type not in SUBJECT_TYPES:
        raise Http404
    user = signed_in(request)
    try:
        subject = subject_resolve(subject_type=subject_type, subject_id=subject_id, viewer=user)
    except (ObjectDoesNotExist, ValidationError):
        raise Http404 from None
    form = ReportForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                report_create(
                    reporter=user, subject_type=subject_type, subject_id=subject_id,
                    reason=form.cleaned_data["reason"], text=form.cleaned_data["text"],
                )
            except ValidationError as exc:
                form.add_error(None, _error_text(exc))
            except SubjectNotFound:
                raise Http404 from None
            else:
                messages.success(request, _("Thank you: your report was sent to our moderators."))
                return redirect("moderation:my_reports")
        status = 400
    elif request.method != "GET":
        return HttpResponse(status=405)
    return render(
        request, "moderation/report.html",
        {"form": form, "subject": subject, "subject_type": subject_type, "subject_id": subject_id}, status=status,
    )


@login_required
@require_safe
def my_reports(request: HttpRequest) -> HttpResponse:
    """The reports the person made, with what became of them."""
    return render(request, "moderation/my_reports.html", {"reports": list(reports_of(user=signed_in(request)))})


@login_required
@require_safe
def appeals(request: HttpRequest) -> HttpResponse:
    """The decisions against what the person posted, and their appeals."""
    cases = list(appealable_cases_of(user=signed_in(request)))
    rows = [
        {"case": c, "appeal": next(iter(c.appeals.all()), None), "form": AppealForm(auto_id=f"id_appeal_{c.pk}_%s")}
        for c in cases
    ]
    return render(request, "moderation/appeals.html", {"rows": rows})


@login_required
@require_POST
def appeal(request: HttpRequest, case_id: int) -> HttpResponse:
    """Appeal, once, a decision against something the person posted."""
    user = signed_in(request)
    case = case_of_owner(case_id=case_id, user=user)
    if case is None:
        raise Http404
    form = AppealForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
        return redirect("moderation:appeals")
    try:
        appeal_create(user=user, message=form.cleaned_data["message"], case=case)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    except ObjectDoesNotExist:
        raise Http404 from None
    else:
        messages.success(request, _("Your appeal was sent. A moderator will look at it."))
    return redirect("moderation:appeals")
