"""Run the configured media checks over images and videos and decide what happens to them.

Moderation fails closed: a check that is not installed, is misconfigured or raises is
named in the verdict, and the media goes at least to review — never silently allowed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.utils.module_loading import import_string

from .base import CheckUnavailable, MediaCheck
from .frames import DEFAULT_FPS, DEFAULT_MAX_FRAMES, film_frames, load_frames
from .types import CheckFailure, Decision, Frame, MediaContext, MediaVerdict

logger = logging.getLogger(__name__)

# Bump when the meaning of a media rule or a default threshold changes.
MEDIA_POLICY_VERSION = "media-1"

DEFAULT_MEDIA_CHECKS: tuple[str, ...] = (
    "moderation.media.checks.FaceDetection",
    "moderation.media.checks.ProtectedMediaMatch",
    "moderation.media.checks.FaceBankMatch",
    "moderation.media.checks.AgeEstimate",
    "moderation.media.checks.NudityDetection",
)

CheckSpec = str | Mapping[str, Any]


def load_media_checks(specs: Sequence[CheckSpec] | None = None) -> list[MediaCheck | CheckFailure]:
    """Return the checks named by `specs` (default: the setting), a failure for each that won't load.

    A spec is a dotted path, or a mapping {"NAME": dotted path, "OPTIONS": {...}}.
    """
    if specs is None:
        specs = getattr(settings, "MODERATION_MEDIA_CHECKS", DEFAULT_MEDIA_CHECKS)
    loaded: list[MediaCheck | CheckFailure] = []
    for spec in specs:
        path, options = (spec, {}) if isinstance(spec, str) else (spec.get("NAME", ""), spec.get("OPTIONS", {}))
        try:
            cls = import_string(path)
        except Exception as exc:  # A module can fail to import in many ways; each one fails closed.
            loaded.append(CheckFailure(check=str(path), kind="unavailable", reason=f"cannot import: {exc}"))
            continue
        if not (isinstance(cls, type) and issubclass(cls, MediaCheck)):
            loaded.append(CheckFailure(check=str(path), kind="misconfigured", reason="not a MediaCheck"))
            continue
        name = getattr(cls, "name", path)
        try:
            loaded.append(cls(**options))
        except CheckUnavailable as exc:
            loaded.append(CheckFailure(check=name, kind="unavailable", reason=str(exc)))
        except (TypeError, ValueError) as exc:
            loaded.append(CheckFailure(check=name, kind="misconfigured", reason=str(exc)))
        except Exception as exc:
            loaded.append(CheckFailure(check=name, kind="error", reason=f"{type(exc).__name__}: {exc}"))
    return loaded


def media_check(
    *, frames: Sequence[Frame], context: MediaContext, checks: Sequence[CheckSpec] | None = None
) -> MediaVerdict:
    """Run the media checks over `frames` and return the verdict."""
    findings = []
    checks_run: list[str] = []
    failures: list[CheckFailure] = []
    loaded = load_media_checks(checks)
    if not loaded:
        failures.append(CheckFailure(check="media", kind="misconfigured", reason="no media checks are configured"))
    if not frames:
        failures.append(CheckFailure(check="media", kind="error", reason="no frames to check"))
        loaded = [item for item in loaded if isinstance(item, CheckFailure)]
    for check in loaded:
        if isinstance(check, CheckFailure):
            failures.append(check)
            continue
        try:
            findings.extend(check.run(frames=frames, context=context))
        except CheckUnavailable as exc:
            failures.append(CheckFailure(check=check.name, kind="unavailable", reason=str(exc)))
        except Exception as exc:
            logger.exception("media check %s failed on %s", check.name, context.subject or context.source)
            failures.append(CheckFailure(check=check.name, kind="error", reason=f"{type(exc).__name__}: {exc}"))
        else:
            checks_run.append(check.name)
    decision = Decision.strictest([finding.action for finding in findings])
    if failures:
        decision = Decision.strictest([decision, Decision.REVIEW])
    verdict = MediaVerdict(
        decision=decision,
        findings=tuple(findings),
        checks_run=tuple(checks_run),
        checks_failed=tuple(failures),
        policy_version=_policy_version(loaded),
        frames_checked=len(frames),
    )
    if failures:
        logger.warning(
            "media of %s sent to review: %s", context.subject or context.source,
            "; ".join(f"{f.check} {f.kind}: {f.reason}" for f in failures),
        )
    return verdict


def media_check_file(
    *,
    path: str | Path | BinaryIO,
    context: MediaContext,
    checks: Sequence[CheckSpec] | None = None,
    fps: float | None = None,
    max_frames: int | None = None,
) -> MediaVerdict:
    """Decode the image or video at `path`, sample its frames and return the verdict.

    A file that cannot be decoded cannot be cleared: it goes to review.
    """
    try:
        frames = load_frames(
            path,
            fps=fps or float(getattr(settings, "MODERATION_MEDIA_SAMPLE_FPS", DEFAULT_FPS)),
            max_frames=max_frames or int(getattr(settings, "MODERATION_MEDIA_MAX_FRAMES", DEFAULT_MAX_FRAMES)),
        )
    except Exception as exc:  # Pillow and PyAV each raise their own families of decoding errors.
        logger.warning("cannot decode media of %s: %s", context.subject or context.source, exc)
        return MediaVerdict(
            decision=Decision.REVIEW,
            findings=(),
            checks_run=(),
            checks_failed=(CheckFailure(check="decode", kind="error", reason=f"{type(exc).__name__}: {exc}"),),
            policy_version=MEDIA_POLICY_VERSION,
        )
    return media_check(frames=frames, context=context, checks=checks)


def media_sample_film(images: Sequence[Any], *, film_fps: float) -> list[Frame]:
    """Return the frames of a decoded film that the media checks look at, sampled as the
    MODERATION_MEDIA_SAMPLE_FPS and MODERATION_MEDIA_MAX_FRAMES settings say for files."""
    return film_frames(
        images,
        film_fps=film_fps,
        fps=float(getattr(settings, "MODERATION_MEDIA_SAMPLE_FPS", DEFAULT_FPS)),
        max_frames=int(getattr(settings, "MODERATION_MEDIA_MAX_FRAMES", DEFAULT_MAX_FRAMES)),
    )


def _policy_version(loaded: Sequence[MediaCheck | CheckFailure]) -> str:
    if not any(isinstance(check, MediaCheck) and check.uses_bank for check in loaded):
        return MEDIA_POLICY_VERSION
    from .bank import bank_revision

    try:
        return f"{MEDIA_POLICY_VERSION}+bank.{bank_revision()}"
    except Exception:
        logger.exception("cannot read the protected-media bank revision")
        return f"{MEDIA_POLICY_VERSION}+bank.unknown"
