"""The web interface in a real browser: sign-up, the player, likes, comments, follows, languages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import Follow
from feed.models import Comment, Like
from feed.services import comment_create
from tests.conftest import PASSWORD
from tests.factories import PostFactory, UserFactory

from .conftest import DESKTOP

pytestmark = pytest.mark.e2e

PLAYING = """(slide) => {
    const video = slide.querySelector("video");
    return video.readyState >= 2 && !video.paused && video.currentTime > 0;
}"""


def _login(page, handle: str, password: str = PASSWORD) -> None:
    page.goto("/login/")
    page.get_by_label("Handle").fill(handle)
    page.get_by_label("Password").fill(password)
    page.locator("form.form").get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def _slide(page, index: int = 0):
    return page.locator("[data-slide]").nth(index)


def _active(page):
    return page.locator("[data-slide].is-active")


def _current_time(page, slide) -> float:
    return slide.locator("video").evaluate("(video) => video.currentTime")


def test_sign_up_then_watch_a_video_play(page, screenshots):
    PostFactory(caption="Orbs at dusk")
    PostFactory(caption="Second clip")
    page.goto("/signup/")
    page.get_by_label("Handle").fill("Browser.Fan")
    page.get_by_label("Email").fill("fan@example.org")
    page.get_by_label("Date of birth").fill("1999-04-02")
    page.get_by_label("Password", exact=True).fill("Quiet-Harbor-58")
    page.get_by_label("Password again").fill("Quiet-Harbor-58")
    page.get_by_role("button", name="Sign up").click()
    # Signing up does not sign in (the answer must not tell whether the email was known).
    page.wait_for_url(re.compile(r"/login/\?handle=Browser\.Fan$"))
    expect(page.get_by_text("Your account is ready, @Browser.Fan. Log in to start.")).to_be_visible()
    expect(page.get_by_label("Handle")).to_have_value("Browser.Fan")
    page.get_by_label("Password").fill("Quiet-Harbor-58")
    page.locator("form.form").get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
    expect(page.locator("body")).to_have_attribute("data-auth", "1")
    expect(page.get_by_role("link", name="Log in")).to_have_count(0)

    first = _slide(page)
    expect(first).to_have_class(re.compile(r"\bis-active\b"))
    page.wait_for_function(PLAYING, arg=first.element_handle())
    state = first.locator("video").evaluate(
        "(v) => ({ready: v.readyState, muted: v.muted, width: v.videoWidth, src: v.currentSrc})"
    )
    assert state["ready"] >= 2 and state["muted"] and state["width"] == 64
    assert "/media/videos/" in state["src"]
    before = _current_time(page, first)
    page.wait_for_timeout(400)
    after = _current_time(page, first)
    assert after != before, "the video's clock should move while it plays"
    page.screenshot(path=str(screenshots / "feed-phone.png"))
    assert page.errors == []


def test_like_shows_at_once_and_persists(page):
    post = PostFactory(caption="Like me")
    fan = UserFactory()
    _login(page, fan.handle)
    like = _slide(page).locator('[data-el="like"]')
    count = _slide(page).locator('[data-el="like-count"]')
    expect(like).to_have_attribute("aria-pressed", "false")
    expect(count).to_have_text("0")
    with page.expect_response(lambda r: r.url.endswith(f"/posts/{post.pk}/like/")) as answer:
        like.click()
        expect(like).to_have_attribute("aria-pressed", "true")
        expect(count).to_have_text("1")
    assert answer.value.ok
    page.reload()
    like = _slide(page).locator('[data-el="like"]')
    expect(like).to_have_attribute("aria-pressed", "true")
    expect(_slide(page).locator('[data-el="like-count"]')).to_have_text("1")
    assert Like.objects.filter(user=fan, post=post).exists()
    # Wait for the server's answer: a reload straight after the click could cancel it.
    with page.expect_response(lambda r: r.url.endswith(f"/posts/{post.pk}/like/")) as answer:
        like.click()
        expect(like).to_have_attribute("aria-pressed", "false")
        expect(_slide(page).locator('[data-el="like-count"]')).to_have_text("0")
    assert answer.value.ok
    page.reload()
    expect(_slide(page).locator('[data-el="like"]')).to_have_attribute("aria-pressed", "false")


def test_comment_appears_in_the_drawer_and_can_be_deleted(page, screenshots):
    post = PostFactory(caption="Talk about me")
    comment_create(author=post.author, post_id=post.pk, body="Author was here")
    reader = UserFactory()
    _login(page, reader.handle)
    _slide(page).locator('[data-el="comment"]').click()
    sheet = page.locator("#comments-sheet")
    expect(sheet).to_be_visible()
    expect(sheet.locator("[data-comment]")).to_have_count(1)
    expect(sheet.get_by_text("Author was here")).to_be_visible()

    text = "Lovely colours <b>not bold</b>"
    box = sheet.get_by_label("Add a comment")
    expect(box).to_be_focused()
    box.fill(text)
    sheet.get_by_role("button", name="Post").click()
    newest = sheet.locator("[data-comment]").first
    expect(newest.locator(".comment__body")).to_have_text(text)
    assert newest.locator("b").count() == 0
    expect(sheet.locator("[data-comments-count]")).to_have_text("2")
    expect(_slide(page).locator('[data-el="comment-count"]')).to_have_text("2")
    page.screenshot(path=str(screenshots / "comments-phone.png"))
    assert Comment.objects.filter(post=post, author=reader, body=text).exists()

    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    page.reload()
    _slide(page).locator('[data-el="comment"]').click()
    expect(sheet.locator(".comment__body").first).to_have_text(text)
    mine = sheet.locator("[data-comment]").filter(has_text=text)
    expect(sheet.locator("[data-comment]").filter(has_text="Author was here").get_by_role("button")).to_have_count(0)
    with page.expect_response(lambda r: "/api/v1/comments/" in r.url) as answer:
        mine.get_by_role("button", name="Delete comment").click()
        expect(mine).to_have_count(0)
    assert answer.value.ok
    expect(_slide(page).locator('[data-el="comment-count"]')).to_have_text("1")
    assert not Comment.objects.filter(author=reader).exists()


def test_follow_from_the_feed_then_unfollow_on_the_profile(page):
    author = UserFactory(handle="creator")
    PostFactory(author=author)
    fan = UserFactory()
    _login(page, fan.handle)
    follow = _slide(page).get_by_role("button", name="Follow @creator")
    expect(follow).to_have_attribute("aria-pressed", "false")
    with page.expect_response(lambda r: r.url.endswith("/users/creator/follow/")) as answer:
        follow.click()
        expect(follow).to_have_attribute("aria-pressed", "true")
    assert answer.value.json()["following"] is True
    expect(page.get_by_text("You follow @creator.")).to_be_visible()
    page.goto("/@creator/")
    followers = page.locator("[data-follower-count]")
    expect(followers).to_have_text("1")
    button = page.locator(".profile [data-follow-button]")
    expect(button).to_have_text("Following")
    assert Follow.objects.filter(follower=fan, followee=author).exists()
    with page.expect_response(lambda r: "/follow/" in r.url) as answer:
        button.click()
        expect(button).to_have_text("Follow")
        expect(followers).to_have_text("0")
    assert answer.value.status < 400
    page.reload()
    expect(page.locator("[data-follower-count]")).to_have_text("0")
    expect(page.locator(".profile [data-follow-button]")).to_have_text("Follow")
    button = page.locator(".profile [data-follow-button]")
    button.click()
    expect(button).to_have_text("Following")
    expect(followers).to_have_text("1")


def test_visitors_can_watch_but_are_asked_to_log_in_to_act(page):
    PostFactory(caption="Public clip")
    page.goto("/")
    page.wait_for_function(PLAYING, arg=_slide(page).element_handle())
    _slide(page).locator('[data-el="like"]').click()
    prompt = page.locator("#login-prompt")
    expect(prompt).to_be_visible()
    expect(prompt).to_contain_text("Log in to like videos.")
    prompt.get_by_role("button", name="Not now").click()
    expect(prompt).to_be_hidden()
    expect(_slide(page).locator('[data-el="like-count"]')).to_have_text("0")
    _slide(page).locator('[data-el="comment"]').click()
    sheet = page.locator("#comments-sheet")
    expect(sheet.get_by_role("link", name="Log in to comment")).to_be_visible()


def test_switch_to_french(new_page):
    PostFactory()
    page = new_page(permissions=["clipboard-read", "clipboard-write"])
    page.goto("/")
    expect(page.get_by_role("link", name="For you")).to_be_visible()
    page.locator("summary.menu__trigger").click()
    page.locator(".menu__lang").get_by_role("button", name="Français").click()
    page.wait_for_load_state()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Pour vous")).to_be_visible()
    expect(page.get_by_role("link", name="Abonnements")).to_be_visible()
    expect(_slide(page).get_by_role("button", name="J’aime")).to_be_visible()
    _slide(page).get_by_role("button", name="Partager").click()
    expect(page.get_by_text("Lien copié dans le presse-papiers.")).to_be_visible()
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert re.fullmatch(r"http://[^/]+/v/\d+/", copied)
    page.goto("/signup/")
    expect(page.get_by_role("heading", name="Créer votre compte")).to_be_visible()


def test_keyboard_controls(new_page):
    for index in range(3):
        PostFactory(caption=f"Clip {index}")
    page = new_page(viewport=DESKTOP)
    page.goto("/")
    first = _slide(page, 0)
    page.wait_for_function(PLAYING, arg=first.element_handle())
    page.keyboard.press("k")
    expect(first).to_have_class(re.compile(r"\bis-paused\b"))
    assert first.locator("video").evaluate("(v) => v.paused")
    page.keyboard.press("Space")
    page.wait_for_function(PLAYING, arg=first.element_handle())
    page.keyboard.press("m")
    expect(page.locator("body")).to_have_attribute("data-sound", "on")
    assert first.locator("video").evaluate("(v) => !v.muted")
    page.keyboard.press("j")
    expect(_slide(page, 1)).to_have_class(re.compile(r"\bis-active\b"))
    expect(_slide(page, 1)).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(_slide(page, 2)).to_have_class(re.compile(r"\bis-active\b"))
    page.wait_for_function(PLAYING, arg=_slide(page, 2).element_handle())
    assert first.locator("video").evaluate("(v) => v.paused")
    page.keyboard.press("ArrowUp")
    expect(_slide(page, 1)).to_have_class(re.compile(r"\bis-active\b"))
    page.keyboard.press("M")
    expect(page.locator("body")).to_have_attribute("data-sound", "off")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.closest('[data-slide]') === document.querySelectorAll('[data-slide]')[1]")
    assert focused, "Tab moves into the controls of the video in view"
    outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.press("Shift+?")
    expect(page.locator("#shortcuts")).to_be_visible()


def test_feed_loads_more_without_repeating_videos(new_page, settings):
    settings.FEED_PAGE_SIZE = 4
    posts = [PostFactory(caption=f"Endless {index}") for index in range(10)]
    page = new_page(viewport=DESKTOP)
    page.goto("/")
    expect(page.locator("[data-slide]")).to_have_count(4)
    expect(_slide(page, 0)).to_have_class(re.compile(r"\bis-active\b"))
    for step in range(9):
        page.keyboard.press("j")
        expect(_slide(page, step + 1)).to_have_class(re.compile(r"\bis-active\b"))
    expect(page.locator("[data-slide]")).to_have_count(10)
    ids = page.locator("[data-slide]").evaluate_all("(slides) => slides.map((s) => s.dataset.postId)")
    assert sorted(map(int, ids)) == sorted(p.pk for p in posts)
    page.keyboard.press("j")
    expect(page.locator("[data-feed-end]")).to_be_visible()
    page.wait_for_function(PLAYING, arg=_slide(page, 9).element_handle())


def test_video_page_and_profile_on_a_phone(page, screenshots):
    author = UserFactory(handle="maker", display_name="Mia Maker", bio="Tiny worlds.")
    post = PostFactory(author=author, caption="Shared by link")
    PostFactory(author=author, caption="Another one")
    for index in range(12):
        comment_create(author=UserFactory(), post_id=post.pk, body=f"Older comment {index}")
    _login(page, UserFactory().handle)
    page.goto(f"/v/{post.pk}/")
    comments = page.locator(".post-page [data-comments]")
    expect(comments.locator("[data-comment]")).to_have_count(10)
    comments.get_by_role("button", name="Load more comments").click()
    expect(comments.locator("[data-comment]")).to_have_count(12)
    expect(comments.get_by_role("button", name="Load more comments")).to_be_hidden()
    _slide(page).locator('[data-el="comment"]').click()
    box = comments.get_by_label("Add a comment")
    expect(box).to_be_focused()
    box.fill("Straight from the video page")
    box.press("Control+Enter")
    expect(comments.locator("[data-comment]").first).to_contain_text("Straight from the video page")
    expect(_slide(page).locator('[data-el="comment-count"]')).to_have_text("13")
    expect(comments.locator("[data-comments-count]")).to_have_text("13")
    expect(page.locator("meta[property='og:video']")).to_have_attribute(
        "content", re.compile(rf"^http://.+{re.escape(post.video.url)}$")
    )
    page.evaluate("() => window.scrollTo(0, 0)")
    page.wait_for_function(PLAYING, arg=_slide(page).element_handle())
    page.screenshot(path=str(screenshots / "post-phone.png"))
    page.get_by_role("link", name="Mia Maker").first.click()
    page.wait_for_url("**/@maker/")
    expect(page.get_by_role("heading", name="Mia Maker")).to_be_visible()
    expect(page.locator(".grid__item")).to_have_count(2)
    page.screenshot(path=str(screenshots / "profile-phone.png"), full_page=True)
    page.locator(".grid__item").last.click()
    page.wait_for_url(f"**/v/{post.pk}/")
    assert page.errors == []
