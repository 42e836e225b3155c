"""Posting a draft from its job page: the one web view where the feed meets generation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.viewers import signed_in
from generation.selectors import draft_get

from .gate import post_from_draft


@login_required
@require_POST
def draft_post(request: HttpRequest, job_id: int) -> HttpResponse:
    """Post one's draft with a caption; it is published, or waits for a moderator."""
    user = signed_in(request)
    if draft_get(job_id=job_id, owner=user) is None:
        raise Http404
    try:
        post = post_from_draft(author=user, job_id=job_id, caption=request.POST.get("caption", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(str(message) for message in exc.messages))
        return redirect(reverse("generation:job", args=[job_id]) + "#post-draft")
    if post.is_published:
        messages.success(request, _("Your video is published."))
    else:
        messages.info(request, _("Your video is waiting for a moderator’s review; it appears in the feed once approved."))
    return redirect(post.get_absolute_url())
