#!/usr/bin/env python
"""Generation: submission to ready draft, against the bare diffusers call plus encoding.

    make bench-generation      # = .venv/bin/python bench/generation_e2e.py [--runs N] [--seconds S] [--tier T]

Both sides render the same request with the same seed on the configured backend (the toy
Wan 2.1 model on CPU unless GENERATION_MODEL_DIR points at a checkpoint):

- baseline: WanPipeline(...) called directly with the same arguments, its frames encoded to
  H.264 MP4 with the same encoder settings;
- platform: job_check() and job_create() (prompt moderation, quota, the job row) then job_run() — the worker's
  code: lease, per-step progress written to the row, render, watermark, encode, provenance
  in the file's metadata, signed content credentials, perceptual hashes for the registry,
  moderation of the output frames, the draft stored.

The two alternate run after run, in ABBA order, after one untimed warm-up each. The script prints the
medians, the overhead and where the platform's extra time goes. See docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "platform"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

TARGET_OVERHEAD = 0.10


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9, help="timed runs per side (default 9)")
    parser.add_argument("--seconds", type=float, default=5.0, help="clip length (default 5 s)")
    parser.add_argument("--tier", default="standard", help="resolution tier (default standard)")
    parser.add_argument("--aspect-ratio", default="9:16")
    parser.add_argument("--strict", action="store_true", help="exit 1 when the target is not met")
    return parser.parse_args()


def setup(workdir: Path) -> None:
    os.environ["REEL_VAR_DIR"] = str(workdir)
    os.environ["MEDIA_ROOT"] = str(workdir / "media")
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory(prefix="reel-bench-gen-") as folder:
        workdir = Path(folder)
        setup(workdir)
        return run(args, workdir)


def run(args: argparse.Namespace, workdir: Path) -> int:
    import torch
    from django.conf import settings

    from accounts.models import User
    from generation.backends import RenderMode, backend_get, frames_for_duration
    from generation.backends.wan import MAX_SEQUENCE_LENGTH
    from generation.encoding import encode_mp4
    from generation.models import GenerationJob
    from generation.runner import job_run
    from generation.services import job_create
    from generation.submission import frame_size, job_check

    owner, _ = User.objects.get_or_create(handle="bench", defaults={"email": "bench@example.invalid"})
    settings.GENERATION_DAILY_QUOTA = 10**6
    backend = backend_get()
    backend.load()
    pipeline = backend._loaded()[RenderMode.TEXT]
    width, height = frame_size(aspect_ratio=args.aspect_ratio, tier=args.tier)
    fps, steps = settings.GENERATION_FPS, settings.GENERATION_STEPS
    frames = frames_for_duration(seconds=args.seconds, fps=fps)
    prompt = "a paper lantern floating over a calm lake at dusk, slow tracking shot"
    print(f"model {backend.model_id} {backend.model_version}, {width}x{height}, {frames} frames at {fps} fps, "
          f"{steps} steps, torch threads {torch.get_num_threads()}, {args.runs} runs per side")

    def baseline(seed: int) -> float:
        start = time.perf_counter()
        generator = torch.Generator("cpu").manual_seed(seed)
        with torch.inference_mode():
            output = pipeline(prompt=prompt, height=height, width=width, num_frames=frames,
                              num_inference_steps=steps, guidance_scale=5.0, generator=generator,
                              max_sequence_length=MAX_SEQUENCE_LENGTH, output_type="np")
        video = (output.frames[0].clip(0, 1) * 255).round().astype("uint8")
        encode_mp4(list(video), workdir / "baseline.mp4", fps=fps)
        return time.perf_counter() - start

    def platform(seed: int) -> tuple[float, dict[str, float]]:
        start = time.perf_counter()
        request = job_check(owner=owner, prompt=prompt, duration=args.seconds, aspect_ratio=args.aspect_ratio,
                            tier=args.tier, seed=seed)
        job = job_create(request=request, enqueue=False)
        state = job_run(job.pk)
        elapsed = time.perf_counter() - start
        job = GenerationJob.objects.get(pk=job.pk)
        if state != GenerationJob.State.READY:
            raise SystemExit(f"job {job.pk} ended {state}: {job.error}")
        return elapsed, job.timings

    baseline(0)
    platform(0)
    base_times, platform_times, phases = [], [], []
    for run_index in range(1, args.runs + 1):
        # ABBA order: neither side always runs first (caches, clock speed, other load).
        if run_index % 2:
            base_times.append(baseline(run_index))
            elapsed, timings = platform(run_index)
        else:
            elapsed, timings = platform(run_index)
            base_times.append(baseline(run_index))
        platform_times.append(elapsed)
        phases.append(timings)
        print(f"  run {run_index}: baseline {base_times[-1]:.3f} s, platform {elapsed:.3f} s")

    base, plat = statistics.median(base_times), statistics.median(platform_times)
    overhead = plat / base - 1
    print()
    print("| side | median (s) | min (s) | max (s) |")
    print("|---|---:|---:|---:|")
    print(f"| bare diffusers call + encoding | {base:.3f} | {min(base_times):.3f} | {max(base_times):.3f} |")
    print(f"| submission to ready draft | {plat:.3f} | {min(platform_times):.3f} | {max(platform_times):.3f} |")
    print()
    # The same figure taken pair by pair: both runs of a pair share the machine's load.
    paired = statistics.median(p / b - 1 for p, b in zip(platform_times, base_times, strict=True))
    print(f"overhead: {overhead:+.1%} (target under {TARGET_OVERHEAD:.0%}); run by run (median) {paired:+.1%}")
    keys = ["render", "encode", "check"]
    medians = {key: statistics.median(p.get(key, 0.0) for p in phases) for key in keys}
    print("platform phases (median s): " + ", ".join(f"{key} {value:.3f}" for key, value in medians.items()))
    met = overhead < TARGET_OVERHEAD
    print("target met" if met else "target NOT met")
    return 0 if met or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
