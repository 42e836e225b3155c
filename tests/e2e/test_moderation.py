"""Moderation in a real browser: the review queue, a case, reporting and its outcome."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from feed.gate import post_submit
from feed.models import Post
from moderation.models import Case, Report
from tests.factories import PostFactory, UserFactory, tiny_clip
from tests.moderation.test_views import make_moderator

from .conftest import DESKTOP
from .test_web import _login

pytestmark = pytest.mark.e2e


def _in_feed(page, caption: str):
    return page.locator(f'[data-slide][data-caption="{caption}"]')


def test_a_held_post_is_approved_in_the_queue_then_shows_in_the_feed(new_page, settings):
    settings.MODERATION_HOLD_FIRST_POSTS = 1
    author = UserFactory()
    clip, poster = tiny_clip()
    post = post_submit(
        author=author, video=ContentFile(clip, name="clip.mp4"), poster=ContentFile(poster, name="poster.jpg"),
        duration=1.0, width=64, height=112, caption="Sunrise over the bay",
    )
    assert post.state == Post.State.PENDING_REVIEW
    case = Case.objects.get(kind="held_post", subject_id=post.pk)
    PostFactory(caption="Something else")

    viewer = new_page()
    _login(viewer, UserFactory().handle)
    expect(viewer.locator("[data-slide]").first).to_be_visible()
    expect(_in_feed(viewer, "Sunrise over the bay")).to_have_count(0)

    moderator = make_moderator()
    mod = new_page(viewport=DESKTOP)
    _login(mod, moderator.handle)
    mod.goto("/moderation/")
    row = mod.locator(f'tr[data-case-id="{case.pk}"]')
    expect(row).to_contain_text("Held post")
    row.get_by_role("link", name="Held post").click()
    expect(mod.locator("video[controls]")).to_have_count(1)
    with mod.expect_response(lambda r: r.url.endswith(f"/moderation/cases/{case.pk}/claim/")) as answer:
        mod.get_by_role("button", name="Claim").click()
    assert answer.value.status == 302
    expect(mod.locator("[data-claimed-by]")).to_contain_text(f"claimed by @{moderator.handle}")
    mod.get_by_label("Approve").check()
    mod.get_by_label("Note").fill("Looks fine")
    with mod.expect_response(lambda r: r.url.endswith(f"/moderation/cases/{case.pk}/decide/")) as answer:
        mod.get_by_role("button", name="Decide").click()
    assert answer.value.status == 302
    expect(mod.get_by_text("Your decision was recorded.")).to_be_visible()
    case.refresh_from_db()
    assert case.outcome == Case.Outcome.APPROVED
    assert case.decisions.get().note == "Looks fine"

    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    viewer.reload()
    expect(_in_feed(viewer, "Sunrise over the bay")).to_have_count(1)


def test_a_report_upheld_in_the_queue_removes_the_post_and_the_reporter_sees_it(new_page):
    post = PostFactory(caption="Buy cheap watches")
    PostFactory(caption="A calm lake")
    reporter = UserFactory()
    page = new_page()
    _login(page, reporter.handle)
    expect(_in_feed(page, "Buy cheap watches")).to_have_count(1)
    page.goto(f"/v/{post.pk}/")
    page.locator(".post-card__report").click()
    page.get_by_label("Spam").check()
    page.get_by_label("Anything else we should know? (optional)").fill("Adverts everywhere")
    with page.expect_response(lambda r: r.url.endswith(f"/moderation/report/post/{post.pk}/")) as answer:
        page.get_by_role("button", name="Send report").click()
    assert answer.value.status == 302
    expect(page.get_by_text("your report was sent to our moderators")).to_be_visible()
    report = Report.objects.get(reporter=reporter)
    assert report.reason == "spam" and report.text == "Adverts everywhere"

    moderator = make_moderator()
    mod = new_page(viewport=DESKTOP)
    _login(mod, moderator.handle)
    mod.goto("/moderation/?kind=report")
    row = mod.locator(f'tr[data-case-id="{report.case_id}"]')
    expect(row).to_contain_text("1 report")
    row.locator('input[name="cases"]').check()
    mod.locator('input[name="note"]').fill("Spam account")
    with mod.expect_response(lambda r: r.url.endswith("/moderation/decide/")) as answer:
        mod.get_by_role("button", name="Reject selected").click()
    assert answer.value.status == 302
    expect(mod.get_by_text("Decided: 1 case(s).")).to_be_visible()
    post.refresh_from_db()
    assert post.state != Post.State.PUBLISHED

    page.goto("/")
    expect(page.locator("[data-slide]").first).to_be_visible()
    expect(_in_feed(page, "Buy cheap watches")).to_have_count(0)
    page.goto("/moderation/reports/")
    expect(page.locator(f'[data-report-id="{report.pk}"] [data-report-outcome]')).to_have_text(
        "Upheld: the content was removed."
    )
    page.goto("/notifications/")
    expect(page.get_by_text("acted on your report")).to_be_visible()
