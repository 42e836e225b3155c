"""Web pages of cameo, under /cameo/: one's cameo (make it, verify it, set who may use it,
delete it), every video that uses one's likeness, and the permission-checked likeness media.

Each action is a POST that calls one service. A form that fails comes back on the page with
its errors; an action without a form redirects back with a message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from accounts.viewers import signed_in
from config.media import private_file_response
from moderation.services import is_moderator

from .forms import BaseForm, CameoCreateForm, ClipForm, GrantForm, RulesForm
from .models import Appearance, Cameo
from .selectors import appearance_get, appearances_of, cameo_of, photo_get
from .services import (
    appearance_approve,
    appearance_remove,
    cameo_create,
    cameo_delete,
    cameo_rules_update,
    challenge_expires_at,
    challenge_issue,
    challenge_text,
    grant_add,
    grant_remove,
    verification_submit,
)


def _may_see(request: HttpRequest, cameo: Cameo) -> bool:
    user = signed_in(request)
    return user.pk == cameo.owner_id or is_moderator(user)


@login_required
@require_safe
def photo(request: HttpRequest, photo_id: int) -> HttpResponseBase:
    """A reference photo, to the cameo's owner and to moderators; 404 for everyone else."""
    found = photo_get(photo_id=photo_id)
    if found is None or not _may_see(request, found.cameo):
        raise Http404
    return private_file_response(request, found.image)


@login_required
@require_safe
def clip(request: HttpRequest, cameo_id: int) -> HttpResponseBase:
    """The verification clip, to the cameo's owner and to moderators; 404 for everyone else."""
    cameo = get_object_or_404(Cameo, pk=cameo_id)
    if not _may_see(request, cameo):
        raise Http404
    return private_file_response(request, cameo.clip)


# --- Helpers ---------------------------------------------------------------------------------

APPEARANCES_PAGE_SIZE = 30

# What the feed and generation did to a video when consent went (the signals' answers).
OUTCOME_WORDS = {
    "cancelled": gettext_lazy("render cancelled"),
    "unpublished": gettext_lazy("post unpublished"),
    "withheld": gettext_lazy("post kept out of the feed"),
    "remixes_unpublished": gettext_lazy("remixes unpublished"),
    "draft_deleted": gettext_lazy("draft deleted"),
}


def _own_cameo(request: HttpRequest) -> Cameo:
    cameo = cameo_of(signed_in(request))
    if cameo is None:
        raise Http404
    return cameo


def _own_appearance(request: HttpRequest, appearance_id: int) -> Appearance:
    appearance = appearance_get(appearance_id=appearance_id, owner=signed_in(request))
    if appearance is None:
        raise Http404
    return appearance


def _error_text(exc: ValidationError) -> str:
    return " ".join(str(message) for message in exc.messages)


def _taken_down(request: HttpRequest, count: int) -> None:
    """Say how many videos with the person lost their consent and were taken down."""
    if count:
        messages.warning(
            request,
            ngettext(
                "%(n)d video with you was taken down: its maker no longer has your consent.",
                "%(n)d videos with you were taken down: their makers no longer have your consent.",
                count,
            )
            % {"n": count},
        )


def _home(request: HttpRequest, **forms: BaseForm) -> HttpResponse:
    """Render the cameo page; `forms` replace the blank forms (bound, with their errors)."""
    user = signed_in(request)
    cameo = cameo_of(user)
    context: dict[str, Any] = {"cameo": cameo, "minimum_age": settings.CAMEO_MINIMUM_AGE}
    if cameo is None:
        context["create_form"] = forms.get("create_form") or CameoCreateForm()
    else:
        expires = challenge_expires_at(cameo)
        context.update(
            photos=list(cameo.photos.all()),
            grants=list(cameo.grants.select_related("user").order_by("user__handle")),
            challenge=challenge_text(cameo),
            challenge_expires=expires,
            challenge_expired=expires is None or expires < timezone.now(),
            clip_form=forms.get("clip_form") or ClipForm(),
            rules_form=forms.get("rules_form")
            or RulesForm(
                initial={
                    "audience": cameo.audience,
                    "limits": cameo.limits,
                    "approve_each_use": cameo.approve_each_use,
                }
            ),
            grant_form=forms.get("grant_form") or GrantForm(),
            awaiting=appearances_of(owner=user)
            .filter(state=Appearance.State.AWAITING_APPROVAL)
            .count(),
        )
    return render(request, "cameo/home.html", context)


@dataclass(frozen=True)
class AppearanceRow:
    """One use of the person's likeness as their appearances page shows it."""

    appearance: Appearance
    status: str
    playable: bool
    post_url: str


def _status_text(appearance: Appearance) -> str:
    """Return the state of a use in words: "Consent withdrawn (approval revoked): post unpublished"."""
    text = appearance.get_state_display()
    if appearance.reason and appearance.state != Appearance.State.REMOVED:
        text = _("%(state)s (%(reason)s)") % {
            "state": text,
            "reason": appearance.get_reason_display(),
        }
    done = [
        str(OUTCOME_WORDS.get(word, word.replace("_", " "))) for word in appearance.outcome or []
    ]
    if done:
        text = _("%(state)s: %(outcome)s") % {"state": text, "outcome": ", ".join(done)}
    return text


def _row(appearance: Appearance) -> AppearanceRow:
    outcome = set(appearance.outcome or [])
    playable = appearance.state != Appearance.State.REMOVED and not outcome & {
        "cancelled",
        "draft_deleted",
    }
    post_url = ""
    if appearance.post_id and appearance.is_live:
        post_url = reverse("feed:post", kwargs={"post_id": appearance.post_id})
    return AppearanceRow(
        appearance=appearance, status=_status_text(appearance), playable=playable, post_url=post_url
    )


# --- Pages -----------------------------------------------------------------------------------


@login_required
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """One's cameo: make it, verify it, say who may use it and on what terms, or delete it."""
    return _home(request)


@login_required
@require_safe
def appearances(request: HttpRequest) -> HttpResponse:
    """Every video that uses one's likeness, drafts of others included, newest first."""
    user = signed_in(request)
    page = Paginator(appearances_of(owner=user), APPEARANCES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "cameo/appearances.html",
        {
            "page": page,
            "rows": [_row(appearance) for appearance in page.object_list],
            "cameo": cameo_of(user),
        },
    )


# --- Actions ---------------------------------------------------------------------------------


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    """Make one's cameo from photos of one's face."""
    form = CameoCreateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            cameo_create(owner=signed_in(request), photos=form.cleaned_data["photos"])
        except ValidationError as exc:
            form.service_errors_add(exc)
        else:
            messages.success(
                request, _("Your cameo is made. Now record the challenge to prove it is you.")
            )
            return redirect("cameo:home")
    return _home(request, create_form=form)


@login_required
@require_POST
def challenge(request: HttpRequest) -> HttpResponse:
    """Give a fresh challenge to record."""
    try:
        challenge_issue(cameo=_own_cameo(request), user=signed_in(request))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(request, _("Here is a new challenge."))
    return redirect("cameo:home")


@login_required
@require_POST
def verify(request: HttpRequest) -> HttpResponse:
    """Send the recorded challenge: checked at once, then by a moderator."""
    cameo = _own_cameo(request)
    form = ClipForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            cameo = verification_submit(cameo=cameo, user=signed_in(request), clip=form.cleaned_data["clip"])
        except ValidationError as exc:
            form.service_errors_add(exc)
        else:
            refused = (cameo.clip_checks or {}).get("refused")
            if refused:  # checked at once (CAMEO_CLIP_CHECK_INLINE) and refused
                form.add_error("clip", refused)
                return _home(request, clip_form=form)
            if cameo.state == Cameo.State.CHECKING:
                messages.success(request, _("Thank you: your clip is being checked. It takes a few seconds."))
            else:
                messages.success(
                    request, _("Thank you: a moderator checks your clip and you will be notified.")
                )
            return redirect("cameo:home")
    return _home(request, clip_form=form)


@login_required
@require_POST
def rules(request: HttpRequest) -> HttpResponse:
    """Change who may use the cameo and on what terms; uses that lose consent are taken down."""
    cameo = _own_cameo(request)
    form = RulesForm(request.POST)
    if form.is_valid():
        try:
            updated = cameo_rules_update(
                cameo=cameo,
                user=signed_in(request),
                audience=form.cleaned_data["audience"],
                limits=form.cleaned_data["limits"],
                approve_each_use=form.cleaned_data["approve_each_use"],
            )
        except ValidationError as exc:
            form.service_errors_add(exc)
        else:
            messages.success(request, _("Your rules are saved."))
            _taken_down(request, len(updated.withdrawn))
            return redirect("cameo:home")
    return _home(request, rules_form=form)


@login_required
@require_POST
def grant_add_view(request: HttpRequest) -> HttpResponse:
    """Approve someone, by handle, to use the cameo."""
    cameo = _own_cameo(request)
    form = GrantForm(request.POST)
    if form.is_valid():
        try:
            grant = grant_add(cameo=cameo, user=signed_in(request), handle=form.cleaned_data["handle"])
        except ValidationError as exc:
            form.service_errors_add(exc)
        else:
            messages.success(
                request, _("@%(handle)s may now use your cameo.") % {"handle": grant.user.handle}
            )
            if cameo.audience != Cameo.Audience.APPROVED:
                messages.info(
                    request,
                    _(
                        "Your cameo is not set to “People I approve”: change who may use it "
                        "for the list to count."
                    ),
                )
            return redirect("cameo:home")
    return _home(request, grant_form=form)


@login_required
@require_POST
def grant_remove_view(request: HttpRequest) -> HttpResponse:
    """Revoke someone's approval: their videos with the cameo are taken down at once."""
    cameo = _own_cameo(request)
    handle = request.POST.get("handle", "")
    try:
        withdrawn = grant_remove(cameo=cameo, user=signed_in(request), handle=handle)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            _("@%(handle)s may no longer use your cameo.") % {"handle": handle.strip().lstrip("@")},
        )
        _taken_down(request, len(withdrawn))
    return redirect("cameo:home")


@login_required
@require_POST
def delete(request: HttpRequest) -> HttpResponse:
    """Delete the cameo, its photos and clip; every video with it made by someone else is taken down."""
    withdrawn = cameo_delete(cameo=_own_cameo(request), user=signed_in(request))
    messages.success(request, _("Your cameo, its photos and its clip are deleted."))
    _taken_down(request, len(withdrawn))
    return redirect("cameo:home")


@login_required
@require_POST
def appearance_approve_view(request: HttpRequest, appearance_id: int) -> HttpResponse:
    """Approve one video waiting for the person in it: its maker can post it."""
    appearance = _own_appearance(request, appearance_id)
    try:
        appearance_approve(appearance=appearance, user=signed_in(request))
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        messages.success(
            request,
            _("Approved: @%(handle)s can post this video.") % {"handle": appearance.user.handle},
        )
    return redirect("cameo:appearances")


@login_required
@require_POST
def appearance_remove_view(request: HttpRequest, appearance_id: int) -> HttpResponse:
    """Take down a video that shows the person, whoever made it."""
    appearance = _own_appearance(request, appearance_id)
    appearance_remove(appearance=appearance, user=signed_in(request), note=request.POST.get("note", ""))
    messages.success(request, _("The video is taken down for everyone."))
    return redirect("cameo:appearances")
