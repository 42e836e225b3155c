"""Make a video from a terminal: the same job, checks and pipeline as the site, run here.

    python manage.py generate "a red fox in the snow, tracking shot" --user alice --duration 4
    python manage.py generate "" --user alice --shot "a seed in the ground:2" --shot "it grows:3"

Prints a progress bar on standard error and the path of the MP4 on standard output.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from generation.lease import TransientError
from generation.models import GenerationJob
from generation.runner import job_run
from generation.services import job_create
from generation.submission import job_check

BAR_WIDTH = 30
PHASES = {
    "starting": "Starting", "rendering": "Rendering", "decoding": "Decoding",
    "encoding": "Encoding", "checking": "Checking", "ready": "Ready",
}


def _shot(value: str) -> dict[str, Any]:
    prompt, _sep, seconds = value.rpartition(":")
    if not prompt:
        raise CommandError(f"A shot is 'prompt:seconds', got {value!r}.")
    try:
        return {"prompt": prompt, "duration": float(seconds)}
    except ValueError:
        raise CommandError(f"A shot is 'prompt:seconds', got {value!r}.") from None


class Command(BaseCommand):
    help = "Generate a video from a prompt and print the path of its MP4."

    def add_arguments(self, parser) -> None:
        parser.add_argument("prompt", help="what the video shows (French or English)")
        parser.add_argument("--user", help="handle of the creator (default: the first superuser)")
        parser.add_argument("--mode", default="text", choices=[m.value for m in GenerationJob.Mode])
        parser.add_argument("--duration", default="4", help="seconds (1 to 20)")
        parser.add_argument("--aspect-ratio", default="9:16", help="9:16, 16:9 or 1:1")
        parser.add_argument("--tier", default="standard", help="low, standard or high")
        parser.add_argument("--style", default="none", help="realistic, cartoon, animation, film...")
        parser.add_argument("--seed", help="reuse a seed (default: a new one)")
        parser.add_argument("--negative", default="", help="what the video should not show")
        parser.add_argument("--image", type=Path, help="image mode: the photo to animate")
        parser.add_argument("--source-post", help="remix mode: the post to remix")
        parser.add_argument("--source-job", help="extend mode: the job whose video to continue")
        parser.add_argument("--shot", action="append", type=_shot, default=[],
                            help="storyboard: 'prompt:seconds', two or more times")

    def handle(self, *args: Any, **options: Any) -> None:
        owner = self._owner(options["user"])
        image = None
        if options["image"]:
            if not options["image"].is_file():
                raise CommandError(f"No image at {options['image']}.")
            image = File(options["image"].open("rb"), name=options["image"].name)
        mode = "storyboard" if options["shot"] and options["mode"] == "text" else options["mode"]
        try:
            request = job_check(
                owner=owner, prompt=options["prompt"], mode=mode, duration=options["duration"],
                aspect_ratio=options["aspect_ratio"], tier=options["tier"], style=options["style"],
                seed=options["seed"], negative_prompt=options["negative"], image=image,
                source_post_id=options["source_post"], source_job_id=options["source_job"],
                shots=options["shot"] or None,
            )
            job = job_create(request=request, enqueue=False)
        except ValidationError as exc:
            raise CommandError(_messages(exc)) from None
        finally:
            if image is not None:
                image.close()
        if job.state == GenerationJob.State.HELD:
            raise CommandError(f"Job {job.pk}: the prompt waits for a moderator's review; nothing was rendered.")
        self.stderr.write(f"Job {job.pk}: {job.width}x{job.height}, {job.duration:g} s, seed {job.seed}")
        try:
            state = job_run(job.pk, on_progress=self._bar)
        except TransientError as exc:
            raise CommandError(f"Job {job.pk} was interrupted ({exc}); it waits in the queue for a worker.") from exc
        job.refresh_from_db()
        if state == GenerationJob.State.READY:
            self._bar({"progress": 1.0, "phase": "ready", "step": job.step, "step_total": job.step_total})
        self.stderr.write("")
        if state != GenerationJob.State.READY:
            raise CommandError(f"Job {job.pk} {job.state}: {job.error or 'no video was made.'}")
        if job.review != GenerationJob.Review.ALLOW:
            self.stderr.write("The video waits for a moderator's review before it can be posted.")
        try:
            location = job.video.path
        except NotImplementedError:  # object storage
            location = job.video.url
        self.stdout.write(location)

    def _owner(self, handle: str | None) -> User:
        if handle:
            owner = User.objects.filter(handle__iexact=handle.lstrip("@")).first()
            if owner is None:
                raise CommandError(f"Nobody has the handle @{handle.lstrip('@')}.")
            return owner
        owner = User.objects.filter(is_superuser=True).order_by("pk").first()
        if owner is None:
            raise CommandError("Pass --user HANDLE: there is no superuser to make the video for.")
        return owner

    def _bar(self, snapshot: dict[str, Any]) -> None:
        done = int(BAR_WIDTH * snapshot["progress"])
        phase = PHASES.get(snapshot["phase"], snapshot["phase"])
        steps = f" step {snapshot['step']}/{snapshot['step_total']}" if snapshot["phase"] == "rendering" else ""
        line = f"\r[{'#' * done}{'.' * (BAR_WIDTH - done)}] {snapshot['progress']:4.0%} {phase}{steps}"
        self.stderr.write(line.ljust(72), ending="")
        self.stderr.flush()


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)
