"""A cameo in a real browser: Alice makes and verifies her cameo and approves Bob; Bob puts
her in a video and posts it; Alice sees it on her appearances page, takes Bob off her list,
and the post leaves the feed.

As in test_generation, Daphne serves config.asgi and a real Celery worker renders the job,
both on the test database; the test process plays the moderator through the service, in a
transaction of its own so the decision's on-commit signal (cameo verified) is sent.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from playwright.sync_api import expect

from cameo.models import Appearance, Cameo, CameoGrant
from feed.models import Post
from generation.models import GenerationJob
from moderation.models import Case
from moderation.services import case_decide
from tests.cameo.conftest import astronaut_face, clip_bytes, png
from tests.factories import UserFactory
from tests.moderation.test_views import make_moderator
from tests.support.worker import asgi_server, celery_worker

from .conftest import PHONE
from .test_generation import _env, _log_tail
from .test_web import _login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PROMPT = "@alice surfing at sunset"
CAPTION = "Alice rides the last wave"


def _approve(case: Case, moderator) -> None:
    """Decide `case` as a moderator would in the queue: approve it, then let its signal run."""
    with transaction.atomic():
        case_decide(case=case, moderator=moderator, action="approve", note="Looks right.")


def _new_page(browser, base_url: str, errors: list[str]):
    context = browser.new_context(
        viewport=PHONE, locale="en-US", base_url=base_url, device_scale_factor=2, has_touch=True
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    return context, page


def _page_after_post(response) -> bool:
    """The cameo page a form's redirect leads to."""
    return response.url.endswith("/cameo/") and response.request.method == "GET"


def _in_feed(page, post: Post):
    return page.locator(f'[data-slide][data-post-id="{post.pk}"]')


def test_a_cameo_is_made_shared_used_in_a_post_and_taken_back(browser, tmp_path, screenshots):
    queue = f"test-e2e-cameo-{uuid.uuid4().hex[:8]}"
    # The clip is checked where it is in production: on the worker, off the request.
    env = {**_env(queue, tmp_path / "signing"), "CHECKS_QUEUE": queue, "CAMEO_CLIP_CHECK_INLINE": "false"}
    alice = UserFactory(handle="alice", date_of_birth=dt.date(1990, 1, 2))
    bob = UserFactory(handle="bob")
    moderator = make_moderator()
    photo = tmp_path / "me.png"
    photo.write_bytes(png(astronaut_face()))
    clip = tmp_path / "challenge.mp4"
    clip.write_bytes(clip_bytes([astronaut_face()]))
    errors: list[str] = []

    with celery_worker(queues=queue, extra_env=env) as worker, asgi_server(extra_env=env) as server:
        contexts = []
        try:
            # Alice makes her cameo from a photo, then records the challenge.
            context, page = _new_page(browser, server["url"], errors)
            contexts.append(context)
            _login(page, alice.handle)
            page.locator("summary.menu__trigger").click()
            page.get_by_role("link", name="Cameo", exact=True).click()
            page.wait_for_url("**/cameo/")
            expect(page.get_by_text("Adults only", exact=False)).to_be_visible()
            page.get_by_label("Photos of your face").set_input_files(str(photo))
            page.get_by_role("button", name="Make my cameo").click()
            expect(page.locator("[data-cameo-badge]")).to_have_text(
                "Waiting for the verification clip"
            )
            cameo = Cameo.objects.get(owner=alice)
            expect(page.locator("[data-challenge-text]")).to_contain_text(
                " ".join(cameo.challenge_digits)
            )
            expect(page.locator(".cameo__photos img")).to_have_count(1)
            assert page.locator(".cameo__photos img").evaluate("(img) => img.naturalWidth") > 0
            page.get_by_label("Your recording").set_input_files(str(clip))
            page.get_by_role("button", name="Send my clip").click()
            expect(page.get_by_text("your clip is being checked", exact=False).first).to_be_visible()
            # The page reloads itself until the worker has looked at the faces.
            expect(page.locator("[data-cameo-badge]")).to_have_text("Waiting for a moderator", timeout=60_000)
            expect(page.get_by_text("waiting for a moderator", exact=False).first).to_be_visible()

            # A moderator checks the clip against the photos and approves.
            _approve(Case.objects.get(kind="cameo_verification", subject_id=cameo.pk), moderator)
            page.reload()
            expect(page.locator("[data-cameo-badge]")).to_have_text("Verified")

            # Only the people she approves, Bob among them.
            page.get_by_label("People I approve").check()
            with page.expect_response(_page_after_post) as saved:
                page.get_by_role("button", name="Save rules").click()
            assert "Your rules are saved." in saved.value.text()
            page.get_by_label("Handle").fill("bob")
            page.get_by_role("button", name="Approve", exact=True).click()
            expect(page.locator('[data-grant="bob"]')).to_be_visible()
            page.screenshot(path=str(screenshots / "cameo-home-phone.png"), full_page=True)
            cameo.refresh_from_db()
            assert cameo.audience == Cameo.Audience.APPROVED
            assert CameoGrant.objects.filter(cameo=cameo, user=bob).exists()

            # Bob puts her in a video and posts it.
            bob_context, bob_page = _new_page(browser, server["url"], errors)
            contexts.append(bob_context)
            _login(bob_page, bob.handle)
            bob_page.goto("/create/")
            bob_page.get_by_label("Prompt", exact=True).fill(PROMPT)
            bob_page.get_by_label("Duration").fill("1")
            bob_page.get_by_role("radio", name="Fast (low resolution)").check()
            bob_page.get_by_role("button", name="Generate", exact=True).click()
            bob_page.wait_for_url("**/create/jobs/*/")
            job = GenerationJob.objects.get(owner=bob)
            assert Appearance.objects.filter(job_id=job.pk, owner=alice, user=bob).exists()
            expect(bob_page.locator("video.job__video")).to_be_visible(timeout=90_000)
            job.refresh_from_db()
            bob_page.get_by_label("Caption").fill(CAPTION)
            with bob_page.expect_navigation():
                bob_page.get_by_role("button", name="Post to the feed").click()
            post = Post.objects.get(author=bob)
            print(f"draft review: {job.review!r}, post: {post.state}")
            if post.state == Post.State.PENDING_REVIEW:
                # The render showed a face the checks could not tie to Alice (its seed is random):
                # a moderator looks at the post and lets it through.
                held = Case.objects.filter(
                    subject_type=ContentType.objects.get_for_model(Post), subject_id=post.pk
                )
                for case in held.exclude(state=Case.State.DECIDED):
                    _approve(case, moderator)
            post.refresh_from_db()
            assert post.state == Post.State.PUBLISHED and post.job_id == job.pk
            viewer_context, viewer = _new_page(browser, server["url"], errors)
            contexts.append(viewer_context)
            viewer.goto("/")
            expect(_in_feed(viewer, post)).to_have_count(1)

            # Alice sees the video by @bob among the videos with her.
            page.goto("/cameo/appearances/")
            row = page.locator("[data-appearance]").filter(has_text="@bob")
            expect(row).to_have_count(1)
            expect(row).to_contain_text(PROMPT)
            expect(row.locator("[data-appearance-status]")).to_have_text("Allowed")
            video = row.locator("video[data-appearance-video]")
            expect(video).to_be_visible()
            page.wait_for_function(
                "(video) => video.readyState >= 1 && video.videoWidth > 0",
                arg=video.element_handle(),
            )
            expect(row.locator("[data-appearance-post]")).to_have_attribute(
                "href", f"/v/{post.pk}/"
            )
            page.screenshot(path=str(screenshots / "cameo-appearances-phone.png"))

            # She takes Bob off her list: his post leaves the feed at once.
            page.goto("/cameo/")
            page.once("dialog", lambda dialog: dialog.accept())
            with page.expect_response(_page_after_post) as removed:
                page.locator('[data-grant="bob"]').get_by_role("button", name="Remove").click()
            # Toasts fade after a few seconds: read the message in the page as it came.
            assert "1 video with you was taken down" in removed.value.text()
            expect(page.locator('[data-grant="bob"]')).to_have_count(0)
            post.refresh_from_db()
            assert post.state == Post.State.REMOVED
            viewer.reload()
            expect(viewer.locator(".feed__empty")).to_be_visible()
            expect(_in_feed(viewer, post)).to_have_count(0)
            assert viewer.goto(f"/v/{post.pk}/").status == 404

            page.goto("/cameo/appearances/")
            expect(row.locator("[data-appearance-status]")).to_have_text(
                "Consent withdrawn (approval revoked): post unpublished"
            )
            assert errors == []
        except Exception:
            print(f"--- worker log:\n{_log_tail(worker)}\n--- Daphne log:\n{_log_tail(server)}")
            raise
        finally:
            for context in contexts:
                context.close()
