"""Web pages of generation: the create form, a job's live page, one's drafts, and the
permission-checked files of a draft."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.viewers import signed_in
from cameo.selectors import shows_viewer
from config.media import private_file_response
from moderation.services import is_moderator

from . import services
from .forms import DEFAULT_DURATION, JobCreateForm, ShotCard, shot_cards
from .models import GenerationJob
from .progress import job_snapshot, job_status
from .selectors import draft_get, job_get, jobs_of, post_source_get, quota_get
from .submission import job_check

Mode = GenerationJob.Mode
State = GenerationJob.State

DRAFTS_PAGE_SIZE = 60
# How many of one's drafts the "Extend" tab offers to continue.
EXTEND_CHOICES = 30


# --- Progress in words -----------------------------------------------------------------------


def phase_label(status: Mapping[str, Any]) -> str:
    """Return a job's progress in words: "Queued — 2 ahead", "Rendering step 3 of 8", "Ready"."""
    state, phase = status.get("state"), status.get("phase") or ""
    if state == State.HELD:
        return _("Waiting for a moderator to check the prompt")
    if state == State.QUEUED:
        ahead = int(status.get("queue_position") or 0)
        if ahead <= 0:
            return _("Queued — next in line")
        return _("Queued — %(n)s ahead") % {"n": ahead}
    finished = {
        State.READY: _("Ready"), State.FAILED: _("Failed"),
        State.BLOCKED: _("Blocked"), State.CANCELLED: _("Cancelled"),
    }
    if state in finished:
        return finished[state]
    if phase == "rendering" and status.get("step_total"):
        return _("Rendering step %(step)s of %(total)s") % {
            "step": max(1, int(status.get("step") or 0)), "total": status["step_total"],
        }
    return {
        "starting": _("Starting"), "rendering": _("Rendering"), "decoding": _("Decoding"),
        "encoding": _("Encoding"), "checking": _("Checking"),
    }.get(phase) or _("Working")


# --- Helpers ---------------------------------------------------------------------------------


def _own_job(request: HttpRequest, job_id: int) -> GenerationJob:
    job = job_get(job_id=job_id, viewer=request.user)
    if job is None:
        raise Http404
    return job


def _error_text(exc: ValidationError | PermissionDenied) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(str(message) for message in exc.messages)
    return str(exc) or _("This is not allowed.")


def _remix_source(post_id: Any, viewer) -> dict[str, Any] | None:
    """Return what the create page shows of the post a remix starts from, if `viewer` may see it."""
    if post_id in (None, ""):
        return None
    try:
        source = post_source_get(post_id=post_id, viewer=viewer)
    except ValidationError:
        return None
    poster_name = getattr(source, "poster_name", "")
    try:
        post_url = reverse("feed:post", kwargs={"post_id": source.post_id})
    except NoReverseMatch:
        post_url = ""
    return {
        "post_id": source.post_id,
        "author": source.author,
        "video_url": default_storage.url(source.video_name),
        "poster_url": default_storage.url(poster_name) if poster_name else "",
        "post_url": post_url,
    }


def _initial_from_query(request: HttpRequest) -> tuple[dict[str, Any], list[ShotCard], list[str]]:
    """Return the create form's starting values from the address: a remix, an extension, a
    job whose settings (and seed) to reuse, or just a mode."""
    query = request.GET
    initial: dict[str, Any] = {}
    cards: list[ShotCard] = []
    notes: list[str] = []
    if query.get("mode") in Mode.values:
        initial["mode"] = query["mode"]
    reuse = job_get(job_id=query.get("reuse"), viewer=request.user) if query.get("reuse") else None
    if reuse is not None:
        initial.update(
            mode=reuse.mode, prompt=reuse.prompt, duration=reuse.duration, aspect_ratio=reuse.aspect_ratio,
            tier=reuse.tier, style=reuse.style, seed=str(reuse.seed), negative_prompt=reuse.negative_prompt,
            source_post=reuse.source_post_id, source_job=reuse.source_job_id,
        )
        cards = shot_cards(shots=reuse.shots or [])
        if reuse.mode == Mode.IMAGE:
            notes.append(_("Choose the photo again: photos are not kept with the settings."))
    if query.get("remix"):
        initial.update(mode=Mode.REMIX, source_post=query["remix"])
    if query.get("extend"):
        initial.update(mode=Mode.EXTEND, source_job=query["extend"])
    if query.get("seed", "").isdigit():
        initial["seed"] = query["seed"]
    return initial, cards, notes


def _edit_cards(cards: list[ShotCard], action: str) -> list[ShotCard]:
    """Add a card, or remove card N ("remove-N"), as the page's buttons ask without a script."""
    if action == "add" and len(cards) < settings.GENERATION_MAX_SHOTS:
        cards.append(ShotCard())
    elif action.startswith("remove-") and action[7:].isdigit():
        index = int(action[7:])
        if 0 <= index < len(cards) and len(cards) > 2:
            del cards[index]
    return cards


def _submit(request: HttpRequest, form: JobCreateForm, cards: list[ShotCard]) -> GenerationJob:
    data = form.cleaned_data
    mode = data["mode"]
    return services.job_create(request=job_check(
        owner=signed_in(request),
        prompt=data["prompt"],
        mode=mode,
        duration=data["duration"] if data["duration"] is not None else DEFAULT_DURATION,
        aspect_ratio=data["aspect_ratio"],
        tier=data["tier"],
        style=data["style"],
        seed=(data["seed"] or "").strip() or None,
        negative_prompt=data["negative_prompt"],
        image=data["image"] if mode == Mode.IMAGE else None,
        source_post_id=data["source_post"] if mode == Mode.REMIX else None,
        source_job_id=data["source_job"] if mode == Mode.EXTEND else None,
        shots=[card.as_shot() for card in cards] if mode == Mode.STORYBOARD else None,
    ))




def _viewable_job(request: HttpRequest, job_id: int) -> GenerationJob:
    """Return the job if the viewer owns it, appears in it or reviews content; 404 for everyone else."""
    job = job_get(job_id=job_id, viewer=request.user)
    if job is not None and job.state != GenerationJob.State.READY and not is_moderator(request.user):
        job = None  # a blocked output is kept for the moderators who review its appeal, not shown
    if job is None and is_moderator(request.user):
        job = GenerationJob.objects.filter(pk=job_id).first()
    if job is None and shows_viewer(job_id=job_id, viewer=request.user):
        # The person in a video may watch it, whoever made it (their appearances page).
        job = GenerationJob.objects.filter(pk=job_id, state=GenerationJob.State.READY).first()
    if job is None:
        raise Http404
    return job


# --- Pages -----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def create(request: HttpRequest) -> HttpResponse:
    """The create form: a prompt and its settings, or a photo, a remix, an extension, a storyboard."""
    drafts = list(jobs_of(owner=signed_in(request), states=[State.READY], limit=EXTEND_CHOICES))
    shot_errors: dict[int, list[str]] = {}
    notes: list[str] = []
    if request.method == "POST":
        data: Mapping[str, Any] = request.POST
        initial: dict[str, Any] = {}
        cards = shot_cards(request.POST)
    else:
        initial, cards, notes = _initial_from_query(request)
        data = initial
        cards = cards or shot_cards()
    extend = draft_get(job_id=data.get("source_job"), owner=signed_in(request)) if data.get("source_job") else None
    if extend is not None and all(draft.pk != extend.pk for draft in drafts):
        drafts.append(extend)  # older than the list goes back, chosen from its own page
    if request.method == "POST":
        form = JobCreateForm(request.POST, request.FILES, drafts=drafts)
        action = request.POST.get("shot_action", "")
        if action:
            cards = _edit_cards(cards, action)
        elif form.is_valid():
            try:
                job = _submit(request, form, cards)
            except ValidationError as exc:
                shot_errors = form.add_service_errors(exc)
            else:
                if job.state == State.HELD:
                    messages.info(request, _("Your prompt needs a moderator’s check first; the video "
                                             "starts as soon as it is approved."))
                else:
                    messages.success(request, _("Your video is on its way."))
                return redirect(job.get_absolute_url())
    else:
        form = JobCreateForm(initial=initial, drafts=drafts)

    for index, card in enumerate(cards):
        card.errors = shot_errors.get(index, [])
    remix = _remix_source(data.get("source_post"), signed_in(request))
    if remix is None and request.method == "GET" and request.GET.get("remix"):
        notes.append(_("This video does not exist or you cannot remix it."))
    if request.FILES.get("image") and form.errors:
        notes.append(_("Choose the photo again: a browser does not keep it when the page comes back."))
    quota = quota_get(signed_in(request))
    return render(
        request,
        "generation/create.html",
        {
            "form": form,
            "cards": cards,
            "max_shots": settings.GENERATION_MAX_SHOTS,
            "max_duration": int(settings.GENERATION_MAX_DURATION),
            "prompt_limit": settings.GENERATION_PROMPT_MAX_LENGTH,
            "remix": remix,
            "extend": extend,
            "has_drafts": bool(drafts),
            "quota": quota,
            "notes": notes,
        },
    )


@login_required
@require_safe
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    """One job: its live progress, then the draft with what one can do with it."""
    job = _own_job(request, job_id)
    status = job_status(job)
    provenance = job.provenance or {}
    return render(
        request,
        "generation/job.html",
        {
            "job": job,
            "status": status,
            "phase_text": _("Cancelling…") if job.cancel_requested and not job.is_finished else phase_label(status),
            "percent": round(100 * float(status["progress"] or 0)),
            "in_progress": not job.is_finished,
            "can_cancel": not job.is_finished and not job.cancel_requested,
            "socket_path": f"/ws/generation/jobs/{job.pk}/",
            "c2pa_signed": bool(provenance.get("c2pa")),
            "caption_limit": settings.CAPTION_MAX_LENGTH,
        },
    )


@require_safe
def job_status_view(request: HttpRequest, job_id: int) -> JsonResponse:
    """The job's progress as JSON: the page's fallback when its websocket fails."""
    response = JsonResponse(job_status(_own_job(request, job_id)))
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_safe
def drafts(request: HttpRequest) -> HttpResponse:
    """One's jobs, newest first: drafts with their posters, the others with their state."""
    jobs = list(jobs_of(owner=signed_in(request), limit=DRAFTS_PAGE_SIZE))
    rows = [{"job": job, "label": phase_label({**job_snapshot(job), "queue_position": 0})} for job in jobs]
    return render(request, "generation/drafts.html", {"rows": rows, "quota": quota_get(signed_in(request))})


@require_safe
def job_video(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """The draft's video, to its owner and to moderators; `?download=1` saves it as a file."""
    job = _viewable_job(request, job_id)
    download = f"reel-{job.pk}.mp4" if request.GET.get("download") else None
    return private_file_response(request, job.video, download_name=download)


@require_safe
def job_poster(request: HttpRequest, job_id: int) -> HttpResponseBase:
    """The draft's poster image, to its owner and to moderators."""
    return private_file_response(request, _viewable_job(request, job_id).poster)


# --- Actions ---------------------------------------------------------------------------------


@login_required
@require_POST
def job_cancel_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """Cancel a job that has not finished; a running one stops at its next step."""
    job = _own_job(request, job_id)
    try:
        job = services.job_cancel(job=job, user=signed_in(request))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
    else:
        if job.state == State.CANCELLED:
            messages.success(request, _("Cancelled. This video does not count against your daily allowance."))
        else:
            messages.info(request, _("Stopping after the current step…"))
    return redirect(job.get_absolute_url())


@login_required
@require_POST
def job_delete_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """Delete a draft's files (cancelling the job first if it still runs)."""
    job = _own_job(request, job_id)
    try:
        services.draft_delete(job=job, user=signed_in(request))
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
        return redirect(job.get_absolute_url())
    messages.success(request, _("Draft deleted."))
    return redirect("generation:drafts")


@login_required
@require_POST
def job_regenerate_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """Make the video again, with the same seed or a new one."""
    job = _own_job(request, job_id)
    seed_mode = request.POST.get("seed_mode", "same")
    if seed_mode not in ("same", "new"):
        messages.error(request, _("Choose the same seed or a new one."))
        return redirect(job.get_absolute_url())
    try:
        new_job = services.job_regenerate(job=job, user=signed_in(request), new_seed=seed_mode == "new")
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _error_text(exc))
        return redirect(job.get_absolute_url())
    messages.success(request, _("Your video is on its way."))
    return redirect(new_job.get_absolute_url())
