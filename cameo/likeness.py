"""Faces: what makes a likeness, and whose face a video shows.

This module owns `CAMEO_MATCH_DISTANCE`, the largest distance between two dlib face
descriptors that still counts as the same person. It is used three ways: all the photos of
a cameo must show one person, a verification clip must show the person of the photos, and
a face in a generated video must be one of the cameos that consented to it.
"""

from __future__ import annotations

import dataclasses
import io
import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import ImageOps

from accounts.models import User
from config.images import image_clean
from moderation.checks import media_refuse
from moderation.enums import Decision
from moderation.media import (
    Category,
    DecodeLimitExceeded,
    Finding,
    Frame,
    MediaContext,
    MediaVerdict,
    face_embeddings,
    image_frames,
    media_check,
    sample_frames,
)

from .selectors import job_cameos

# A likeness showing any of these is refused outright, even when the policy would only review.
LIKENESS_BLOCKING = frozenset({Category.PUBLIC_FIGURE, Category.MINOR, Category.NUDITY})
# What a verification clip may be, and what it is kept as: MP4 stays MP4; a Matroska file
# becomes WebM when its codecs allow, MP4 otherwise.
CLIP_MUXERS = {"mov,mp4,m4a,3gp,3g2,mj2": ("mp4",), "matroska,webm": ("webm", "mp4")}
CLIP_FORMATS = set(CLIP_MUXERS)
# The most frames a second a clip may hold (phones film at up to 120): with the length limit,
# it bounds how many frames are decoded whatever the header says.
CLIP_MAX_FPS = 120
# Frame timestamps may run this far past the length limit (rounding, a last frame's length).
CLIP_LENGTH_TOLERANCE = 0.25
# The rule of the finding that sends a video with an unknown face to a moderator.
UNCONSENTED_FACE_RULE = "output:face:no_consenting_cameo"


def descriptor_distance(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Return the distance between two face descriptors."""
    return float(np.linalg.norm(np.asarray(a, dtype=np.float32) - np.asarray(b, dtype=np.float32)))


def same_person(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> bool:
    """Return whether two face descriptors are close enough to be the same person."""
    return descriptor_distance(a, b) <= float(settings.CAMEO_MATCH_DISTANCE)


def likeness_refuse(verdict: MediaVerdict, *, what: str, field: str) -> None:
    """Refuse a likeness the media checks flag as a public figure, a minor or nudity."""
    media_refuse(verdict, what=what, field=field, blocking_categories=LIKENESS_BLOCKING)


# --- Photos


@dataclass(frozen=True)
class CleanPhoto:
    file: ContentFile
    vector: list[float]


def photo_clean(upload: Any, *, owner: User, field: str = "photos") -> CleanPhoto:
    """Return a likeness photo re-encoded without its metadata, with its face descriptor.

    Raises ValidationError on `field` for a file that is not an image, too large, with too
    many pixels, without exactly one face, or that moderation refuses (public figure, minor).
    """
    try:
        # Decoded at most CAMEO_PHOTO_MAX_SIDE on the long side (a JPEG at reduced size by
        # the decoder): plenty for the face detector, and a 36 MP photo costs tens of MB, not
        # hundreds. The photo is kept at that size too.
        image = image_clean(upload, max_bytes=settings.CAMEO_PHOTO_MAX_BYTES,
                            max_pixels=settings.CAMEO_PHOTO_MAX_PIXELS, max_side=settings.CAMEO_PHOTO_MAX_SIDE)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}, code=exc.code) from None
    image = ImageOps.exif_transpose(image).convert("RGB")
    frames = image_frames(np.asarray(image))
    verdict = media_check(
        frames=frames, context=MediaContext(source="likeness", subject=f"accounts.user:{owner.pk}", user_id=owner.pk)
    )
    likeness_refuse(verdict, what=_("This photo"), field=field)
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


def photos_same_person(photos: Sequence[CleanPhoto]) -> bool:
    """Return whether every pair of photos shows the same person."""
    return all(same_person(a.vector, b.vector) for index, a in enumerate(photos) for b in photos[index + 1:])


# --- The verification clip


def clip_store(upload: Any, *, field: str = "clip") -> ContentFile:
    """Return a verification clip re-muxed into a file of the server's making, or raise
    ValidationError on `field` saying what is wrong. Quick: nothing is decoded.

    Checked here: size, container (MP4, MOV, WebM), pixels and the length its header
    claims. Kept: only the video and audio streams, copied into a fresh MP4 or WebM named by
    the server, so no metadata (a location, a device) and nothing hidden beside the streams
    survives, and the file's type never depends on what the uploader called it. What the
    frames show, and the length they really have, is checked on the worker (`clip_frames`).
    """
    data = _clip_bytes(upload, field=field)
    bad = ValidationError({field: [_("Upload a video clip (MP4, MOV or WebM).")]}, code="bad_type")
    try:
        with av.open(io.BytesIO(data), "r") as container:
            if container.format.name not in CLIP_FORMATS or not container.streams.video:
                raise bad
            family = container.format.name
            stream = container.streams.video[0]
            width, height = stream.codec_context.width, stream.codec_context.height
            if container.duration:
                duration = container.duration / 1_000_000
            elif stream.duration is not None and stream.time_base is not None:
                duration = float(stream.duration * stream.time_base)
            else:
                raise bad
    except ValidationError:
        raise
    except (av.FFmpegError, ValueError, TypeError):
        raise bad from None
    if width * height > settings.CAMEO_CLIP_MAX_PIXELS:
        raise ValidationError({field: [_("The clip has too many pixels (%(w)d×%(h)d).") % {"w": width, "h": height}]},
                              code="too_many_pixels")
    if duration > settings.CAMEO_CLIP_MAX_SECONDS:
        raise _too_long(field)
    try:
        return _clip_remux(data, family)
    except (av.FFmpegError, ValueError):
        raise bad from None


def clip_frames(data: bytes, *, field: str = "clip") -> list[Frame]:
    """Return frames sampled from a stored clip, or raise ValidationError on `field`.

    The length is checked by what is actually decoded (a header can lie), and the decoding
    itself is bounded in frames and in time: a clip that holds hours behind a header that
    says seconds is refused after a bounded amount of work.
    """
    seconds = float(settings.CAMEO_CLIP_MAX_SECONDS)
    try:
        return sample_frames(
            data, fps=2.0, max_frames=24, max_side=640, max_seconds=seconds + CLIP_LENGTH_TOLERANCE,
            max_decoded=int(seconds * CLIP_MAX_FPS), max_wall_seconds=float(settings.CAMEO_CLIP_DECODE_SECONDS),
        )
    except DecodeLimitExceeded:
        raise _too_long(field) from None
    except (av.FFmpegError, ValueError):
        raise ValidationError({field: [_("Upload a video clip (MP4, MOV or WebM).")]}, code="bad_type") from None


def _too_long(field: str) -> ValidationError:
    return ValidationError(
        {field: [_("The clip is too long (at most %(n)d seconds).") % {"n": settings.CAMEO_CLIP_MAX_SECONDS}]},
        code="too_long",
    )


def _clip_bytes(upload: Any, *, field: str) -> bytes:
    size = getattr(upload, "size", None)
    if not size:
        raise ValidationError({field: [_("The file is empty.")]}, code="empty")
    if size > settings.CAMEO_CLIP_MAX_BYTES:
        raise ValidationError(
            {field: [_("The clip is too large (at most %(mb)d MB).") % {"mb": settings.CAMEO_CLIP_MAX_BYTES // 2**20}]},
            code="too_large",
        )
    upload.seek(0)
    return bytes(upload.read(settings.CAMEO_CLIP_MAX_BYTES + 1))


def _clip_remux(data: bytes, family: str) -> ContentFile:
    """Copy the video and audio packets of `data` into a new file with nothing else in it."""
    last_error: Exception | None = None
    for muxer in CLIP_MUXERS[family]:
        output = io.BytesIO()
        try:
            with av.open(io.BytesIO(data), "r") as source, av.open(output, "w", format=muxer) as target:
                streams = {
                    stream.index: target.add_stream_from_template(stream)
                    for stream in source.streams if stream.type in ("video", "audio")
                }
                for packet in source.demux(*(source.streams[index] for index in streams)):
                    if packet.dts is None:  # the demuxer's end-of-stream marker
                        continue
                    packet.stream = streams[packet.stream.index]
                    target.mux(packet)
        except (av.FFmpegError, ValueError) as exc:  # a codec this muxer does not take
            last_error = exc
            continue
        return ContentFile(output.getvalue(), name=f"clip.{muxer}")
    raise ValueError(f"The clip cannot be re-muxed: {last_error}")


def clip_faces_check(frames: Sequence[Frame], *, reference: Sequence[float]) -> dict[str, Any]:
    """Check that a clip shows one person, the one of `reference`, in most of its frames;
    return what was measured, or raise ValidationError on "clip" saying what is wrong."""
    counts, distances = [], []
    for frame in frames:
        faces = face_embeddings(frame)
        counts.append(len(faces))
        if len(faces) == 1:
            distances.append(descriptor_distance(faces[0].vector, reference))
    if any(count > 1 for count in counts):
        raise ValidationError({"clip": [_("Someone else is in the clip. Record it alone.")]}, code="several_faces")
    if len(distances) < max(1, math.ceil(len(frames) / 2)):
        raise ValidationError({"clip": [_("Your face is not visible in most of the clip. Record it facing the "
                                          "camera, in good light.")]}, code="no_face")
    distance = statistics.median(distances)
    if distance > settings.CAMEO_MATCH_DISTANCE:
        raise ValidationError({"clip": [_("The face in the clip does not match your photos.")]}, code="mismatch")
    return {
        "frames": len(frames), "faces_per_frame": counts, "median_distance": round(distance, 4),
        "threshold": settings.CAMEO_MATCH_DISTANCE,
    }


# --- Faces in a generated video


def output_faces_check(verdict: MediaVerdict, *, frames: Sequence[Frame], job_id: int) -> MediaVerdict:
    """Return `verdict` on the frames of job `job_id`'s video, sent to review if a face in it
    is nobody who consented to this video.

    A face is someone's likeness: one that is not a cameo the job may still use (by
    descriptor distance) needs a moderator. A face the descriptor model cannot read counts
    as a stranger: moderation fails closed.
    """
    faces = [finding for finding in verdict.findings if finding.category == Category.FACE]
    strangers = _unconsented(job_id, faces, {frame.index: frame for frame in frames})
    if not strangers:
        return verdict
    unconsented = Finding(
        check="consent", category=Category.FACE, rule=UNCONSENTED_FACE_RULE,
        action=Decision.REVIEW, frame_index=strangers[0].frame_index, time=strangers[0].time,
        evidence={"frames_with_faces": len(faces), "frames_with_strangers": len(strangers)},
    )
    return dataclasses.replace(
        verdict,
        decision=Decision.strictest([verdict.decision, Decision.REVIEW]),
        findings=(*verdict.findings, unconsented),
    )


def _unconsented(job_id: int, faces: list[Finding], frames: Mapping[int, Frame]) -> list[Finding]:
    """Return the face findings whose frame shows someone who is not a consenting cameo."""
    if not faces:
        return []
    vectors = [np.asarray(c.vector, dtype=np.float32) for c in job_cameos(job_id=job_id) if c.vector]
    if not vectors:
        return faces
    known = np.stack(vectors)
    limit = float(settings.CAMEO_MATCH_DISTANCE)
    strangers = []
    for finding in faces:
        frame = frames.get(finding.frame_index) if finding.frame_index is not None else None
        described = face_embeddings(frame) if frame is not None else []
        for box in finding.evidence.get("boxes") or [None]:
            # The descriptor of the face the detector boxed: the one whose centre lies in the box.
            face = next((f for f in described if box is None or _centre_in(f.box.as_list(), box)), None)
            if face is None or float(np.min(np.linalg.norm(known - face.vector, axis=1))) > limit:
                strangers.append(finding)
                break
    return strangers


def _centre_in(inner: list[int], outer: list[int]) -> bool:
    x, y = inner[0] + inner[2] / 2, inner[1] + inner[3] / 2
    return outer[0] <= x <= outer[0] + outer[2] and outer[1] <= y <= outer[1] + outer[3]
