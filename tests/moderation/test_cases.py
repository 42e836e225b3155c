"""Cases, claims, decisions and the audit log."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from accounts.models import Notification
from feed.models import Post
from moderation.models import Case, Decision
from moderation.selectors import cases_queue
from moderation.services import (
    PRIORITY_ESCALATION,
    CaseConflict,
    case_claim,
    case_decide,
    case_open,
    case_priority,
    cases_decide_bulk,
    is_moderator,
)
from tests.factories import PostFactory, UserFactory


def make_moderator():
    user = UserFactory()
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(Permission.objects.get(codename="review_case", content_type__app_label="moderation"))
    user.groups.add(group)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def moderator(db):
    return make_moderator()


@pytest.fixture
def held_post(db):
    return PostFactory(state=Post.State.PENDING_REVIEW)


def open_case(post, categories=("copyright",), kind="held_post"):
    return case_open(kind=kind, subject=post, evidence={"rules": ["cr:x"]}, categories=categories)


def test_migration_creates_the_moderators_group_with_the_review_permission(db):
    group = Group.objects.get(name="Moderators")
    assert group.permissions.filter(codename="review_case").exists()


def test_only_members_of_moderators_or_superusers_are_moderators(moderator, user):
    assert is_moderator(moderator)
    assert not is_moderator(user)
    assert is_moderator(UserFactory(is_superuser=True))


def test_case_points_at_its_subject_and_owner(held_post):
    case = open_case(held_post)
    assert case.subject == held_post
    assert case.subject_owner == held_post.author
    assert case.state == Case.State.OPEN
    assert case.evidence == {"rules": ["cr:x"]}


def test_priority_minor_before_protected_before_other():
    assert case_priority(categories=["minor"]) > case_priority(categories=["public_figure"])
    assert case_priority(categories=["copyright"]) == case_priority(categories=["public_figure"])
    assert case_priority(categories=["copyright"]) > case_priority(categories=["trademark"])
    assert case_priority(categories=["spam"], report_count=3) > case_priority(categories=["spam"])


def test_queue_is_most_urgent_then_oldest_first(db):
    old_other = open_case(PostFactory(), categories=["trademark"])
    old_copyright = open_case(PostFactory(), categories=["copyright"])
    new_copyright = open_case(PostFactory(), categories=["copyright"])
    minor = open_case(PostFactory(), categories=["minor"])
    Case.objects.filter(pk=old_copyright.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    assert list(cases_queue()) == [minor, old_copyright, new_copyright, old_other]
    assert list(cases_queue(kind="report")) == []


def test_claim_gives_the_case_to_one_moderator(moderator, held_post):
    case = open_case(held_post)
    case_claim(case=case, moderator=moderator)
    assert case.state == Case.State.CLAIMED and case.claimed_by == moderator and case.claimed_at
    other = make_moderator()
    with pytest.raises(CaseConflict, match="Another moderator"):
        case_claim(case=case, moderator=other)
    # Claiming again one's own case is fine.
    case_claim(case=case, moderator=moderator)


def test_an_expired_claim_can_be_taken_over(moderator, held_post, settings):
    settings.MODERATION_CLAIM_MINUTES = 15
    case = open_case(held_post)
    case_claim(case=case, moderator=moderator)
    Case.objects.filter(pk=case.pk).update(claimed_at=timezone.now() - dt.timedelta(minutes=16))
    other = make_moderator()
    case_claim(case=case, moderator=other)
    assert case.claimed_by == other


def test_non_moderators_cannot_claim_or_decide(user, held_post):
    case = open_case(held_post)
    with pytest.raises(PermissionDenied):
        case_claim(case=case, moderator=user)
    with pytest.raises(PermissionDenied):
        case_decide(case=case, moderator=user, action="approve")
    assert Decision.objects.count() == 0


def test_decide_writes_an_audit_entry_and_closes_the_case(moderator, held_post):
    case = open_case(held_post)
    decision = case_decide(case=case, moderator=moderator, action="approve", note="Fan art, fine.")
    case.refresh_from_db()
    assert case.state == Case.State.DECIDED and case.outcome == Case.Outcome.APPROVED and case.decided_at
    assert decision.case == case and decision.moderator == moderator and decision.note == "Fan art, fine."
    assert decision.policy_version


def test_deciding_a_decided_case_is_refused_and_changes_nothing(moderator, held_post):
    case = open_case(held_post)
    case_decide(case=case, moderator=moderator, action="reject")
    with pytest.raises(CaseConflict, match="already been decided"):
        case_decide(case=case, moderator=moderator, action="approve")
    case.refresh_from_db()
    assert case.outcome == Case.Outcome.REJECTED
    assert Decision.objects.filter(case=case).count() == 1
    with pytest.raises(CaseConflict):
        case_claim(case=case, moderator=moderator)


def test_a_case_claimed_by_another_cannot_be_decided(moderator, held_post):
    case = open_case(held_post)
    case_claim(case=case, moderator=make_moderator())
    with pytest.raises(CaseConflict):
        case_decide(case=case, moderator=moderator, action="approve")
    assert not Decision.objects.exists()


def test_unknown_action_is_refused(moderator, held_post):
    with pytest.raises(ValidationError):
        case_decide(case=open_case(held_post), moderator=moderator, action="delete")


def test_escalate_keeps_the_case_open_with_a_higher_priority(moderator, held_post):
    case = open_case(held_post)
    before = case.priority
    case_claim(case=case, moderator=moderator)
    with pytest.raises(ValidationError):
        case_decide(case=case, moderator=moderator, action="escalate", note="")
    case_decide(case=case, moderator=moderator, action="escalate", note="Needs legal.")
    case.refresh_from_db()
    assert case.state == Case.State.OPEN and case.outcome == Case.Outcome.ESCALATED
    assert case.priority == before + PRIORITY_ESCALATION
    assert case.claimed_by is None
    assert Decision.objects.get(case=case).note == "Needs legal."


def test_author_is_told_the_outcome(moderator, held_post):
    case = open_case(held_post)
    case_decide(case=case, moderator=moderator, action="reject", note="")
    note = Notification.objects.get(recipient=held_post.author)
    assert note.verb == Notification.Verb.MODERATION_REJECTED
    assert note.target == held_post


def test_case_decided_signal_is_sent_on_commit(moderator, held_post, django_capture_on_commit_callbacks):
    from moderation.signals import case_decided

    seen = []

    def receiver(sender, *, case, decision, **kwargs):
        seen.append((case.pk, decision.action))

    case_decided.connect(receiver)
    try:
        case = open_case(held_post)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            case_decide(case=case, moderator=moderator, action="approve")
        assert seen == []
        for callback in callbacks:
            callback()
        assert seen == [(case.pk, "approve")]
    finally:
        case_decided.disconnect(receiver)


def test_bulk_decides_each_case_and_names_those_refused(moderator, db):
    first, second, decided = (open_case(PostFactory(state=Post.State.PENDING_REVIEW)) for _ in range(3))
    case_decide(case=decided, moderator=moderator, action="approve")
    result = cases_decide_bulk(case_ids=[first.pk, second.pk, decided.pk, 999999], moderator=moderator, action="reject")
    assert result.decided == [first.pk, second.pk]
    assert set(result.refused) == {decided.pk, 999999}
    assert Case.objects.filter(outcome=Case.Outcome.REJECTED).count() == 2


def test_bulk_requires_a_moderator(user, held_post):
    with pytest.raises(PermissionDenied):
        cases_decide_bulk(case_ids=[open_case(held_post).pk], moderator=user, action="approve")


# --- The append-only audit log


def test_a_decision_cannot_be_updated(moderator, held_post):
    decision = case_decide(case=open_case(held_post), moderator=moderator, action="approve", note="ok")
    decision.note = "rewritten"
    with pytest.raises(TypeError, match="append-only"):
        decision.save()
    with pytest.raises(TypeError, match="append-only"):
        Decision.objects.filter(pk=decision.pk).update(note="rewritten")
    assert Decision.objects.get(pk=decision.pk).note == "ok"


def test_a_decision_cannot_be_deleted(moderator, held_post):
    decision = case_decide(case=open_case(held_post), moderator=moderator, action="approve")
    with pytest.raises(TypeError, match="append-only"):
        decision.delete()
    with pytest.raises(TypeError, match="append-only"):
        Decision.objects.filter(pk=decision.pk).delete()
    assert Decision.objects.filter(pk=decision.pk).exists()


# --- Two moderators, one case


@pytest.mark.django_db(transaction=True)
def test_two_moderators_claiming_at_once_exactly_one_wins(postgres_only):
    case = open_case(PostFactory(state=Post.State.PENDING_REVIEW))
    moderators = [make_moderator() for _ in range(2)]
    barrier = threading.Barrier(len(moderators))
    outcomes: list[str] = []

    def claim(moderator):
        try:
            barrier.wait()
            case_claim(case=Case.objects.get(pk=case.pk), moderator=moderator)
            outcomes.append("won")
        except CaseConflict:
            outcomes.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(m,)) for m in moderators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost", "won"]
    assert Case.objects.get(pk=case.pk).claimed_by_id in {m.pk for m in moderators}


@pytest.mark.django_db(transaction=True)
def test_two_moderators_deciding_at_once_write_one_decision(postgres_only):
    case = open_case(PostFactory(state=Post.State.PENDING_REVIEW))
    moderators = [make_moderator() for _ in range(4)]
    barrier = threading.Barrier(len(moderators))
    outcomes: list[str] = []

    def decide(moderator):
        try:
            barrier.wait()
            case_decide(case=Case.objects.get(pk=case.pk), moderator=moderator, action="reject")
            outcomes.append("won")
        except CaseConflict:
            outcomes.append("lost")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(m,)) for m in moderators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["lost", "lost", "lost", "won"]
    assert Decision.objects.filter(case_id=case.pk).count() == 1


def test_a_moderator_cannot_decide_about_their_own_content(moderator):
    case = open_case(PostFactory(author=moderator, state=Post.State.PENDING_REVIEW))
    with pytest.raises(PermissionDenied):
        case_claim(case=case, moderator=moderator)
    with pytest.raises(PermissionDenied):
        case_decide(case=case, moderator=moderator, action="approve")
    assert not Decision.objects.exists()
