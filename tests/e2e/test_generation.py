"""Making a video in a real browser: the create form, the live progress bar, the draft
playing, posting it, and finding it in the For you feed.

The browser talks to Daphne serving config.asgi (pages and the progress websocket) and the
render runs in a real Celery worker, both on the test database and the configured broker, as
in tests/generation/test_tasks.py. The job is submitted in Daphne's process, which stores its
settings (steps, frame size, fps) on the row from its own environment; the worker renders
what the row says.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from feed.models import Post
from generation.models import GenerationJob
from tests.factories import UserFactory
from tests.support.worker import asgi_server, celery_worker

from .conftest import PHONE
from .test_web import _login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Denoising steps of the toy model: enough that its render (a couple of seconds on one CPU
# thread) spans several of the consumer's reads of the row, so the bar is seen mid-way.
STEPS = 160

# Record each value the progress bar and its phase text take, from the page's first paint:
# looking from the test between actions could miss a short render.
RECORD_PROGRESS = """(() => {
    window.progressSeen = [];
    const look = () => {
        const meter = document.querySelector("[data-meter]");
        if (!meter) return;
        const phase = document.querySelector("[data-phase]");
        const seen = {value: Number(meter.getAttribute("aria-valuenow")), phase: phase ? phase.textContent.trim() : ""};
        const last = window.progressSeen.at(-1);
        if (!last || last.value !== seen.value || last.phase !== seen.phase) window.progressSeen.push(seen);
    };
    new MutationObserver(look).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
    document.addEventListener("DOMContentLoaded", look);
})();"""

PLAYING = "(video) => video.readyState >= 2 && video.videoWidth > 0 && video.currentTime > 0"


def _env(queue: str, signing: Path) -> dict[str, str]:
    """Return the environment of both processes: a queue of this test's own, toy renders
    that write every step to the row, and posts published without a first-post hold."""
    return {
        "GENERATION_QUEUE": queue,
        "GENERATION_STEPS": str(STEPS),
        "GENERATION_PROGRESS_INTERVAL": "0",
        "GENERATION_SIGNING_DIR": str(signing),
        "MODERATION_HOLD_FIRST_POSTS": "0",
    }


def _log_tail(process: dict) -> str:
    process["log"].flush()
    return Path(process["log"].name).read_text()[-3000:]


def test_a_prompt_becomes_a_draft_that_plays_and_is_posted_to_the_feed(
    browser, tmp_path, screenshots
):
    queue = f"test-e2e-{uuid.uuid4().hex[:8]}"
    env = _env(queue, tmp_path / "signing")
    creator = UserFactory(handle="phare")
    prompt = "un phare dans la tempête, plan large"
    caption = "Le phare tient bon, la mer non"

    with celery_worker(queues=queue, extra_env=env) as worker, asgi_server(extra_env=env) as server:
        context = browser.new_context(
            viewport=PHONE,
            locale="en-US",
            base_url=server["url"],
            device_scale_factor=2,
            has_touch=True,
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.add_init_script(RECORD_PROGRESS)
        try:
            _login(page, creator.handle)
            page.goto("/create/")
            page.get_by_label("Prompt", exact=True).fill(prompt)
            page.get_by_label("Duration").fill("1")
            expect(page.locator("[data-duration-output]")).to_have_text("1 s")
            page.get_by_role("radio", name="Fast (low resolution)").check()
            page.get_by_role("button", name="Generate", exact=True).click()
            page.wait_for_url("**/create/jobs/*/")
            expect(page.get_by_text("Your video is on its way.")).to_be_visible()
            job = GenerationJob.objects.get(owner=creator)
            assert (job.prompt, job.steps, job.tier, job.duration) == (prompt, STEPS, "low", 1)

            # Once ready, the page swaps the bar for the draft, drawn by the server.
            video = page.locator("video.job__video")
            expect(video).to_be_visible(timeout=45_000)
            expect(page.get_by_role("heading", name="Your video")).to_be_visible()
            seen = page.evaluate("() => window.progressSeen")
            values = [look["value"] for look in seen]
            assert any(
                later > earlier for earlier, later in zip(values, values[1:], strict=False)
            ), seen
            assert any(0 < value < 100 for value in values), seen
            assert any(
                re.fullmatch(rf"Rendering step \d+ of {STEPS}", look["phase"]) for look in seen
            ), seen
            assert values[-1] == 100 and seen[-1]["phase"] == "Ready", seen

            # Muted, as a browser lets a page start a video without a gesture.
            video.evaluate("(video) => { video.muted = true; return video.play(); }")
            page.wait_for_function(PLAYING, arg=video.element_handle())
            started = video.evaluate("(video) => video.currentTime")
            page.wait_for_function(
                f"(video) => video.currentTime !== {started}", arg=video.element_handle()
            )
            page.screenshot(path=str(screenshots / "draft-phone.png"))

            page.get_by_label("Caption").fill(caption)
            page.get_by_role("button", name="Post to the feed").click()
            expect(page.get_by_text("Your video is published.")).to_be_visible()
            post = Post.objects.get(author=creator)
            assert (post.state, post.caption, post.job_id) == (
                Post.State.PUBLISHED,
                caption,
                job.pk,
            )

            page.goto("/")
            slide = page.locator(f'[data-slide][data-post-id="{post.pk}"]')
            expect(slide.locator('[data-el="caption"]')).to_have_text(caption)
            expect(slide.locator('[data-el="caption"]')).to_be_visible()
            assert errors == []
        except Exception:
            print(f"--- worker log:\n{_log_tail(worker)}\n--- Daphne log:\n{_log_tail(server)}")
            raise
        finally:
            context.close()
