"""Who may use a cameo, and for what: the rules read at every use.

Consent is checked when a prompt is submitted (`consent_check`), again when its video is
posted (`consent_for_post`), and whenever the owner changes a rule (`cameo.services`
withdraws the uses that lost it). These functions only read; recording a use and taking
consent back are writes, in `cameo.services`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.selectors import are_mutuals, blocked_between

from .limits import limits_crossed
from .models import Appearance, Cameo, CameoGrant

# "@alice", "@bob.smith": a handle after an @ that does not follow a word character.
MENTION_RE = re.compile(r"(?<![\w@.])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)")


class ConsentRefused(ValidationError):
    """A prompt names a cameo whose owner has not said yes: the message names whose and why."""


def mentions_in(*texts: str) -> list[str]:
    """Return the handles mentioned in `texts`, lower-cased, once each, in order."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in MENTION_RE.finditer(text or ""):
            seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def audience_allows(cameo: Cameo, user: User) -> bool:
    """Return whether `cameo`'s audience includes `user` (a block, either way, excludes them)."""
    if cameo.audience == Cameo.Audience.ONLY_ME or blocked_between(a_id=cameo.owner_id, b_id=user.pk):
        return False
    if cameo.audience == Cameo.Audience.EVERYONE:
        return True
    if CameoGrant.objects.filter(cameo=cameo, user=user).exists():
        return True
    return cameo.audience == Cameo.Audience.MUTUALS and are_mutuals(a_id=cameo.owner_id, b_id=user.pk)


@dataclass(frozen=True)
class Refusal:
    reason: str  # "deleted", "not_verified", "not_allowed", "limits"
    message: str


def consent_refusal(*, cameo: Cameo | None, user: User, prompt: str, handle: str = "") -> Refusal | None:
    """Return why `user` may not use `cameo` for `prompt`, or None if they may."""
    handle = cameo.owner.handle if cameo is not None else handle
    if cameo is None:
        return Refusal("deleted", _("@%(handle)s has no cameo.") % {"handle": handle})
    if cameo.owner_id == user.pk:
        return None
    if not cameo.is_verified:
        return Refusal("not_verified", _("@%(handle)s's cameo is not verified yet.") % {"handle": handle})
    if not audience_allows(cameo, user):
        return Refusal("not_allowed", _("@%(handle)s has not allowed you to use their cameo.") % {"handle": handle})
    crossed = limits_crossed(cameo.limits, prompt)
    if crossed:
        return Refusal("limits", _("@%(handle)s does not allow this: “%(limit)s”.") % {
            "handle": handle, "limit": crossed[0]})
    return None


@dataclass(frozen=True)
class Uses:
    """The cameos a request may use, and the words their limits were checked against."""

    cameos: list[Cameo]
    prompt: str


def consent_check(*, user: User, prompts: Iterable[str], inherited_job_ids: Iterable[int] = ()) -> Uses:
    """Return the cameos a request uses, once each: those its prompts mention and those in the
    videos it starts from. Raises ConsentRefused naming every cameo whose consent is missing.

    A remix or an extension shows what its source showed: the limits are checked against the
    source's prompt as well as the new one.
    """
    prompts = [p for p in prompts if p]
    inherited = list(
        Appearance.objects.filter(job_id__in=list(inherited_job_ids)).select_related("cameo__owner", "owner")
    )
    prompt = "\n".join(dict.fromkeys([*prompts, *(a.prompt for a in inherited if a.prompt)]))
    handles = mentions_in(*prompts)
    problems: list[str] = []
    cameos: dict[int, Cameo] = {}
    if handles:
        people = {u.handle.lower(): u for u in User.objects.filter(
            Q(handle__iregex=r"^(" + "|".join(re.escape(h) for h in handles) + r")$"), is_active=True)}
        found = {c.owner_id: c for c in Cameo.objects.filter(owner__in=people.values()).select_related("owner")}
        for handle in handles:
            person = people.get(handle)
            if person is None:
                problems.append(_("No one has the handle @%(handle)s.") % {"handle": handle})
                continue
            cameo = found.get(person.pk)
            refusal = consent_refusal(cameo=cameo, user=user, prompt=prompt, handle=person.handle)
            if refusal is not None:
                problems.append(refusal.message)
            elif cameo is not None:
                cameos[cameo.pk] = cameo
    for appearance in inherited:
        if appearance.cameo_id in cameos:
            continue
        refusal = consent_refusal(cameo=appearance.cameo, user=user, prompt=prompt, handle=appearance.owner.handle)
        if refusal is not None:
            problems.append(refusal.message)
        elif appearance.cameo is not None:
            cameos[appearance.cameo.pk] = appearance.cameo
    if problems:
        raise ConsentRefused({"prompt": list(dict.fromkeys(problems))}, code="consent")
    return Uses(cameos=list(cameos.values()), prompt=prompt)


def consent_for_post(*, job_id: int, user: User) -> list[Appearance]:
    """Check, at the moment of posting, that every cameo in job `job_id` still consents.

    Returns the job's appearances; raises ValidationError on "draft" naming whose consent is missing.
    """
    appearances = list(Appearance.objects.filter(job_id=job_id).select_related("cameo__owner", "owner"))
    problems = []
    for appearance in appearances:
        handle = appearance.owner.handle
        if appearance.state == Appearance.State.AWAITING_APPROVAL:
            problems.append(_("@%(handle)s has not approved this video yet.") % {"handle": handle})
        elif not appearance.is_live:
            problems.append(_("@%(handle)s withdrew their consent for this video.") % {"handle": handle})
        else:
            refusal = consent_refusal(cameo=appearance.cameo, user=user, prompt=appearance.prompt, handle=handle)
            if refusal is not None:
                problems.append(refusal.message)
    if problems:
        raise ValidationError({"draft": problems}, code="consent")
    return appearances


def post_has_consent(*, job_id: int | None, user: User) -> bool:
    """Return whether every cameo in job `job_id` consents to `user` showing it now."""
    if job_id is None:
        return True
    try:
        consent_for_post(job_id=job_id, user=user)
    except ValidationError:
        return False
    return True
