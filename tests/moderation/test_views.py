"""Web pages of moderation: the queue, a case, reporting, a person's reports and appeals."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Notification
from feed.models import Post
from moderation.models import Case, Decision, Report
from moderation.services import case_claim, case_decide, case_open
from tests.factories import CommentFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_moderator():
    user = UserFactory()
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(Permission.objects.get(codename="review_case", content_type__app_label="moderation"))
    user.groups.add(group)
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def moderator():
    return make_moderator()


@pytest.fixture
def mod_client(client, moderator):
    client.force_login(moderator)
    return client


def held_case(categories=("copyright",), caption="Clip", evidence=None):
    post = PostFactory(state=Post.State.PENDING_REVIEW, caption=caption)
    return case_open(kind="held_post", subject=post, evidence=evidence or {}, categories=categories)


# --- Permissions


@pytest.mark.parametrize("name", ["queue", "my_reports", "appeals"])
def test_visitors_are_sent_to_log_in(client, name):
    response = client.get(reverse(f"moderation:{name}"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_visitor_is_sent_to_log_in_from_a_case(client):
    case = held_case()
    response = client.get(reverse("moderation:case", args=[case.pk]))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_people_who_are_not_moderators_get_403(client, user):
    case = held_case()
    client.force_login(user)
    assert client.get(reverse("moderation:queue")).status_code == 403
    assert client.get(reverse("moderation:case", args=[case.pk])).status_code == 403
    assert client.post(reverse("moderation:claim", args=[case.pk])).status_code == 403
    response = client.post(reverse("moderation:decide", args=[case.pk]), {"action": "approve"})
    assert response.status_code == 403
    response = client.post(reverse("moderation:queue_decide"), {"action": "approve", "cases": [case.pk]})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.state == Case.State.OPEN and not Decision.objects.exists()


def test_the_review_queue_link_shows_only_to_moderators(client, user, moderator):
    client.force_login(user)
    assert "data-review-queue" not in client.get(reverse("moderation:my_reports")).content.decode()
    client.force_login(moderator)
    assert "data-review-queue" in client.get(reverse("moderation:my_reports")).content.decode()


def test_people_see_only_their_own_reports_and_appeals(client, user, other_user, moderator):
    post = PostFactory()
    client.force_login(other_user)
    client.post(reverse("moderation:report", args=["post", post.pk]), {"reason": "spam", "text": "secret words"})
    mine = PostFactory(author=other_user, state=Post.State.PENDING_REVIEW)
    case = case_open(kind="held_post", subject=mine, categories=["spam"])
    case_decide(case=case, moderator=moderator, action="reject")
    client.force_login(user)
    assert "secret words" not in client.get(reverse("moderation:my_reports")).content.decode()
    assert f'data-case-id="{case.pk}"' not in client.get(reverse("moderation:appeals")).content.decode()
    response = client.post(reverse("moderation:appeal", args=[case.pk]), {"message": "Mine now"})
    assert response.status_code == 404
    assert not Case.objects.filter(kind="appeal").exists()


# --- The queue


def test_the_queue_lists_the_most_urgent_then_the_oldest(mod_client):
    low = held_case(categories=["spam"])
    high = held_case(categories=["minor"])
    low_later = held_case(categories=["spam"])
    html = mod_client.get(reverse("moderation:queue")).content.decode()
    positions = [html.index(f'data-case-id="{c.pk}"') for c in (high, low, low_later)]
    assert positions == sorted(positions)


def test_the_queue_filters_by_kind_and_state(mod_client, moderator):
    held = held_case()
    post = PostFactory()
    reported = case_open(kind="report", subject=post, categories=["spam"])
    decided = held_case()
    case_decide(case=decided, moderator=moderator, action="approve")
    html = mod_client.get(reverse("moderation:queue"), {"kind": "report"}).content.decode()
    assert f'data-case-id="{reported.pk}"' in html and f'data-case-id="{held.pk}"' not in html
    html = mod_client.get(reverse("moderation:queue")).content.decode()
    assert f'data-case-id="{decided.pk}"' not in html
    html = mod_client.get(reverse("moderation:queue"), {"state": "decided"}).content.decode()
    assert f'data-case-id="{decided.pk}"' in html and f'data-case-id="{held.pk}"' not in html


def test_the_queue_shows_who_claimed_a_case(mod_client):
    other = make_moderator()
    case = held_case()
    case_claim(case=case, moderator=other)
    assert f"@{other.handle}" in mod_client.get(reverse("moderation:queue")).content.decode()


def _queue_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("moderation:queue"))
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_queue_page_makes_the_same_number_of_queries_for_5_or_15_cases(mod_client):
    claimer = make_moderator()
    for i in range(5):
        case = held_case()
        if i % 2:
            case_claim(case=case, moderator=claimer)
    _queue_queries(mod_client)  # the session and the permissions are cached after the first request
    five = _queue_queries(mod_client)
    for i in range(10):
        case = held_case(categories=["minor"] if i % 2 else ["spam"])
        if i % 3:
            case_claim(case=case, moderator=claimer)
    assert _queue_queries(mod_client) == five


# --- A case


def test_the_case_page_shows_the_evidence_with_the_words_highlighted_and_escaped(mod_client):
    evidence = {
        "text": {"rules": [{"rule": "pf:x", "category": "public_figure", "action": "review", "matched": "Famous"}],
                 "policy_version": "v9"},
        "media": {"findings": [{"check": "hash", "category": "copyright", "rule": "bank:1", "action": "review",
                                "score": 0.9, "frame_index": 2, "time": 1.5, "evidence": {"distance": 3}}]},
        "bank_entry": {"id": 7, "label": "Film trailer", "category": "copyright"},
        "policy_version": "v9",
    }
    case = held_case(caption="<b>Famous</b> person", evidence=evidence, categories=["public_figure"])
    html = mod_client.get(reverse("moderation:case", args=[case.pk])).content.decode()
    assert "&lt;b&gt;<mark>Famous</mark>&lt;/b&gt; person" in html
    assert "<video" in html and "controls" in html
    assert "pf:x" in html and "bank:1" in html and "Film trailer" in html and "v9" in html
    assert "1.5" in html


def test_claiming_a_case_someone_else_holds_is_refused(mod_client, moderator):
    other = make_moderator()
    case = held_case()
    case_claim(case=case, moderator=other)
    response = mod_client.post(reverse("moderation:claim", args=[case.pk]), follow=True)
    assert "Another moderator is working on this case." in response.content.decode()
    assert f"claimed by @{other.handle}" in response.content.decode()
    case.refresh_from_db()
    assert case.claimed_by == other


def test_a_moderator_claims_and_approves_a_case(mod_client, moderator, django_capture_on_commit_callbacks):
    case = held_case()
    mod_client.post(reverse("moderation:claim", args=[case.pk]))
    case.refresh_from_db()
    assert case.claimed_by == moderator
    with django_capture_on_commit_callbacks(execute=True):
        response = mod_client.post(reverse("moderation:decide", args=[case.pk]), {"action": "approve", "note": "Fine"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == Case.State.DECIDED and case.outcome == Case.Outcome.APPROVED
    assert Decision.objects.get(case=case).note == "Fine"
    assert Post.objects.get(pk=case.subject_id).state == Post.State.PUBLISHED


def test_escalating_needs_a_note(mod_client):
    case = held_case()
    response = mod_client.post(reverse("moderation:decide", args=[case.pk]), {"action": "escalate"}, follow=True)
    assert "Say why the case is escalated." in response.content.decode()
    assert not Decision.objects.exists()


def test_a_decided_case_shows_its_decisions_and_no_form_and_refuses_another(mod_client, moderator):
    case = held_case()
    case_decide(case=case, moderator=moderator, action="reject", note="No")
    html = mod_client.get(reverse("moderation:case", args=[case.pk])).content.decode()
    assert reverse("moderation:decide", args=[case.pk]) not in html
    assert f"@{moderator.handle}" in html
    response = mod_client.post(reverse("moderation:decide", args=[case.pk]), {"action": "approve"}, follow=True)
    assert "This case has already been decided." in response.content.decode()
    assert Decision.objects.filter(case=case).count() == 1


def test_bulk_decisions_name_the_cases_that_were_refused(mod_client, moderator):
    first, second, taken = held_case(), held_case(), held_case()
    case_claim(case=taken, moderator=make_moderator())
    response = mod_client.post(
        reverse("moderation:queue_decide"),
        {"action": "reject", "note": "Bulk", "cases": [first.pk, second.pk, taken.pk]}, follow=True,
    )
    html = response.content.decode()
    assert f"Case {taken.pk} was not decided: Another moderator is working on this case." in html
    assert Case.objects.filter(pk__in=[first.pk, second.pk], outcome="rejected").count() == 2
    taken.refresh_from_db()
    assert not taken.is_decided


def test_bulk_without_cases_is_refused(mod_client):
    response = mod_client.post(reverse("moderation:queue_decide"), {"action": "approve"}, follow=True)
    assert "Tick at least one case" in response.content.decode()


# --- Reporting


def test_reporting_a_post_from_the_web(client, user):
    post = PostFactory()
    client.force_login(user)
    assert client.get(reverse("moderation:report", args=["post", post.pk])).status_code == 200
    response = client.post(
        reverse("moderation:report", args=["post", post.pk]), {"reason": "spam", "text": "Ads"}, follow=True
    )
    assert "your report was sent" in response.content.decode()
    report = Report.objects.get(reporter=user)
    assert report.reason == "spam" and report.text == "Ads" and report.case.kind == "report"


def test_reporting_a_comment_and_a_profile(client, user):
    comment = CommentFactory()
    person = UserFactory()
    client.force_login(user)
    client.post(reverse("moderation:report", args=["comment", comment.pk]), {"reason": "harassment"})
    client.post(reverse("moderation:report", args=["user", person.handle]), {"reason": "other", "text": "Fake"})
    assert Report.objects.filter(reporter=user).count() == 2


def test_a_report_needs_a_reason(client, user):
    post = PostFactory()
    client.force_login(user)
    response = client.post(reverse("moderation:report", args=["post", post.pk]), {"text": "Hm"})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_a_report_text_is_at_most_1000_characters(client, user):
    post = PostFactory()
    client.force_login(user)
    response = client.post(reverse("moderation:report", args=["post", post.pk]), {"reason": "spam", "text": "x" * 1001})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_reporting_a_missing_post_is_404(client, user):
    client.force_login(user)
    assert client.get(reverse("moderation:report", args=["post", 999999])).status_code == 404
    assert client.post(reverse("moderation:report", args=["post", 999999]), {"reason": "spam"}).status_code == 404
    assert client.post(reverse("moderation:report", args=["nothing", 1]), {"reason": "spam"}).status_code == 404


def test_reporting_twice_shows_the_error(client, user):
    post = PostFactory()
    client.force_login(user)
    client.post(reverse("moderation:report", args=["post", post.pk]), {"reason": "spam"})
    response = client.post(reverse("moderation:report", args=["post", post.pk]), {"reason": "spam"})
    assert response.status_code == 400
    assert "You have already reported this." in response.content.decode()


def test_my_reports_show_the_outcome(client, user, moderator):
    post = PostFactory()
    client.force_login(user)
    client.post(reverse("moderation:report", args=["post", post.pk]), {"reason": "violence"})
    assert "Waiting for review" in client.get(reverse("moderation:my_reports")).content.decode()
    case_decide(case=Report.objects.get().case, moderator=moderator, action="reject")
    assert "Upheld" in client.get(reverse("moderation:my_reports")).content.decode()


# --- Appeals


def test_a_removed_post_can_be_appealed_once(client, user, moderator):
    post = PostFactory(author=user, state=Post.State.PENDING_REVIEW)
    case = case_open(kind="held_post", subject=post, categories=["spam"])
    case_decide(case=case, moderator=moderator, action="reject", note="Spam")
    client.force_login(user)
    notifications = client.get(reverse("accounts:notifications")).content.decode()
    assert Notification.objects.filter(recipient=user, verb="moderation_rejected").exists()
    assert reverse("moderation:appeals") in notifications
    assert f'data-case-id="{case.pk}"' in client.get(reverse("moderation:appeals")).content.decode()
    response = client.post(reverse("moderation:appeal", args=[case.pk]), {"message": "It is mine"}, follow=True)
    assert "Your appeal was sent" in response.content.decode()
    appeal = Case.objects.get(kind="appeal")
    assert appeal.parent == case and appeal.message == "It is mine"
    response = client.post(reverse("moderation:appeal", args=[case.pk]), {"message": "Again"}, follow=True)
    assert "an appeal can be made once" in response.content.decode()
    assert Case.objects.filter(kind="appeal").count() == 1


def test_an_appeal_needs_a_message(client, user, moderator):
    post = PostFactory(author=user, state=Post.State.PENDING_REVIEW)
    case = case_open(kind="held_post", subject=post, categories=["spam"])
    case_decide(case=case, moderator=moderator, action="reject")
    client.force_login(user)
    client.post(reverse("moderation:appeal", args=[case.pk]), {"message": ""})
    assert not Case.objects.filter(kind="appeal").exists()


def test_the_appeal_case_shows_the_original_decision_and_the_message(mod_client, moderator, user):
    post = PostFactory(author=user, state=Post.State.PENDING_REVIEW)
    case = case_open(kind="held_post", subject=post, categories=["spam"])
    case_decide(case=case, moderator=make_moderator(), action="reject", note="Looks like spam")
    from moderation.services import appeal_create

    appeal = appeal_create(user=user, message="Not spam at all", case=case)
    html = mod_client.get(reverse("moderation:case", args=[appeal.pk])).content.decode()
    assert "Looks like spam" in html and "Not spam at all" in html


# --- French


def test_a_refusal_message_is_shown_in_french(client, user):
    post = PostFactory()
    client.force_login(user)
    client.post(reverse("moderation:report", args=["post", post.pk]), {"reason": "spam"})
    response = client.post(
        reverse("moderation:report", args=["post", post.pk]), {"reason": "spam"}, HTTP_ACCEPT_LANGUAGE="fr"
    )
    html = response.content.decode()
    assert "Vous avez déjà signalé ceci." in html
    assert "Signaler cette vidéo" in html


def test_the_refusal_message_names_the_category_and_the_rule_in_french():
    from django.utils import translation

    from moderation.checks import refusal_message

    with translation.override("fr"):
        message = refusal_message(what=translation.gettext("This video"), category="public_figure", rule="pf:1")
    assert message == "Cette vidéo : refus, car ce contenu montre ou nomme une personnalité publique réelle (règle pf:1)."


def test_report_links_on_a_video_page_its_comments_and_a_profile(client, user):
    post = PostFactory()
    comment = CommentFactory(post=post)
    client.force_login(user)
    html = client.get(reverse("feed:post", args=[post.pk])).content.decode()
    assert reverse("moderation:report", args=["post", post.pk]) in html
    assert reverse("moderation:report", args=["comment", comment.pk]) in html
    html = client.get(post.author.get_absolute_url()).content.decode()
    assert reverse("moderation:report", args=["user", post.author.handle]) in html
