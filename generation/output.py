"""What happens to a rendered film: the watermark, the encoded MP4 with its provenance, and
moderation's look at its frames.

The three run on the rendered frames as soon as the render ends: the check on a thread of its
own (`output_check`), the watermark and the encoder on the worker's thread (`film_watermark`,
`film_encode`); both spend their time in native code.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.utils import timezone

from cameo.likeness import output_faces_check
from moderation.media import MediaContext, MediaVerdict, media_check, media_sample_film

from . import provenance as prov
from .encoding import VideoInfo, encode_mp4, poster_jpeg, spare_cores
from .models import GenerationJob
from .watermark import watermark_frames

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Encoded:
    """A film encoded and credentialed: the file to store and what to record about it."""

    path: Path
    poster: bytes
    info: VideoInfo
    manifest: prov.ProvenanceManifest
    hashes: list[prov.FrameHash]
    signed: bool
    signing_error: str

    def provenance(self) -> dict[str, Any]:
        """Return the provenance recorded on the job and in the registry."""
        return {
            **self.manifest.as_dict(),
            "c2pa": self.signed,
            "c2pa_error": self.signing_error,
            "file_sha256": prov.file_sha256(self.path),
        }


def film_watermark(job: GenerationJob, frames: list[np.ndarray]) -> list[np.ndarray]:
    """Return the film with the platform's moving mark and the creator's handle on it."""
    return watermark_frames(frames, handle=job.owner.handle, fps=job.fps, mark=settings.GENERATION_PLATFORM_MARK)


def film_encode(job: GenerationJob, marked: list[np.ndarray], records: list[dict[str, Any]], workdir: Path) -> Encoded:
    """Encode the watermarked film and attach its provenance: a manifest in the file's
    metadata, signed content credentials (C2PA) when the signing key works, and per-second
    perceptual hashes for the registry."""
    plain = workdir / "plain.mp4"
    # The output checks run beside the encoder on a core of their own.
    info = encode_mp4(marked, plain, fps=job.fps, threads=spare_cores(reserved=1))
    manifest = prov.ProvenanceManifest(
        model_id=records[0]["model_id"] if records else "",
        model_version=records[0]["model_version"] if records else "",
        seed=job.seed,
        prompt_sha256=prov.prompt_digest(job.prompt),
        job_id=job.pk,
        creator_handle=job.owner.handle,
        creator_id=job.owner_id,
        created_at=timezone.now().isoformat(),
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
    return Encoded(
        path=final, poster=poster_jpeg(marked[0]), info=info, manifest=manifest,
        hashes=prov.video_hashes(marked, fps=job.fps), signed=signed, signing_error=signing_error,
    )


def output_check(job: GenerationJob, frames: list[np.ndarray]) -> MediaVerdict:
    """Return moderation's verdict on the output's sampled frames, with cameo's say on faces:
    a face that is not one of the cameos that consented to this video sends it to review."""
    sampled = media_sample_film(frames, film_fps=job.fps)
    verdict = media_check(
        frames=sampled,
        context=MediaContext(source="output", subject=f"generation.job:{job.pk}", user_id=job.owner_id),
    )
    return output_faces_check(verdict, frames=sampled, job_id=job.pk)
