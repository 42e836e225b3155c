"""Appeals: the author of something removed or refused may ask, once, for a second look."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Notification
from feed.models import Post
from moderation.models import Case
from moderation.selectors import appeals_of
from moderation.services import appeal_create, case_decide, case_open
from moderation.subjects import SubjectNotFound
from tests.factories import PostFactory, UserFactory

from .test_cases import make_moderator


@pytest.fixture
def moderator(db):
    return make_moderator()


@pytest.fixture
def rejected(moderator, django_capture_on_commit_callbacks):
    """A held post a moderator rejected, and the case."""
    post = PostFactory(state=Post.State.PENDING_REVIEW)
    case = case_open(kind="held_post", subject=post, evidence={"text": {"rules": [{"rule": "cr:x"}]}}, categories=["copyright"])
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=case, moderator=moderator, action="reject", note="Looks like a film still.")
    post.refresh_from_db()
    assert post.state == Post.State.REMOVED
    return post, case


def test_the_author_appeals_a_rejection_once(rejected):
    post, case = rejected
    appeal = appeal_create(user=post.author, case=case, message="It is my own drawing.")
    assert appeal.kind == Case.Kind.APPEAL and appeal.parent == case and appeal.subject == post
    assert appeal.message == "It is my own drawing." and appeal.subject_owner == post.author
    assert appeal.evidence["decision"]["note"] == "Looks like a film still."
    assert appeal.evidence["original_evidence"] == case.evidence
    with pytest.raises(ValidationError, match="already appealed"):
        appeal_create(user=post.author, case=case, message="Please!")
    assert list(appeals_of(user=post.author)) == [appeal]


def test_an_appeal_can_name_the_removed_post(rejected):
    post, case = rejected
    appeal = appeal_create(user=post.author, subject_type="post", subject_id=post.pk, message="Mine.")
    assert appeal.parent == case


def test_only_the_author_can_appeal(rejected, user):
    post, case = rejected
    with pytest.raises(SubjectNotFound):
        appeal_create(user=user, case=case, message="Not mine but still.")
    with pytest.raises(SubjectNotFound):
        appeal_create(user=user, subject_type="post", subject_id=post.pk, message="Not mine.")


def test_an_approved_or_open_case_cannot_be_appealed(moderator, user):
    post = PostFactory(author=user, state=Post.State.PENDING_REVIEW)
    case = case_open(kind="held_post", subject=post, categories=["copyright"])
    with pytest.raises(ValidationError):
        appeal_create(user=user, case=case, message="Why the wait?")
    case_decide(case=case, moderator=moderator, action="approve")
    with pytest.raises(ValidationError):
        appeal_create(user=user, case=case, message="Thanks?")
    published = PostFactory(author=user)
    with pytest.raises(ValidationError, match="no decision"):
        appeal_create(user=user, subject_type="post", subject_id=published.pk, message="Hmm.")


@pytest.mark.parametrize("message", ["", "   ", "x" * 1001, "bad\x00byte"])
def test_bad_messages_are_refused(rejected, message):
    post, case = rejected
    with pytest.raises(ValidationError):
        appeal_create(user=post.author, case=case, message=message)
    assert not Case.objects.filter(kind=Case.Kind.APPEAL).exists()


def test_an_approved_appeal_restores_the_post(rejected, moderator, django_capture_on_commit_callbacks):
    post, case = rejected
    appeal = appeal_create(user=post.author, case=case, message="It is my own drawing.")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=appeal, moderator=make_moderator(), action="approve", note="Original work.")
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert Notification.objects.filter(recipient=post.author, verb=Notification.Verb.MODERATION_APPROVED).exists()


def test_a_rejected_appeal_leaves_the_post_removed(rejected, moderator, django_capture_on_commit_callbacks):
    post, case = rejected
    appeal = appeal_create(user=post.author, case=case, message="Please.")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=appeal, moderator=moderator, action="reject")
    post.refresh_from_db()
    assert post.state == Post.State.REMOVED
    with pytest.raises(ValidationError):
        appeal_create(user=post.author, case=appeal, message="Again.")


def test_an_upheld_report_can_be_appealed_by_the_author(moderator, django_capture_on_commit_callbacks):
    from moderation.services import report_create

    post = PostFactory()
    report_create(reporter=UserFactory(), subject_type="post", subject_id=post.pk, reason="copyright")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=Case.objects.get(), moderator=moderator, action="reject")
    appeal = appeal_create(user=post.author, subject_type="post", subject_id=post.pk, message="Licensed music.")
    assert appeal.parent.kind == Case.Kind.REPORT
