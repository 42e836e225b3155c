"""The gate in front of the feed: captions, videos and comments pass moderation first."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import translation

from accounts.models import Notification
from feed.gate import post_submit
from feed.models import Comment, Post
from feed.services import comment_create
from moderation.checks import text_check
from moderation.media.bank import protected_media_add
from moderation.models import Case
from moderation.policy import Category, Decision, RuleHit, Verdict
from moderation.policy.verdict import Match
from moderation.services import case_decide
from tests.factories import PostFactory, UserFactory, tiny_clip

from .test_cases import make_moderator


def submit(author, caption="A quiet walk at dusk", video: bytes | None = None):
    clip, poster = tiny_clip()
    return post_submit(
        author=author,
        video=ContentFile(video if video is not None else clip, name="clip.mp4"),
        poster=ContentFile(poster, name="poster.jpg"),
        duration=1.0, width=64, height=112, caption=caption,
    )


def first_rule(text: str, context: str) -> RuleHit:
    return text_check(text=text, context=context).rules[0]


@pytest.fixture
def moderator(db):
    return make_moderator()


def test_an_allowed_post_is_published_at_once(user):
    post = submit(user)
    assert post.state == Post.State.PUBLISHED
    assert post.video.size == len(tiny_clip()[0])
    assert not Case.objects.exists()
    user.refresh_from_db()
    assert user.post_count == 1


def test_a_blocked_caption_is_refused_with_its_category_and_rule_and_creates_nothing(user):
    caption = "Darth Vader playing the violin"
    hit = first_rule(caption, "caption")
    with pytest.raises(ValidationError) as refused:
        submit(user, caption=caption)
    message = refused.value.message_dict["caption"][0]
    assert hit.rule in message and "copyrighted work" in message
    assert not Post.objects.exists() and not Case.objects.exists()


def test_the_refusal_is_in_the_author_s_language(user):
    caption = "Darth Vader playing the violin"
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        submit(user, caption=caption)
    assert first_rule(caption, "caption").rule in refused.value.message_dict["caption"][0]


def test_a_caption_to_review_holds_the_post_with_a_case_and_its_evidence(user):
    caption = "Nike shoes on a skateboard"
    verdict = text_check(text=caption, context="caption")
    assert verdict.decision == Decision.REVIEW
    post = submit(user, caption=caption)
    assert post.state == Post.State.PENDING_REVIEW
    case = Case.objects.get()
    assert case.kind == Case.Kind.HELD_POST and case.subject == post and case.subject_owner == user
    assert case.evidence["text"]["rules"][0]["rule"] == verdict.rules[0].rule
    assert case.evidence["media"]["frames_checked"] >= 1
    assert case.evidence["policy_version"]
    assert "trademark" in case.categories
    user.refresh_from_db()
    assert user.post_count == 0


@pytest.mark.parametrize(
    ("caption", "field"),
    [("x" * 501, "caption"), ("line one\x00hidden", "caption"), ("bell\x07", "caption")],
)
def test_bad_captions_are_refused(user, caption, field):
    with pytest.raises(ValidationError) as refused:
        submit(user, caption=caption)
    assert field in refused.value.message_dict
    assert not Post.objects.exists()


def test_an_empty_caption_is_fine(user):
    assert submit(user, caption="   ").state == Post.State.PUBLISHED


def test_a_video_that_cannot_be_decoded_goes_to_review(user):
    post = submit(user, video=b"\x00\x00\x00 not a video at all")
    assert post.state == Post.State.PENDING_REVIEW
    case = Case.objects.get()
    assert case.evidence["media_unchecked"] is True


def test_a_video_matching_the_bank_is_refused_naming_the_rule(user):
    entry = protected_media_add(label="Film", category="copyright", file=io.BytesIO(tiny_clip()[0])).entry
    with pytest.raises(ValidationError) as refused:
        submit(user)
    message = refused.value.message_dict["video"][0]
    assert f"media:pdq:{entry.pk}" in message and "copyrighted work" in message
    assert not Post.objects.exists()


def test_new_accounts_are_held_for_their_first_posts(user, settings):
    settings.MODERATION_HOLD_FIRST_POSTS = 2
    first, second, third = submit(user), submit(user), submit(user)
    assert [p.state for p in (first, second, third)] == [
        Post.State.PENDING_REVIEW, Post.State.PENDING_REVIEW, Post.State.PUBLISHED,
    ]
    assert all(c.evidence["new_account"] for c in Case.objects.all())


def test_approving_a_held_post_publishes_it(user, moderator, django_capture_on_commit_callbacks):
    post = submit(user, caption="Nike shoes on a skateboard")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=Case.objects.get(), moderator=moderator, action="approve")
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED and post.published_at
    assert Notification.objects.get(recipient=user).verb == Notification.Verb.MODERATION_APPROVED


def test_rejecting_a_held_post_removes_it(user, moderator, django_capture_on_commit_callbacks):
    post = submit(user, caption="Nike shoes on a skateboard")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=Case.objects.get(), moderator=moderator, action="reject")
    post.refresh_from_db()
    assert post.state == Post.State.REMOVED


def test_escalating_leaves_the_post_held(user, moderator, django_capture_on_commit_callbacks):
    post = submit(user, caption="Nike shoes on a skateboard")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=Case.objects.get(), moderator=moderator, action="escalate", note="Brand lawyers?")
    post.refresh_from_db()
    assert post.state == Post.State.PENDING_REVIEW


def test_the_trusted_path_still_publishes_directly(user):
    post = PostFactory(author=user, caption="Darth Vader")
    assert post.state == Post.State.PUBLISHED


# --- Comments


def test_a_comment_to_review_is_posted_and_opens_a_flagged_case(user):
    post = PostFactory()
    body = "Looks like Darth Vader"
    assert text_check(text=body, context="comment").decision == Decision.REVIEW
    comment = comment_create(author=user, post_id=post.pk, body=body)
    case = Case.objects.get()
    assert case.kind == Case.Kind.FLAGGED_COMMENT and case.subject == comment
    assert case.evidence["text"]["decision"] == "review"


def test_a_blocked_comment_is_refused_naming_the_rule(user, monkeypatch):
    post = PostFactory()
    hit = RuleHit(rule="minor:test", category=Category.MINOR, action=Decision.BLOCK, matched="x", term="x", match=Match.EXACT)
    verdict = Verdict(decision=Decision.BLOCK, categories=(Category.MINOR,), rules=(hit,), policy_version="t")
    monkeypatch.setattr("moderation.checks.text_check", lambda **kwargs: verdict)
    with pytest.raises(ValidationError) as refused:
        comment_create(author=user, post_id=post.pk, body="anything")
    assert "minor:test" in refused.value.message_dict["body"][0]
    assert not Comment.objects.exists()


def test_rejecting_a_flagged_comment_takes_it_down(user, moderator, django_capture_on_commit_callbacks):
    post = PostFactory()
    comment_create(author=user, post_id=post.pk, body="Looks like Darth Vader")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=Case.objects.get(), moderator=moderator, action="reject")
    assert not Comment.objects.exists()
    post.refresh_from_db()
    assert post.comment_count == 0


def test_an_allowed_comment_opens_no_case(user):
    comment_create(author=user, post_id=PostFactory().pk, body="Lovely light")
    assert not Case.objects.exists()


# --- A new bank entry


@pytest.fixture
def eager_tasks():
    """Run tasks in the calling process, so a test sees what the worker would do."""
    from config.celery_app import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_a_new_bank_entry_sends_matching_published_posts_back_to_review(db, django_capture_on_commit_callbacks, eager_tasks):
    matching = PostFactory()
    other_author = UserFactory()
    with django_capture_on_commit_callbacks(execute=True):
        entry = protected_media_add(label="Film", category="copyright", file=io.BytesIO(tiny_clip()[0])).entry
    matching.refresh_from_db()
    assert matching.state == Post.State.PENDING_REVIEW
    case = Case.objects.get()
    assert case.kind == Case.Kind.FLAGGED_MEDIA and case.subject == matching
    assert case.evidence["bank_entry"]["id"] == entry.pk
    assert any(f["rule"] == f"media:pdq:{entry.pk}" and f["time"] is not None for f in case.evidence["media"]["findings"])
    assert "copyright" in case.categories
    assert not Case.objects.filter(subject_owner=other_author).exists()


def test_a_bank_entry_that_matches_nothing_changes_nothing(db, django_capture_on_commit_callbacks, eager_tasks):
    from skimage import data

    from tests.moderation.media.pictures import png_bytes

    post = PostFactory()
    with django_capture_on_commit_callbacks(execute=True):
        protected_media_add(label="Coffee", category="copyright", file=io.BytesIO(png_bytes(data.coffee())))
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert not Case.objects.exists()


def test_evidence_is_plain_json_even_when_detectors_return_numpy_values():
    import numpy as np

    from moderation.checks import evidence_from_verdicts
    from moderation.media.types import Decision as MediaDecision
    from moderation.media.types import Finding, MediaVerdict

    finding = Finding(
        check="face_bank", category="public_figure", rule="media:face:1", action=MediaDecision.REVIEW,
        score=0.4, frame_index=0, time=0.5, evidence={"box": np.array([1, 2, 3, 4]), "distance": np.float32(0.25)},
    )
    verdict = MediaVerdict(
        decision=MediaDecision.REVIEW, findings=(finding,), checks_run=("face_bank",), checks_failed=(), policy_version="m",
    )
    evidence, categories = evidence_from_verdicts(media=verdict)
    assert evidence["media"]["findings"][0]["evidence"] == {"box": [1, 2, 3, 4], "distance": 0.25}
    assert categories == ["public_figure"]
