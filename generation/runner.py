"""Run one generation job: render, encode with watermark and provenance, check, deliver.

A worker claims a job by writing a lease on its row and renews it while it works. Every write
after that names the lease, so a worker that lost the job (it stalled, another took over)
can no longer change it, and a job runs to `ready` exactly once however often its task is
delivered. A job whose lease went stale (its worker died) is taken over by the next worker.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import av
import numpy as np
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.files.base import ContentFile, File
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from cameo.selectors import job_cameos
from moderation.media import Category, Decision, Finding, Frame, MediaContext, media_check
from moderation.media.faces import face_embeddings
from moderation.services import case_open, evidence_from_verdicts, refusal_message, refusal_record

from . import provenance as prov
from .backends import RenderCancelled, RenderMode, RenderRequest, backend_get, frames_for_duration
from .backends.wan import EXTEND_CONTEXT_FRAMES
from .encoding import encode_mp4, poster_jpeg, spare_cores
from .models import GeneratedVideo, GenerationJob
from .services import STYLE_SUFFIXES
from .watermark import watermark_frames

logger = logging.getLogger(__name__)

State = GenerationJob.State
Mode = GenerationJob.Mode

# How the progress bar splits between phases: rendering is most of the work.
RENDER_SHARE, ENCODE_AT, CHECK_AT = 0.88, 0.9, 0.95


class JobLost(Exception):
    """The job's lease passed to another worker, or the job was cancelled and closed."""


class Cancelled(Exception):
    """The owner (or the system) asked the job to stop."""


class TransientError(Exception):
    """Something outside the job failed for a moment (the database, storage): try again."""


def progress_group(job_id: int) -> str:
    """Return the channel-layer group that hears about job `job_id`."""
    return f"generation.job.{job_id}"


def job_snapshot(job: GenerationJob | dict[str, Any]) -> dict[str, Any]:
    """Return what a progress event says about a job."""
    get = job.get if isinstance(job, dict) else lambda key, default=None: getattr(job, key, default)
    return {
        "id": get("id") or get("pk"),
        "state": get("state"),
        "phase": get("phase"),
        "progress": round(float(get("progress") or 0.0), 4),
        "step": get("step"),
        "step_total": get("step_total"),
        "error": get("error") or "",
    }


def progress_push(job_id: int, payload: dict[str, Any]) -> None:
    """Tell the job's listeners over the channel layer; a layer that is down is not an error."""
    from channels.layers import get_channel_layer

    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(progress_group(job_id), {"type": "job.progress", "job": payload})
    except Exception:  # the row is the source of truth; listeners poll it too
        logger.warning("could not push progress of job %s", job_id, exc_info=True)


# --- The lease -------------------------------------------------------------------------------


def _stale_before() -> Any:
    return timezone.now() - timezone.timedelta(seconds=settings.GENERATION_LEASE_SECONDS)


def job_claim(job_id: int, token: str) -> bool:
    """Take job `job_id` if it is queued or its worker's lease went stale; return whether taken."""
    now = timezone.now()
    claimable = Q(state=State.QUEUED) | Q(
        state__in=(State.RUNNING, State.ENCODING, State.CHECKING), heartbeat_at__lt=_stale_before()
    )
    taken = (
        GenerationJob.objects.filter(claimable, pk=job_id, cancel_requested=False)
        .update(
            state=State.RUNNING, phase="starting", lease=token, heartbeat_at=now,
            attempts=F("attempts") + 1, started_at=now, error="",
        )
    )
    return taken == 1


def _owned(job_id: int, token: str):
    return GenerationJob.objects.filter(pk=job_id, lease=token, state__in=GenerationJob.ACTIVE_STATES)


class Heartbeat:
    """Renew the lease on a thread while the job runs, so long phases keep it."""

    def __init__(self, job_id: int, token: str) -> None:
        self.job_id, self.token = job_id, token
        self.interval = max(0.5, settings.GENERATION_LEASE_SECONDS / 4)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease-{job_id}", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.interval):
                _owned(self.job_id, self.token).update(heartbeat_at=timezone.now())
        except Exception:
            logger.warning("lease renewal of job %s failed", self.job_id, exc_info=True)
        finally:
            connection.close()  # this thread's own connection


# --- Progress --------------------------------------------------------------------------------


class Progress:
    """Write progress to the job row at most every GENERATION_PROGRESS_INTERVAL seconds, push
    it to the browser, and notice cancellation."""

    def __init__(self, job_id: int, token: str, listener: Callable[[dict[str, Any]], None] | None = None) -> None:
        self.job_id, self.token, self.listener = job_id, token, listener
        self.interval = float(settings.GENERATION_PROGRESS_INTERVAL)
        self._last = 0.0
        self.state = State.RUNNING

    def update(self, *, phase: str, progress: float, step: int = 0, step_total: int = 0,
               state: str | None = None, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        self.state = state or self.state
        fields = {
            "state": self.state, "phase": phase, "progress": min(1.0, progress),
            "step": step, "step_total": step_total, "heartbeat_at": timezone.now(),
        }
        if not _owned(self.job_id, self.token).update(**fields):
            raise JobLost(self.job_id)
        if GenerationJob.objects.filter(pk=self.job_id, cancel_requested=True).exists():
            raise Cancelled
        snapshot = job_snapshot({"id": self.job_id, **fields})
        progress_push(self.job_id, snapshot)
        if self.listener is not None:
            self.listener(snapshot)


# --- Rendering -------------------------------------------------------------------------------


@dataclasses.dataclass
class Segment:
    """One denoising pass: its mode, prompt and frame count."""

    mode: RenderMode
    prompt: str
    frames: int


def _styled(prompt: str, style: str) -> str:
    suffix = STYLE_SUFFIXES.get(style, "")
    return f"{prompt}, {suffix}" if suffix else prompt


def _round_up(count: int) -> int:
    """Return the smallest valid frame count (4k+1) not below `count`."""
    return count + (1 - count) % 4


def segment_plan(*, first: RenderMode, prompt: str, frames: int, limit: int) -> list[Segment]:
    """Split `frames` new frames into passes of at most `limit` frames.

    A pass that continues a film (extend) spends its first EXTEND_CONTEXT_FRAMES frames on
    the end of what came before; remix passes follow the source instead and need none.
    """
    context = EXTEND_CONTEXT_FRAMES
    follow = RenderMode.REMIX if first is RenderMode.REMIX else RenderMode.EXTEND
    plan: list[Segment] = []
    made, mode = 0, first
    while made < frames:
        kept = context if mode is RenderMode.EXTEND else 0
        count = min(limit, _round_up(frames - made + kept))
        plan.append(Segment(mode, prompt, count))
        made += count - kept
        mode = follow
    return plan


@dataclasses.dataclass
class Shot:
    """A stretch of the film with one prompt: how many new frames, and how it starts."""

    prompt: str
    frames: int
    first: RenderMode


def shots_of(job: GenerationJob) -> list[Shot]:
    """Return the shots of a job: one for most modes, one per card for a storyboard."""
    if job.mode == Mode.STORYBOARD:
        return [
            Shot(_styled(card["prompt"], job.style),
                 frames_for_duration(seconds=float(card["duration"]), fps=job.fps),
                 RenderMode.TEXT if index == 0 else RenderMode.EXTEND)
            for index, card in enumerate(job.shots)
        ]
    first = {
        Mode.TEXT: RenderMode.TEXT, Mode.IMAGE: RenderMode.IMAGE,
        Mode.REMIX: RenderMode.REMIX, Mode.EXTEND: RenderMode.EXTEND,
    }[job.mode]
    return [Shot(_styled(job.prompt, job.style), frames_for_duration(seconds=job.duration, fps=job.fps), first)]


def _read_video(name: str, storage) -> list[np.ndarray]:
    """Return the RGB frames of a stored video."""
    with storage.open(name, "rb") as handle, av.open(handle) as container:
        return [frame.to_ndarray(format="rgb24") for frame in container.decode(container.streams.video[0])]


def _read_image(job: GenerationJob) -> np.ndarray:
    from PIL import Image

    with job.source_image.open("rb") as handle:
        return np.asarray(Image.open(handle).convert("RGB"))


def _cameo_reference(job: GenerationJob) -> tuple[str, np.ndarray] | None:
    """Return the handle and reference photo of the first cameo the job may still use."""
    from PIL import Image

    if not (job.parameters or {}).get("cameos"):
        return None
    for cameo in job_cameos(job_id=job.pk):
        if cameo.photo:
            with cameo.photo.open("rb") as handle:
                return cameo.handle, np.asarray(Image.open(handle).convert("RGB"))
    return None


def render_job(job: GenerationJob, progress: Progress, *, backend=None) -> tuple[list[np.ndarray], list[dict]]:
    """Render every pass of `job` and return the film's frames and each pass's parameters.

    An extension's film starts with its source video; every other film starts empty.
    """
    backend = backend or backend_get()
    limit = int(settings.GENERATION_SEGMENT_FRAMES)
    shots = shots_of(job)
    passes = [
        segment
        for shot in shots
        for segment in segment_plan(first=shot.first, prompt=shot.prompt, frames=shot.frames, limit=limit)
    ]
    source_video: list[np.ndarray] = []
    if job.mode in (Mode.REMIX, Mode.EXTEND):
        name = (job.parameters or {}).get("source_video", "")
        try:
            source_video = _read_video(name, job.video.storage)
        except (FileNotFoundError, OSError, av.error.FFmpegError) as exc:
            raise ValueError(_("The source video is no longer available.")) from exc
        if not source_video:
            raise ValueError(_("The source video has no frames."))
    source_image = _read_image(job) if job.mode == Mode.IMAGE else None
    # A film with a cameo starts from the person's reference photo (image to video).
    cameo = _cameo_reference(job) if passes and passes[0].mode is RenderMode.TEXT else None
    if cameo is not None:
        source_image = cameo[1]
        passes[0] = Segment(RenderMode.IMAGE, passes[0].prompt, passes[0].frames)
    film: list[np.ndarray] = list(source_video) if job.mode == Mode.EXTEND else []
    wanted = len(film) + sum(shot.frames for shot in shots)

    total_steps = job.steps * len(passes)
    records: list[dict] = []
    remix_offset = 0
    for index, segment in enumerate(passes):
        arguments: dict[str, Any] = {}
        kept = 0
        if segment.mode is RenderMode.IMAGE:
            arguments["source_image"] = source_image
        elif segment.mode is RenderMode.REMIX:
            arguments["source_video"] = source_video[remix_offset:] or source_video
            remix_offset += segment.frames
        elif segment.mode is RenderMode.EXTEND:
            arguments["source_video"] = film[-EXTEND_CONTEXT_FRAMES:]
            kept = min(EXTEND_CONTEXT_FRAMES, len(film))
        request = RenderRequest(
            mode=segment.mode, prompt=segment.prompt, negative_prompt=job.negative_prompt,
            width=job.width, height=job.height, num_frames=segment.frames, fps=job.fps,
            steps=job.steps, seed=job.seed + index, **arguments,
        )
        before = index * job.steps

        def on_step(done: int, total: int, _before: int = before) -> None:
            fraction = (_before + done) / max(1, total_steps)
            phase = "decoding" if done >= total else "rendering"
            progress.update(phase=phase, progress=RENDER_SHARE * fraction, step=_before + done,
                            step_total=total_steps, force=done >= total)

        result = backend.render(request=request, on_step=on_step)
        record = {"model_id": result.model_id, "model_version": result.model_version, **result.parameters}
        if index == 0 and cameo is not None:
            record["reference"] = {"cameo": cameo[0]}
        records.append(record)
        film.extend(result.frames[kept:])
    return film[:wanted], records


# --- Encoding and checking -------------------------------------------------------------------


def _sample(frames: list[np.ndarray], fps: int) -> list[Frame]:
    limit = int(getattr(settings, "MODERATION_MEDIA_MAX_FRAMES", 48))
    step = max(1, round(fps / float(getattr(settings, "MODERATION_MEDIA_SAMPLE_FPS", 1.0))))
    indices = list(range(0, len(frames), step))[:limit]
    return [Frame(index=i, time=i / fps, image=frames[i]) for i in indices]


def watermark_job(job: GenerationJob, frames: list[np.ndarray]) -> list[np.ndarray]:
    """Return the film with the platform's moving mark and the creator's handle on it."""
    return watermark_frames(frames, handle=job.owner.handle, fps=job.fps, mark=settings.GENERATION_PLATFORM_MARK)


def encode_job(job: GenerationJob, marked: list[np.ndarray], records: list[dict], workdir: Path) -> dict[str, Any]:
    """Encode the watermarked film and attach its provenance; return the fields to save."""
    handle = job.owner.handle
    plain = workdir / "plain.mp4"
    # The output checks run beside the encoder on a core of their own.
    info = encode_mp4(marked, plain, fps=job.fps, threads=spare_cores(reserved=1))
    created = timezone.now()
    manifest = prov.ProvenanceManifest(
        model_id=records[0]["model_id"] if records else "",
        model_version=records[0]["model_version"] if records else "",
        seed=job.seed,
        prompt_sha256=prov.prompt_digest(job.prompt),
        job_id=job.pk,
        creator_handle=handle,
        creator_id=job.owner_id,
        created_at=created.isoformat(),
        content_sha256=prov.stream_sha256(plain),
        platform=settings.GENERATION_PLATFORM_MARK,
    )
    tagged = workdir / "tagged.mp4"
    prov.embed_metadata(plain, tagged, manifest)
    final, signed, signing_error = tagged, False, ""
    try:
        signed_path = workdir / "signed.mp4"
        prov.c2pa_sign(tagged, signed_path, manifest,
                       credentials=prov.signing_credentials(Path(settings.GENERATION_SIGNING_DIR)))
        final, signed = signed_path, True
    except prov.ProvenanceError as exc:
        signing_error = str(exc)
        logger.warning("job %s: content credentials not signed: %s", job.pk, exc)
    hashes = prov.video_hashes(marked, fps=job.fps)
    return {
        "final": final,
        "poster": poster_jpeg(marked[0]),
        "info": info,
        "manifest": manifest,
        "hashes": hashes,
        "c2pa": signed,
        "signing_error": signing_error,
        "frames": marked,
    }


def _timed_check(job: GenerationJob, frames: list[np.ndarray]) -> tuple[Any, float]:
    """Run check_job on a thread of its own, and close that thread's database connection."""
    start = time.perf_counter()
    try:
        return check_job(job, frames), round(time.perf_counter() - start, 3)
    finally:
        connection.close()


def check_job(job: GenerationJob, frames: list[np.ndarray]):
    """Return moderation's verdict on the output's sampled frames.

    A face is someone's likeness: a face that is not one of the cameos that consented to this
    video (by face-descriptor distance) sends the draft to a moderator.
    """
    sampled = _sample(frames, job.fps)
    verdict = media_check(
        frames=sampled,
        context=MediaContext(source="output", subject=f"generation.job:{job.pk}", user_id=job.owner_id),
    )
    faces = [finding for finding in verdict.findings if finding.category == Category.FACE]
    strangers = _unconsented_faces(job, faces, {frame.index: frame for frame in sampled})
    if not strangers:
        return verdict
    unconsented = Finding(
        check="consent", category=Category.FACE, rule="output:face:no_consenting_cameo",
        action=Decision.REVIEW, frame_index=strangers[0].frame_index, time=strangers[0].time,
        evidence={"frames_with_faces": len(faces), "frames_with_strangers": len(strangers)},
    )
    return dataclasses.replace(
        verdict,
        decision=Decision.strictest([verdict.decision, Decision.REVIEW]),
        findings=(*verdict.findings, unconsented),
    )


def _unconsented_faces(job: GenerationJob, faces: list[Finding], frames: dict[int, Frame]) -> list[Finding]:
    """Return the face findings whose frame shows someone who is not a consenting cameo.

    A face the descriptor model cannot read counts as a stranger: moderation fails closed.
    """
    if not faces:
        return []
    vectors = [np.asarray(c.vector, dtype=np.float32) for c in job_cameos(job_id=job.pk) if c.vector]
    if not vectors:
        return faces
    known = np.stack(vectors)
    limit = float(settings.CAMEO_MATCH_DISTANCE)
    strangers = []
    for finding in faces:
        frame = frames.get(finding.frame_index)
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


# --- The whole run ---------------------------------------------------------------------------


def _finish(job_id: int, token: str, **fields: Any) -> bool:
    fields.setdefault("finished_at", timezone.now())
    return bool(_owned(job_id, token).update(lease="", **fields))


def job_run(
    job_id: int,
    *,
    backend=None,
    on_claimed: Callable[[], None] | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
) -> str:
    """Run job `job_id` to its end and return its final state, or "skipped" if it was not ours.

    Raises TransientError after putting the job back in the queue when something outside it
    failed for a moment, so the task can retry it.
    """
    token = secrets.token_hex(16)
    if not job_claim(job_id, token):
        return "skipped"
    if on_claimed is not None:
        on_claimed()
    job = GenerationJob.objects.select_related("owner").get(pk=job_id)
    progress = Progress(job_id, token, on_progress)
    timings: dict[str, float] = {}
    queued_for = (job.started_at - job.created_at).total_seconds() if job.started_at else 0.0
    timings["queued"] = round(max(0.0, queued_for), 3)
    started = time.perf_counter()
    with Heartbeat(job_id, token), tempfile.TemporaryDirectory(prefix=f"job-{job_id}-") as tmp:
        try:
            progress.update(phase="rendering", progress=0.0, step=0, step_total=job.steps, force=True)
            mark = time.perf_counter()
            frames, records = render_job(job, progress, backend=backend)
            timings["render"] = round(time.perf_counter() - mark, 3)

            progress.update(phase="encoding", progress=ENCODE_AT, state=State.ENCODING, force=True)
            # Moderation looks at the rendered frames on a thread of its own while this one
            # watermarks and encodes them: both spend their time in native code. The frames
            # it sees lack only the platform's own mark, so it is stricter if anything.
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"check-{job_id}") as pool:
                checking = pool.submit(_timed_check, job, frames)
                mark = time.perf_counter()
                marked = watermark_job(job, frames)
                encoded = encode_job(job, marked, records, Path(tmp))
                timings["encode"] = round(time.perf_counter() - mark, 3)
                progress.update(phase="checking", progress=CHECK_AT, state=State.CHECKING, force=True)
                verdict, timings["check"] = checking.result()
            timings["total"] = round(time.perf_counter() - started, 3)
            return _deliver(job, token, encoded, records, verdict, timings)
        except Cancelled:
            _finish(job_id, token, state=State.CANCELLED, phase="cancelled")
            state = State.CANCELLED
        except RenderCancelled:
            _finish(job_id, token, state=State.CANCELLED, phase="cancelled")
            state = State.CANCELLED
        except JobLost:
            logger.warning("job %s: lease lost, another worker has it", job_id)
            return "skipped"
        except TransientError:
            _owned(job_id, token).update(state=State.QUEUED, phase="queued", lease="")
            raise
        except Exception as exc:
            message = failure_message(exc)
            logger.exception("job %s failed", job_id)
            _finish(job_id, token, state=State.FAILED, phase="failed", error=message, timings=timings)
            state = State.FAILED
    progress_push(job_id, job_snapshot(GenerationJob.objects.get(pk=job_id)))
    return state


def failure_message(exc: BaseException) -> str:
    """Return what the creator reads when a job fails: the cause in words, not a traceback."""
    try:
        import torch

        if isinstance(exc, torch.OutOfMemoryError):
            return _("The video model ran out of memory. Try a lower resolution or a shorter video.")
    except ImportError:  # pragma: no cover - torch is a dependency
        pass
    if isinstance(exc, ValueError):
        return str(exc)
    return _("The video model failed (%(kind)s). Nothing was charged; try again.") % {"kind": type(exc).__name__}


def _deliver(job: GenerationJob, token: str, encoded: dict[str, Any], records: list[dict],
             verdict, timings: dict[str, float]) -> str:
    """Store the draft and its provenance, or block it, as moderation's verdict says."""
    info = encoded["info"]
    manifest = encoded["manifest"]
    verdict_data = verdict.as_dict()
    common = {
        "output_verdict": verdict_data,
        "parameters": {**(job.parameters or {}), "passes": records},
        "model_id": manifest.model_id,
        "model_version": manifest.model_version,
        "timings": timings,
        "progress": 1.0,
    }
    storage = job.video.storage
    with open(encoded["final"], "rb") as handle:
        video_name = storage.save(job.video.field.generate_filename(job, "video.mp4"), File(handle))
    poster_name = storage.save(job.poster.field.generate_filename(job, "poster.jpg"),
                               ContentFile(encoded["poster"]))
    blocked = verdict.decision == "block"
    review = {
        "block": GenerationJob.Review.BLOCK, "review": GenerationJob.Review.REVIEW,
    }.get(str(verdict.decision), GenerationJob.Review.ALLOW)
    outcome: dict[str, Any] = {"state": State.READY, "phase": "ready"}
    if blocked:
        # Kept privately for the moderators who may hear an appeal; never shown to the owner.
        finding = next(f for f in verdict.findings if f.action == "block")
        with override(getattr(job.owner, "language", None) or None):
            message = refusal_message(what=_("This video"), category=finding.category, rule=finding.rule)
        outcome = {"state": State.BLOCKED, "phase": "blocked", "error": message}
    provenance = {
        **manifest.as_dict(),
        "c2pa": encoded["c2pa"],
        "c2pa_error": encoded["signing_error"],
        "file_sha256": prov.file_sha256(encoded["final"]),
    }
    with transaction.atomic():
        delivered = _finish(
            job.pk, token, **outcome, review=review,
            video=video_name, poster=poster_name, video_duration=info.duration,
            video_size=Path(encoded["final"]).stat().st_size, frame_count=info.frame_count,
            provenance=provenance, **common,
        )
        if not delivered:
            transaction.on_commit(lambda: [storage.delete(video_name), storage.delete(poster_name)])
            return "skipped"
        GeneratedVideo.objects.create(
            job_id=job.pk, creator_id=job.owner_id, content_sha256=manifest.content_sha256,
            frame_hashes=[h.as_dict() for h in encoded["hashes"]], manifest=provenance,
        )
        if review != GenerationJob.Review.ALLOW:
            fresh = GenerationJob.objects.get(pk=job.pk)
            evidence, categories = evidence_from_verdicts(media=verdict)
            evidence["prompt"] = job.prompt
            if blocked:
                refusal_record(kind="flagged_media", subject=fresh, owner=job.owner, evidence=evidence,
                               categories=categories, note=outcome["error"])
            else:
                case_open(kind="flagged_media", subject=fresh, evidence=evidence, categories=categories,
                          owner=job.owner)
    progress_push(job.pk, job_snapshot(GenerationJob.objects.get(pk=job.pk)))
    return outcome["state"]


def jobs_recover() -> list[tuple[int, float]]:
    """Return the jobs a worker was running, each with the seconds until its lease goes stale.

    Called when a worker starts: a job whose worker died is taken over once its lease is
    stale; one whose worker is alive renews its lease, and the takeover attempt is skipped.
    """
    now = timezone.now()
    lease = settings.GENERATION_LEASE_SECONDS
    rows = GenerationJob.objects.filter(
        state__in=(State.RUNNING, State.ENCODING, State.CHECKING)
    ).values_list("pk", "heartbeat_at")
    return [
        (pk, max(0.0, (beat - now).total_seconds() + lease) + 1.0 if beat else 0.0)
        for pk, beat in rows
    ]
