"""Reports of posts, comments and people: one case per subject, one report per reporter."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Notification
from accounts.services import block_create
from feed.models import Post
from moderation.models import Case, Report
from moderation.selectors import reports_of
from moderation.services import (
    PRIORITY_PER_REPORT,
    case_decide,
    case_priority,
    report_create,
)
from moderation.subjects import SubjectNotFound
from tests.factories import CommentFactory, PostFactory, UserFactory

from .test_cases import make_moderator


@pytest.fixture
def post(db):
    return PostFactory()


def report(reporter, subject_type="post", subject_id=None, reason="copyright", text=""):
    return report_create(reporter=reporter, subject_type=subject_type, subject_id=subject_id, reason=reason, text=text)


def test_a_report_opens_a_case_about_the_post(user, post):
    made = report(user, subject_id=post.pk, text="This is a scene from a film.")
    case = made.case
    assert case.kind == Case.Kind.REPORT and case.subject == post and case.subject_owner == post.author
    assert case.report_count == 1 and case.categories == ["copyright"]
    assert case.priority == case_priority(categories=["copyright"], report_count=1)


def test_reports_of_a_comment_and_a_person(user):
    comment = CommentFactory()
    assert report(user, "comment", comment.pk, reason="harassment").case.subject == comment
    person = UserFactory()
    assert report(user, "user", person.handle, reason="spam").case.subject == person


def test_reports_of_one_subject_join_one_open_case(post):
    reporters = [UserFactory() for _ in range(3)]
    reports = [report(r, subject_id=post.pk, reason=reason) for r, reason in zip(reporters, ["spam", "copyright", "minor"], strict=True)]
    case = Case.objects.get()
    assert {r.case_id for r in reports} == {case.pk}
    assert case.report_count == 3
    assert set(case.reports.values_list("reporter", flat=True)) == {r.pk for r in reporters}
    # A minor reason moves the case to the top priority band; each report adds to it.
    assert case.priority >= case_priority(categories=["minor"]) + 2 * PRIORITY_PER_REPORT


def test_one_report_per_reporter_per_subject(user, post):
    report(user, subject_id=post.pk)
    with pytest.raises(ValidationError, match="already reported"):
        report(user, subject_id=post.pk, reason="spam")
    assert Report.objects.count() == 1 and Case.objects.get().report_count == 1


@pytest.mark.parametrize(("subject_type", "subject_id"), [("post", 999999), ("comment", 999999), ("user", "nobody-here"), ("post", "abc")])
def test_reporting_something_that_does_not_exist_is_not_found(user, subject_type, subject_id):
    with pytest.raises(SubjectNotFound):
        report(user, subject_type, subject_id)
    assert not Case.objects.exists()


def test_reporting_something_one_cannot_see_is_not_found(user):
    held = PostFactory(state=Post.State.PENDING_REVIEW)
    with pytest.raises(SubjectNotFound):
        report(user, subject_id=held.pk)
    blocked_author = UserFactory()
    block_create(blocker=blocked_author, blocked=user)
    with pytest.raises(SubjectNotFound):
        report(user, subject_id=PostFactory(author=blocked_author).pk)


def test_bad_reasons_and_texts_are_refused(user, post):
    with pytest.raises(ValidationError):
        report(user, subject_id=post.pk, reason="boring")
    with pytest.raises(ValidationError):
        report(user, subject_id=post.pk, text="x" * 1001)
    with pytest.raises(ValidationError):
        report(user, subject_id=post.pk, text="hidden\x00text")
    with pytest.raises(ValidationError):
        report(user, "nothing", 1)
    assert not Report.objects.exists()


def test_one_cannot_report_oneself(user):
    with pytest.raises(ValidationError):
        report(user, subject_id=PostFactory(author=user).pk)
    with pytest.raises(ValidationError):
        report(user, "user", user.handle)


def test_reporters_see_their_reports_only(user, post):
    mine = report(user, subject_id=post.pk)
    report(UserFactory(), subject_id=post.pk)
    assert list(reports_of(user=user)) == [mine]


def test_an_upheld_report_unpublishes_the_post_and_tells_everyone(post, django_capture_on_commit_callbacks):
    reporters = [UserFactory(), UserFactory()]
    for reporter in reporters:
        report(reporter, subject_id=post.pk)
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=Case.objects.get(), moderator=make_moderator(), action="reject", note="Film clip.")
    post.refresh_from_db()
    assert post.state == Post.State.REMOVED
    post.author.refresh_from_db()
    assert post.author.post_count == 0
    for reporter in reporters:
        assert Notification.objects.get(recipient=reporter).verb == Notification.Verb.REPORT_UPHELD
    assert Notification.objects.get(recipient=post.author).verb == Notification.Verb.MODERATION_REJECTED


def test_a_dismissed_report_keeps_the_post_and_tells_only_the_reporters(user, post, django_capture_on_commit_callbacks):
    report(user, subject_id=post.pk)
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=Case.objects.get(), moderator=make_moderator(), action="approve")
    post.refresh_from_db()
    assert post.state == Post.State.PUBLISHED
    assert Notification.objects.get(recipient=user).verb == Notification.Verb.REPORT_DISMISSED
    assert not Notification.objects.filter(recipient=post.author).exists()


def test_after_a_decision_new_reports_open_a_new_case(post):
    report(UserFactory(), subject_id=post.pk)
    case_decide(case=Case.objects.get(), moderator=make_moderator(), action="approve")
    again = report(UserFactory(), subject_id=post.pk)
    assert Case.objects.count() == 2 and again.case.report_count == 1


@pytest.mark.django_db(transaction=True)
def test_reports_arriving_at_once_join_one_case(postgres_only):
    import threading

    from django.db import connection

    post = PostFactory()
    reporters = [UserFactory() for _ in range(6)]
    barrier = threading.Barrier(len(reporters))
    errors: list[Exception] = []

    def send(reporter):
        try:
            barrier.wait()
            report(reporter, subject_id=post.pk, reason="spam")
        except Exception as exc:  # collected for the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(r,)) for r in reporters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    case = Case.objects.get()
    assert case.report_count == len(reporters) == case.reports.count()
