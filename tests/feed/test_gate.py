"""The publication gate (`feed.gate`): captions and videos pass moderation before an upload,
or a draft, reaches the feeds."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils import translation

from accounts.models import Notification
from feed.gate import post_from_draft, post_submit
from feed.models import Post
from generation.models import GenerationJob
from moderation.checks import text_check
from moderation.media.bank import protected_media_add
from moderation.models import Case
from moderation.policy import Decision, RuleHit
from moderation.services import case_decide
from tests.factories import PostFactory, UserFactory, tiny_clip
from tests.support.jobs import run_to_draft, submit_and_send
from tests.support.renders import _small_renders  # noqa: F401

pytestmark = pytest.mark.django_db


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


# --- A draft


def test_posting_a_draft_passes_the_gate(user, sent_jobs, django_capture_on_commit_callbacks):
    job = run_to_draft(submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="fireflies", duration=1, tier="low"),
                       django_capture_on_commit_callbacks, sent_jobs)
    post = post_from_draft(author=user, job_id=job.pk, caption="Summer night")
    assert post.state == Post.State.PUBLISHED and post.video and post.job == job
    # A draft flagged for review is held; someone else's draft cannot be posted.
    GenerationJob.objects.filter(pk=job.pk).update(review="review")
    held = post_from_draft(author=user, job_id=job.pk, caption="Again")
    assert held.state == Post.State.PENDING_REVIEW
    with pytest.raises(ValidationError):
        post_from_draft(author=UserFactory(), job_id=job.pk, caption="Mine")
    with pytest.raises(ValidationError) as error:
        post_from_draft(author=user, job_id=job.pk, caption="Darth Vader in person")
    assert "caption" in error.value.message_dict
