"""Cameo services: make and verify a likeness, set who may use it, check each use, and take
consent back.

Consent is checked when a prompt is submitted (`consent_check`), again when its video is
posted (`consent_for_post`), and every time the owner changes a rule (`consent_enforce`):
uses that lost consent are withdrawn at once, and generation and the feed, told by signal,
cancel the jobs and unpublish the posts.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import secrets
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import ImageOps

from accounts.images import image_clean
from accounts.models import Block, Follow, Notification, User
from accounts.services import notification_create
from accounts.validators import age_on
from moderation.media.faces import face_embeddings
from moderation.media.frames import image_frames, sample_frames
from moderation.media.services import media_check
from moderation.media.types import Category, MediaContext
from moderation.services import audit_record, case_open, refusal_message

from .limits import MAX_LENGTH as LIMITS_MAX_LENGTH
from .limits import MAX_LINES as LIMITS_MAX_LINES
from .limits import limits_crossed
from .models import Appearance, Cameo, CameoGrant, CameoPhoto
from .signals import consent_withdrawn, likeness_removed

# "@alice", "@bob.smith": a handle after an @ that does not follow a word character.
MENTION_RE = re.compile(r"(?<![\w@.])@([A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])?)")
# A likeness showing any of these is refused outright, even when the policy would only review.
LIKENESS_BLOCKING = {Category.PUBLIC_FIGURE, Category.MINOR, Category.NUDITY}
CLIP_FORMATS = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"}


class ConsentRefused(ValidationError):
    """A prompt names a cameo whose owner has not said yes: the message names whose and why."""


# --- Helpers


def mentions_in(*texts: str) -> list[str]:
    """Return the handles mentioned in `texts`, lower-cased, once each, in order."""
    seen: dict[str, None] = {}
    for text in texts:
        for match in MENTION_RE.finditer(text or ""):
            seen.setdefault(match.group(1).lower(), None)
    return list(seen)


def _owned(cameo: Cameo, user: User) -> None:
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


def _likeness_refusal(verdict, *, what: str, field: str) -> None:
    """Refuse a likeness the media checks flag as a public figure, a minor or nudity."""
    for finding in verdict.findings:
        if finding.action == "block" or (finding.category in LIKENESS_BLOCKING and finding.action != "allow"):
            raise ValidationError(
                {field: [refusal_message(what=what, category=finding.category, rule=finding.rule)]}, code="blocked"
            )


def _distance(a: Sequence[float], b: Sequence[float]) -> float:
    return float(np.linalg.norm(np.asarray(a, dtype=np.float32) - np.asarray(b, dtype=np.float32)))


# --- Making a cameo


@dataclass(frozen=True)
class CleanPhoto:
    file: ContentFile
    vector: list[float]


def photo_clean(upload, *, owner: User, field: str = "photos") -> CleanPhoto:
    """Return a likeness photo re-encoded without its metadata, with its face descriptor.

    Raises ValidationError on `field` for a file that is not an image, too large, with too
    many pixels, without exactly one face, or that moderation refuses (public figure, minor).
    """
    try:
        image = image_clean(upload, max_bytes=settings.CAMEO_PHOTO_MAX_BYTES,
                            max_pixels=settings.CAMEO_PHOTO_MAX_PIXELS)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}, code=exc.code) from None
    image = ImageOps.exif_transpose(image).convert("RGB")
    frames = image_frames(np.asarray(image))
    verdict = media_check(
        frames=frames, context=MediaContext(source="likeness", subject=f"accounts.user:{owner.pk}", user_id=owner.pk)
    )
    _likeness_refusal(verdict, what=_("This photo"), field=field)
    faces = face_embeddings(frames[0])
    if not faces:
        raise ValidationError(
            {field: [_("No face was found in this photo. Use a clear, well-lit photo of your face.")]}, code="no_face"
        )
    if len(faces) > 1:
        raise ValidationError({field: [_("This photo shows more than one face. Use a photo of you alone.")]},
                              code="several_faces")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return CleanPhoto(file=ContentFile(out.getvalue()), vector=[round(float(x), 6) for x in faces[0].vector])


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
    if any(_distance(a.vector, b.vector) > settings.CAMEO_MATCH_DISTANCE
           for index, a in enumerate(cleaned) for b in cleaned[index + 1:]):
        raise ValidationError({"photos": [_("These photos do not all show the same person.")]}, code="mismatch")
    with transaction.atomic():
        cameo = Cameo.objects.create(owner=owner, reference_vector=[round(float(x), 6) for x in mean])
        for clean in cleaned:
            photo = CameoPhoto(cameo=cameo, vector=clean.vector)
            photo.image.save("photo.png", clean.file, save=False)
            photo.save()
        _challenge_new(cameo)
        cameo.save()
    return cameo


def cameo_get(*, owner: User) -> Cameo | None:
    return Cameo.objects.filter(owner=owner).first() if owner.is_authenticated else None


# --- Verification


def _challenge_new(cameo: Cameo) -> None:
    cameo.challenge_digits = "".join(str(secrets.randbelow(10)) for _ in range(4))
    cameo.challenge_move = secrets.choice(Cameo.Move.values)
    cameo.challenge_issued_at = timezone.now()


def challenge_issue(*, cameo: Cameo, user: User) -> Cameo:
    """Give the owner a fresh challenge to record: four digits to say and a head movement."""
    _owned(cameo, user)
    if cameo.state in (Cameo.State.VERIFIED, Cameo.State.IN_REVIEW):
        raise ValidationError({"clip": [_("This cameo is already verified or waiting for a moderator.")]},
                              code="state")
    _challenge_new(cameo)
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


def clip_frames(upload, *, field: str = "clip") -> list:
    """Return frames sampled from a verification clip, or raise ValidationError saying what is wrong."""
    size = getattr(upload, "size", None)
    if not size:
        raise ValidationError({field: [_("The file is empty.")]}, code="empty")
    if size > settings.CAMEO_CLIP_MAX_BYTES:
        raise ValidationError(
            {field: [_("The clip is too large (at most %(mb)d MB).") % {"mb": settings.CAMEO_CLIP_MAX_BYTES // 2**20}]},
            code="too_large",
        )
    upload.seek(0)
    data = upload.read()
    bad = ValidationError({field: [_("Upload a video clip (MP4, MOV or WebM).")]}, code="bad_type")
    try:
        with av.open(io.BytesIO(data)) as container:
            if container.format.name not in CLIP_FORMATS or not container.streams.video:
                raise bad
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            duration = float(container.duration or 0) / 1_000_000 or float(stream.duration * stream.time_base or 0)
    except ValidationError:
        raise
    except (av.FFmpegError, ValueError, TypeError):
        raise bad from None
    if width * height > settings.CAMEO_CLIP_MAX_PIXELS:
        raise ValidationError({field: [_("The clip has too many pixels (%(w)d×%(h)d).") % {"w": width, "h": height}]},
                              code="too_many_pixels")
    if duration > settings.CAMEO_CLIP_MAX_SECONDS:
        raise ValidationError(
            {field: [_("The clip is too long (at most %(n)d seconds).") % {"n": settings.CAMEO_CLIP_MAX_SECONDS}]},
            code="too_long",
        )
    try:
        return sample_frames(data, fps=2.0, max_frames=24, max_side=640)
    except (av.FFmpegError, ValueError):
        raise bad from None


def verification_submit(*, cameo: Cameo, user: User, clip) -> Cameo:
    """Check the owner's challenge clip, keep it, and send the cameo to a moderator.

    The clip must show exactly one face, the same person as the photos, in most sampled frames;
    nothing is kept when it does not.
    """
    _owned(cameo, user)
    if cameo.state in (Cameo.State.VERIFIED, Cameo.State.IN_REVIEW):
        raise ValidationError({"clip": [_("This cameo is already verified or waiting for a moderator.")]},
                              code="state")
    expires = challenge_expires_at(cameo)
    if expires is None or expires < timezone.now():
        raise ValidationError({"clip": [_("The challenge has expired: ask for a new one, then record it.")]},
                              code="expired")
    frames = clip_frames(clip)
    verdict = media_check(
        frames=frames, context=MediaContext(source="likeness", subject=f"cameo.cameo:{cameo.pk}", user_id=user.pk)
    )
    _likeness_refusal(verdict, what=_("This clip"), field="clip")
    counts, distances = [], []
    for frame in frames:
        faces = face_embeddings(frame)
        counts.append(len(faces))
        if len(faces) == 1:
            distances.append(_distance(faces[0].vector, cameo.reference_vector))
    if any(count > 1 for count in counts):
        raise ValidationError({"clip": [_("Someone else is in the clip. Record it alone.")]}, code="several_faces")
    if len(distances) < max(1, math.ceil(len(frames) / 2)):
        raise ValidationError({"clip": [_("Your face is not visible in most of the clip. Record it facing the "
                                          "camera, in good light.")]}, code="no_face")
    distance = statistics.median(distances)
    if distance > settings.CAMEO_MATCH_DISTANCE:
        raise ValidationError({"clip": [_("The face in the clip does not match your photos.")]}, code="mismatch")
    checks = {
        "frames": len(frames), "faces_per_frame": counts, "median_distance": round(distance, 4),
        "threshold": settings.CAMEO_MATCH_DISTANCE, "challenge": challenge_text(cameo),
        "digits": cameo.challenge_digits, "move": cameo.challenge_move,
    }
    with transaction.atomic():
        old = cameo.clip.name if cameo.clip else ""
        clip.seek(0)
        cameo.clip.save(getattr(clip, "name", "clip.mp4") or "clip.mp4", ContentFile(clip.read()), save=False)
        cameo.clip_checks = checks
        cameo.state = Cameo.State.IN_REVIEW
        cameo.save()
        case_open(kind="cameo_verification", subject=cameo, owner=user,
                  evidence={"cameo": checks, "media": verdict.as_dict()}, categories=[])
        if old:
            storage = cameo.clip.storage
            transaction.on_commit(lambda: storage.delete(old))
    return cameo


def case_decided_receiver(sender, *, case, decision, **kwargs) -> None:
    """A moderator decided a verification case: the cameo is verified, or not."""
    if case.kind != "cameo_verification" or decision.action not in ("approve", "reject"):
        return
    cameo = Cameo.objects.filter(pk=case.subject_id).select_related("owner").first()
    if cameo is None or cameo.state != Cameo.State.IN_REVIEW:
        return
    if decision.action == "approve":
        cameo.state, cameo.verified_at = Cameo.State.VERIFIED, timezone.now()
        verb = Notification.Verb.CAMEO_VERIFIED
    else:
        cameo.state = Cameo.State.REJECTED
        _challenge_new(cameo)
        verb = Notification.Verb.CAMEO_NOT_VERIFIED
    cameo.save()
    notification_create(recipient=cameo.owner, actor=None, verb=verb)


# --- Who may use it


def _mutual(a_id: int, b_id: int) -> bool:
    return Follow.objects.filter(
        Q(follower_id=a_id, followee_id=b_id) | Q(follower_id=b_id, followee_id=a_id)
    ).count() == 2


def _blocked(a_id: int, b_id: int) -> bool:
    return Block.objects.filter(Q(blocker_id=a_id, blocked_id=b_id) | Q(blocker_id=b_id, blocked_id=a_id)).exists()


def _audience_allows(cameo: Cameo, user: User) -> bool:
    if cameo.audience == Cameo.Audience.ONLY_ME or _blocked(cameo.owner_id, user.pk):
        return False
    if cameo.audience == Cameo.Audience.EVERYONE:
        return True
    if CameoGrant.objects.filter(cameo=cameo, user=user).exists():
        return True
    return cameo.audience == Cameo.Audience.MUTUALS and _mutual(cameo.owner_id, user.pk)


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
    if not _audience_allows(cameo, user):
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
        else:
            cameos[appearance.cameo_id] = appearance.cameo
    if problems:
        raise ConsentRefused({"prompt": list(dict.fromkeys(problems))}, code="consent")
    return Uses(cameos=list(cameos.values()), prompt=prompt)


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


def appearances_posted(*, job_id: int, post_id: int) -> int:
    """Link the uses in job `job_id` to the post that now shows them."""
    return Appearance.objects.filter(job_id=job_id).update(post_id=post_id)


def post_has_consent(*, job_id: int | None, user: User) -> bool:
    """Return whether every cameo in job `job_id` consents to `user` showing it now."""
    if job_id is None:
        return True
    try:
        consent_for_post(job_id=job_id, user=user)
    except ValidationError:
        return False
    return True


# --- Changing the rules, and taking consent back


def _withdraw(appearances: list[Appearance], *, reasons: dict[int, str]) -> list[Appearance]:
    """Withdraw `appearances` and let generation and the feed act on their jobs and posts."""
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


def rules_update(
    *, cameo: Cameo, user: User, audience: str | None = None, limits: str | None = None,
    approve_each_use: bool | None = None,
) -> RulesUpdated:
    """Change who may use the cameo and on what terms; return it with the uses that lost
    consent, which are withdrawn at once."""
    _owned(cameo, user)
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
    _owned(cameo, user)
    person = _person(handle)
    if person.pk == cameo.owner_id:
        raise ValidationError({"handle": [_("You can always use your own cameo.")]}, code="self")
    if _blocked(cameo.owner_id, person.pk):
        raise ValidationError({"handle": [_("You cannot approve someone you blocked or who blocked you.")]},
                              code="blocked")
    grant, _created = CameoGrant.objects.get_or_create(cameo=cameo, user=person)
    return grant


def grant_remove(*, cameo: Cameo, user: User, handle: Any) -> list[Appearance]:
    """Revoke the approval of `handle`: their uses that lose consent are withdrawn at once."""
    _owned(cameo, user)
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
    _owned(cameo, user)
    uses = list(
        Appearance.objects.select_for_update().filter(cameo=cameo, state__in=Appearance.LIVE_STATES)
        .exclude(user_id=cameo.owner_id).select_related("user", "owner")
    )
    withdrawn = _withdraw(uses, reasons={a.pk: Appearance.Reason.DELETED for a in uses})
    files = [(photo.image.storage, photo.image.name) for photo in cameo.photos.all() if photo.image]
    if cameo.clip:
        files.append((cameo.clip.storage, cameo.clip.name))
    cameo.delete()
    transaction.on_commit(lambda: [storage.delete(name) for storage, name in files])
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


def follow_deleted_receiver(sender, instance: Follow, **kwargs) -> None:
    """Unfollowing ends a mutual: uses that relied on it are withdrawn."""
    for cameo in Cameo.objects.filter(owner_id__in=[instance.follower_id, instance.followee_id],
                                      audience=Cameo.Audience.MUTUALS):
        consent_enforce(cameo=cameo, reason=Appearance.Reason.AUDIENCE)


def block_saved_receiver(sender, instance: Block, created: bool, **kwargs) -> None:
    """A block ends consent between the two people, both ways."""
    if created and not kwargs.get("raw"):
        for cameo in Cameo.objects.filter(owner_id__in=[instance.blocker_id, instance.blocked_id]):
            consent_enforce(cameo=cameo, reason=Appearance.Reason.REVOKED)
