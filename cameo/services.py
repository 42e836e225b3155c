"""Writes in cameo: make and verify a likeness, record each use, change who may use it, and
take consent back.

The rules themselves are read in `cameo.consent`, faces are compared in `cameo.likeness`.
Every change of a rule withdraws at once the uses that lost consent (`consent_enforce`), in
the same transaction; generation and the feed, told by signal, cancel the jobs and
unpublish the posts.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Notification, User
from accounts.selectors import blocked_between
from accounts.services import notification_create
from accounts.validators import age_on
from config.files import files_delete_on_commit, stored
from moderation.enums import CaseKind
from moderation.media import MediaContext, media_check
from moderation.services import audit_record, case_open

from .consent import consent_refusal
from .likeness import (
    clip_faces_check,
    clip_frames,
    clip_store,
    likeness_refuse,
    photo_clean,
    photos_same_person,
)
from .limits import MAX_LENGTH as LIMITS_MAX_LENGTH
from .limits import MAX_LINES as LIMITS_MAX_LINES
from .models import Appearance, Cameo, CameoGrant, CameoPhoto
from .signals import consent_withdrawn, likeness_removed

# --- Helpers


def _owner_check(cameo: Cameo, user: User) -> None:
    if cameo.owner_id != user.pk:
        raise PermissionDenied(_("Only the owner of this cameo can do this."))


def _adult_check(user: User) -> None:
    minimum = settings.CAMEO_MINIMUM_AGE
    if user.date_of_birth is None:
        raise ValidationError(
            {"date_of_birth": [_("Add your date of birth to your profile first: cameos are for people "
                                 "aged %(age)d or over.") % {"age": minimum}]},
            code="no_birth_date",
        )
    if age_on(user.date_of_birth, timezone.localdate()) < minimum:
        raise ValidationError(
            {"date_of_birth": [_("Cameos are for people aged %(age)d or over.") % {"age": minimum}]},
            code="minor",
        )


# --- Making a cameo


def cameo_create(*, owner: User, photos: Sequence[Any]) -> Cameo:
    """Make `owner`'s cameo from photos of their face; it waits for a verification clip.

    Raises ValidationError for an account under CAMEO_MINIMUM_AGE, a second cameo, no or too
    many photos, a bad photo, or photos that do not all show the same person.
    """
    _adult_check(owner)
    if Cameo.objects.filter(owner=owner).exists():
        raise ValidationError({"photos": [_("You already have a cameo. Delete it to start again.")]}, code="exists")
    photos = [p for p in photos if p]
    if not photos:
        raise ValidationError({"photos": [_("Add at least one photo of your face.")]}, code="required")
    if len(photos) > settings.CAMEO_MAX_PHOTOS:
        raise ValidationError(
            {"photos": [_("Add at most %(n)d photos.") % {"n": settings.CAMEO_MAX_PHOTOS}]}, code="too_many"
        )
    cleaned = [photo_clean(photo, owner=owner) for photo in photos]
    mean = np.mean([np.asarray(c.vector) for c in cleaned], axis=0)
    if not photos_same_person(cleaned):
        raise ValidationError({"photos": [_("These photos do not all show the same person.")]}, code="mismatch")
    with transaction.atomic():
        cameo = Cameo.objects.create(owner=owner, reference_vector=[round(float(x), 6) for x in mean])
        for clean in cleaned:
            photo = CameoPhoto(cameo=cameo, vector=clean.vector)
            photo.image.save("photo.png", clean.file, save=False)
            photo.save()
        challenge_renew(cameo)
        cameo.save()
    return cameo


# --- Verification


def challenge_renew(cameo: Cameo) -> None:
    """Give `cameo` a new challenge in memory (the caller saves it)."""
    cameo.challenge_digits = "".join(str(secrets.randbelow(10)) for _ in range(4))
    cameo.challenge_move = secrets.choice(Cameo.Move.values)
    cameo.challenge_issued_at = timezone.now()


def challenge_issue(*, cameo: Cameo, user: User) -> Cameo:
    """Give the owner a fresh challenge to record: four digits to say and a head movement."""
    _owner_check(cameo, user)
    if cameo.state in (Cameo.State.VERIFIED, Cameo.State.IN_REVIEW):
        raise ValidationError({"clip": [_("This cameo is already verified or waiting for a moderator.")]},
                              code="state")
    challenge_renew(cameo)
    cameo.save(update_fields=["challenge_digits", "challenge_move", "challenge_issued_at", "updated_at"])
    return cameo


def challenge_text(cameo: Cameo) -> str:
    """Return what the owner must do on camera."""
    if not cameo.challenge_digits:
        return ""
    return _("Look at the camera, say %(digits)s out loud, then %(move)s.") % {
        "digits": " ".join(cameo.challenge_digits), "move": cameo.get_challenge_move_display(),
    }


def challenge_expires_at(cameo: Cameo) -> dt.datetime | None:
    if cameo.challenge_issued_at is None:
        return None
    return cameo.challenge_issued_at + dt.timedelta(minutes=settings.CAMEO_CHALLENGE_MINUTES)


def verification_submit(*, cameo: Cameo, user: User, clip: Any) -> Cameo:
    """Keep the owner's challenge clip and have the worker check it (`verification_check`).

    Quick checks answer at once (the challenge still valid, the file a clip of the right
    size, container and pixels) and keep nothing when they fail. Decoding the clip and
    looking at its faces is the heavy part: it runs off the request, on the worker, with a
    time limit, and the cameo waits in `checking` until it is done.
    """
    _owner_check(cameo, user)
    if cameo.state in (Cameo.State.VERIFIED, Cameo.State.IN_REVIEW, Cameo.State.CHECKING):
        raise ValidationError({"clip": [_("This cameo is already verified or waiting for a moderator.")]},
                              code="state")
    expires = challenge_expires_at(cameo)
    if expires is None or expires < timezone.now():
        raise ValidationError({"clip": [_("The challenge has expired: ask for a new one, then record it.")]},
                              code="expired")
    kept = clip_store(clip)
    with transaction.atomic():
        old = stored(cameo.clip)
        cameo.clip.save(kept.name or "clip.mp4", kept, save=False)
        cameo.clip_checks = {
            "challenge": challenge_text(cameo), "digits": cameo.challenge_digits, "move": cameo.challenge_move,
        }
        cameo.state = Cameo.State.CHECKING
        cameo.save()
        files_delete_on_commit(old)
        cameo_id = cameo.pk
        if not settings.CAMEO_CLIP_CHECK_INLINE:
            transaction.on_commit(lambda: _verification_check_send(cameo_id), robust=True)
    if settings.CAMEO_CLIP_CHECK_INLINE:
        return verification_check(cameo_id=cameo_id) or cameo
    return cameo


def _verification_check_send(cameo_id: int) -> None:
    from .tasks import verification_check_task

    verification_check_task.delay(cameo_id)


def verification_check(*, cameo_id: int) -> Cameo | None:
    """Check a clip that waits in `checking`: one face in most frames, the person of the
    photos, nothing the policy refuses. Passed, the cameo goes to a moderator with a case;
    refused, the clip is deleted and the owner told why, to record it again."""
    cameo = Cameo.objects.filter(pk=cameo_id).select_related("owner").first()
    if cameo is None or cameo.state != Cameo.State.CHECKING or not cameo.clip:
        return cameo
    with cameo.clip.open("rb") as handle:
        data = handle.read()
    try:
        frames = clip_frames(data)
        verdict = media_check(
            frames=frames,
            context=MediaContext(source="likeness", subject=f"cameo.cameo:{cameo.pk}", user_id=cameo.owner_id),
        )
        likeness_refuse(verdict, what=_("This clip"), field="clip")
        measured = clip_faces_check(frames, reference=cameo.reference_vector)
    except ValidationError as refusal:
        return _verification_refuse(cameo, refusal)
    with transaction.atomic():
        locked = Cameo.objects.select_for_update().get(pk=cameo.pk)
        if locked.state != Cameo.State.CHECKING:
            return locked
        locked.clip_checks = {**(locked.clip_checks or {}), **measured}
        locked.state = Cameo.State.IN_REVIEW
        locked.save(update_fields=["clip_checks", "state", "updated_at"])
        case_open(kind=CaseKind.CAMEO_VERIFICATION, subject=locked, owner=locked.owner,
                  evidence={"cameo": locked.clip_checks, "media": verdict.as_dict()}, categories=[])
    return locked


def _verification_refuse(cameo: Cameo, refusal: ValidationError) -> Cameo:
    """The clip did not pass: delete it, say why on the cameo's page, and tell its owner."""
    message = " ".join(refusal.messages)
    codes = [error.code for errors in getattr(refusal, "error_dict", {}).values() for error in errors]
    code = getattr(refusal, "code", None) or next((c for c in codes if c), None) or "refused"
    with transaction.atomic():
        locked = Cameo.objects.select_for_update().get(pk=cameo.pk)
        if locked.state != Cameo.State.CHECKING:
            return locked
        files_delete_on_commit(stored(locked.clip))
        locked.clip = ""
        locked.clip_checks = {"refused": message, "code": code}
        locked.state = Cameo.State.PENDING
        locked.save(update_fields=["clip", "clip_checks", "state", "updated_at"])
        notification_create(recipient=locked.owner, actor=None, verb=Notification.Verb.CAMEO_NOT_VERIFIED)
    return locked


# --- Who may use it


@transaction.atomic
def appearances_record(*, job_id: int, user: User, cameos: Sequence[Cameo], prompt: str) -> list[Appearance]:
    """Record that job `job_id` of `user` uses `cameos`, and tell each owner."""
    made = []
    for cameo in cameos:
        waits = cameo.approve_each_use and cameo.owner_id != user.pk
        appearance = Appearance.objects.create(
            cameo=cameo, owner_id=cameo.owner_id, user=user, job_id=job_id, prompt=prompt[:2000],
            state=Appearance.State.AWAITING_APPROVAL if waits else Appearance.State.ALLOWED,
        )
        notification_create(recipient=cameo.owner, actor=user, verb=Notification.Verb.CAMEO_USED, target=appearance)
        made.append(appearance)
    return made


def appearances_posted(*, job_id: int, post_id: int) -> int:
    """Link the uses in job `job_id` to the post that now shows them."""
    return Appearance.objects.filter(job_id=job_id).update(post_id=post_id)


# --- Changing the rules, and taking consent back


def _withdraw(appearances: list[Appearance], *, reasons: dict[int, str]) -> list[Appearance]:
    """Withdraw `appearances` and let generation and the feed act on their jobs and posts.

    The signal is sent inside the transaction, not after it: a receiver that fails rolls the
    whole withdrawal back, so consent is never gone while its videos stay up.
    """
    if not appearances:
        return []
    now = timezone.now()
    for appearance in appearances:
        appearance.state, appearance.reason, appearance.decided_at = (
            Appearance.State.WITHDRAWN, reasons[appearance.pk], now)
        appearance.save(update_fields=["state", "reason", "decided_at"])
    _record_outcomes(appearances, consent_withdrawn.send(sender=Appearance, appearances=appearances))
    for appearance in appearances:
        if appearance.outcome:
            notification_create(recipient=appearance.user, actor=appearance.owner,
                                verb=Notification.Verb.CAMEO_WITHDRAWN, target=appearance)
    return appearances


def _record_outcomes(appearances: list[Appearance], responses: list[tuple[Any, Any]]) -> None:
    for appearance in appearances:
        outcome = list(appearance.outcome or [])
        for _receiver, response in responses:
            outcome.extend((response or {}).get(appearance.pk, []))
        appearance.outcome = sorted(set(outcome))
        appearance.save(update_fields=["outcome"])


@transaction.atomic
def consent_enforce(*, cameo: Cameo, reason: str) -> list[Appearance]:
    """Withdraw every live use of `cameo` that its rules no longer allow; return them.

    `reason` says what changed ("revoked", "audience"); a use outside the limits is withdrawn
    for "limits" whatever changed.
    """
    withdrawn, reasons = [], {}
    live = Appearance.objects.select_for_update().filter(cameo=cameo, state__in=Appearance.LIVE_STATES)
    for appearance in live.exclude(user_id=cameo.owner_id).select_related("user", "owner"):
        refusal = consent_refusal(cameo=cameo, user=appearance.user, prompt=appearance.prompt)
        if refusal is None:
            continue
        withdrawn.append(appearance)
        reasons[appearance.pk] = Appearance.Reason.LIMITS if refusal.reason == "limits" else reason
    return _withdraw(withdrawn, reasons=reasons)


@dataclass(frozen=True)
class RulesUpdated:
    cameo: Cameo
    withdrawn: list[Appearance]


def cameo_rules_update(
    *, cameo: Cameo, user: User, audience: str | None = None, limits: str | None = None,
    approve_each_use: bool | None = None,
) -> RulesUpdated:
    """Change who may use the cameo and on what terms; return it with the uses that lost
    consent, which are withdrawn at once."""
    _owner_check(cameo, user)
    errors: dict[str, list[str]] = {}
    if audience is not None and audience not in Cameo.Audience.values:
        errors["audience"] = [_("Choose who may use your cameo.")]
    if limits is not None:
        limits = limits.strip()
        if len(limits) > LIMITS_MAX_LENGTH:
            errors["limits"] = [_("Limits are at most %(n)d characters.") % {"n": LIMITS_MAX_LENGTH}]
        elif len([line for line in limits.splitlines() if line.strip()]) > LIMITS_MAX_LINES:
            errors["limits"] = [_("Write at most %(n)d limits.") % {"n": LIMITS_MAX_LINES}]
    if errors:
        raise ValidationError(errors, code="invalid")
    with transaction.atomic():
        cameo = Cameo.objects.select_for_update().get(pk=cameo.pk)
        if audience is not None:
            cameo.audience = audience
        if limits is not None:
            cameo.limits = limits
        if approve_each_use is not None:
            cameo.approve_each_use = bool(approve_each_use)
        cameo.save()
        withdrawn = consent_enforce(cameo=cameo, reason=Appearance.Reason.AUDIENCE)
    return RulesUpdated(cameo=cameo, withdrawn=withdrawn)


def _person(handle: Any) -> User:
    handle = str(handle or "").strip().lstrip("@")
    person = User.objects.filter(handle__iexact=handle, is_active=True).first() if handle else None
    if person is None:
        raise ValidationError({"handle": [_("No one has the handle @%(handle)s.") % {"handle": handle}]},
                              code="unknown_user")
    return person


def grant_add(*, cameo: Cameo, user: User, handle: Any) -> CameoGrant:
    """Approve the person called `handle` to use the cameo."""
    _owner_check(cameo, user)
    person = _person(handle)
    if person.pk == cameo.owner_id:
        raise ValidationError({"handle": [_("You can always use your own cameo.")]}, code="self")
    if blocked_between(a_id=cameo.owner_id, b_id=person.pk):
        raise ValidationError({"handle": [_("You cannot approve someone you blocked or who blocked you.")]},
                              code="blocked")
    grant, _created = CameoGrant.objects.get_or_create(cameo=cameo, user=person)
    return grant


def grant_remove(*, cameo: Cameo, user: User, handle: Any) -> list[Appearance]:
    """Revoke the approval of `handle`: their uses that lose consent are withdrawn at once."""
    _owner_check(cameo, user)
    person = _person(handle)
    with transaction.atomic():
        deleted, _rows = CameoGrant.objects.filter(cameo=cameo, user=person).delete()
        if not deleted:
            raise ValidationError({"handle": [_("@%(handle)s is not on your list.") % {"handle": person.handle}]},
                                  code="not_granted")
        return consent_enforce(cameo=cameo, reason=Appearance.Reason.REVOKED)


@transaction.atomic
def cameo_delete(*, cameo: Cameo, user: User) -> list[Appearance]:
    """Delete the cameo and its media; every use by someone else is withdrawn."""
    _owner_check(cameo, user)
    uses = list(
        Appearance.objects.select_for_update().filter(cameo=cameo, state__in=Appearance.LIVE_STATES)
        .exclude(user_id=cameo.owner_id).select_related("user", "owner")
    )
    withdrawn = _withdraw(uses, reasons={a.pk: Appearance.Reason.DELETED for a in uses})
    files = stored(*(photo.image for photo in cameo.photos.all()), cameo.clip)
    cameo.delete()
    files_delete_on_commit(files)
    return withdrawn


def appearance_approve(*, appearance: Appearance, user: User) -> Appearance:
    """Approve one use waiting for the owner: the video can now be posted."""
    if appearance.owner_id != user.pk:
        raise PermissionDenied(_("Only the person in this video can approve it."))
    if appearance.state != Appearance.State.AWAITING_APPROVAL:
        raise ValidationError({"appearance": [_("This video is not waiting for your approval.")]}, code="state")
    appearance.state, appearance.decided_at = Appearance.State.ALLOWED, timezone.now()
    appearance.save(update_fields=["state", "decided_at"])
    notification_create(recipient=appearance.user, actor=user, verb=Notification.Verb.CAMEO_APPROVED,
                        target=appearance)
    return appearance


@transaction.atomic
def appearance_remove(*, appearance: Appearance, user: User, note: str = "") -> Appearance:
    """Take down a video that shows `user`, whoever made it: its job is cancelled, the draft
    deleted, the post removed, and the removal written to the audit log."""
    if appearance.owner_id != user.pk:
        raise PermissionDenied(_("Only the person in this video can remove it."))
    appearance = Appearance.objects.select_for_update().get(pk=appearance.pk)
    if appearance.state == Appearance.State.REMOVED:
        return appearance
    appearance.state, appearance.reason, appearance.decided_at = (
        Appearance.State.REMOVED, Appearance.Reason.REMOVED, timezone.now())
    appearance.save(update_fields=["state", "reason", "decided_at"])
    _record_outcomes([appearance], likeness_removed.send(sender=Appearance, appearances=[appearance], actor=user))
    audit_record(
        actor=user, action="likeness_removal", subject=appearance, owner=appearance.user,
        details={"job_id": appearance.job_id, "post_id": appearance.post_id, "outcome": appearance.outcome,
                 "note": note[:500]},
    )
    if appearance.user_id != user.pk:
        notification_create(recipient=appearance.user, actor=user, verb=Notification.Verb.LIKENESS_REMOVED,
                            target=appearance)
    return appearance


