"""Likes, comments and posts: idempotent, exact, and only on what one may see; comments under
moderation; published posts rechecked against a new bank entry."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.models import Notification
from accounts.services import block_create
from feed.models import Comment, Like, Post
from feed.services import (
    comment_create,
    comment_delete,
    like_create,
    like_delete,
    post_delete,
    post_unpublish,
    post_update,
    rank_score,
)
from moderation.checks import text_check
from moderation.media.bank import protected_media_add
from moderation.models import Case
from moderation.policy import Category, Decision, RuleHit, Verdict
from moderation.policy.verdict import Match
from moderation.services import case_decide
from tests.factories import PostFactory, UserFactory, tiny_clip

pytestmark = pytest.mark.django_db


def test_like_and_unlike_are_idempotent_with_an_exact_count(user):
    post = PostFactory()
    assert like_create(user=user, post_id=post.pk) == (True, 1)
    assert like_create(user=user, post_id=post.pk) == (False, 1)
    assert Like.objects.count() == 1
    assert like_delete(user=user, post_id=post.pk) == (True, 0)
    assert like_delete(user=user, post_id=post.pk) == (False, 0)
    post.refresh_from_db()
    assert post.like_count == 0


def test_likes_raise_the_rank_score(user):
    post = PostFactory()
    before = Post.objects.get(pk=post.pk).rank_score
    like_create(user=user, post_id=post.pk)
    after = Post.objects.get(pk=post.pk)
    assert after.rank_score > before
    assert after.rank_score == pytest.approx(rank_score(fresh_score=after.fresh_score, like_count=1, comment_count=0))


def test_liking_a_missing_or_unpublished_post_changes_nothing(user):
    with pytest.raises(Post.DoesNotExist):
        like_create(user=user, post_id=999_999)
    for state in (Post.State.PENDING_REVIEW, Post.State.REMOVED):
        post = PostFactory(state=state)
        with pytest.raises(Post.DoesNotExist):
            like_create(user=user, post_id=post.pk)
        post.refresh_from_db()
        assert post.like_count == 0
    assert not Like.objects.exists()


def test_blocked_people_cannot_like_or_comment(user, django_capture_on_commit_callbacks):
    post = PostFactory()
    with django_capture_on_commit_callbacks(execute=True):
        block_create(blocker=post.author, blocked=user)
    with pytest.raises(Post.DoesNotExist):
        like_create(user=user, post_id=post.pk)
    with pytest.raises(Post.DoesNotExist):
        comment_create(author=user, post_id=post.pk, body="hi")


def test_authors_are_notified_of_likes_and_comments_but_not_of_their_own(user):
    post = PostFactory()
    like_create(user=user, post_id=post.pk)
    comment_create(author=user, post_id=post.pk, body="Great")
    like_create(user=post.author, post_id=post.pk)
    verbs = sorted(Notification.objects.filter(recipient=post.author).values_list("verb", flat=True))
    assert verbs == ["comment", "like"]


@pytest.mark.parametrize("body", ["", "   ", "x" * 1001, "x" * 10_000, "bad\x00byte"])
def test_empty_huge_or_control_character_comments_are_refused(user, body):
    post = PostFactory()
    with pytest.raises(ValidationError) as err:
        comment_create(author=user, post_id=post.pk, body=body)
    assert "body" in err.value.message_dict
    post.refresh_from_db()
    assert post.comment_count == 0 and not Comment.objects.exists()


def test_comments_are_stored_as_written_and_counted(user):
    post = PostFactory()
    comment = comment_create(author=user, post_id=post.pk, body="  <script>alert(1)</script>  ")
    assert comment.body == "<script>alert(1)</script>"
    post.refresh_from_db()
    assert post.comment_count == 1


def test_comment_can_be_deleted_by_its_author_or_the_post_author_only(user, other_user):
    post = PostFactory()
    first = comment_create(author=user, post_id=post.pk, body="one")
    second = comment_create(author=user, post_id=post.pk, body="two")
    with pytest.raises(PermissionDenied):
        comment_delete(comment=first, user=other_user)
    comment_delete(comment=first, user=user)
    comment_delete(comment=second, user=post.author)
    post.refresh_from_db()
    assert post.comment_count == 0 and not Comment.objects.exists()


def test_only_the_author_edits_or_deletes_a_post(user, django_capture_on_commit_callbacks):
    post = PostFactory()
    with pytest.raises(PermissionDenied):
        post_update(post=post, user=user, caption="mine now")
    with pytest.raises(PermissionDenied):
        post_delete(post=post, user=user)
    post_update(post=post, user=post.author, caption="  Edited  ")
    assert Post.objects.get(pk=post.pk).caption == "Edited"
    with pytest.raises(ValidationError):
        post_update(post=post, user=post.author, caption="x" * 501)
    video_name = post.video.name
    author = post.author
    with django_capture_on_commit_callbacks(execute=True):
        post_delete(post=post, user=author)
    assert not Post.objects.exists()
    assert not post.video.storage.exists(video_name)
    author.refresh_from_db()
    assert author.post_count == 0


def test_post_counts_follow_publication():
    author = UserFactory()
    post = PostFactory(author=author)
    PostFactory(author=author, state=Post.State.PENDING_REVIEW)
    author.refresh_from_db()
    assert author.post_count == 1
    post_unpublish(post=post)
    author.refresh_from_db()
    assert author.post_count == 0


# --- Comments under moderation


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


def test_a_post_taken_down_is_no_longer_at_its_public_address_and_comes_back_when_restored(
    client, django_capture_on_commit_callbacks
):
    from feed.services import post_publish

    post = PostFactory()
    public_video, public_poster = post.video.name, post.poster.name
    assert client.get(post.video.url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        post_unpublish(post=post, state=Post.State.REMOVED)
    post.refresh_from_db()
    assert post.video.name == f"withheld/{public_video}" and post.poster.name == f"withheld/{public_poster}"
    assert client.get(f"/media/{public_video}").status_code == 404
    assert client.get(f"/media/{public_poster}").status_code == 404
    assert client.get(f"/media/{post.video.name}").status_code == 404  # withheld/ is never served
    with django_capture_on_commit_callbacks(execute=True):
        post_publish(post=post)
    post.refresh_from_db()
    assert post.video.name == public_video
    response = client.get(post.video.url)
    assert response.status_code == 200 and response["Cache-Control"] == "public, max-age=60"


def test_a_post_held_at_creation_never_reaches_the_public_folders(user):
    from django.core.files.base import ContentFile

    from feed.services import post_create

    video, poster = tiny_clip()
    post = post_create(author=user, video=ContentFile(video), poster=ContentFile(poster), duration=1.0,
                       width=64, height=112, publish=False)
    assert post.video.name.startswith("withheld/videos/") and post.poster.name.startswith("withheld/posters/")
