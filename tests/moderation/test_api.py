"""The moderation API: reports and appeals for everyone, the queue for moderators only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from feed.models import Post
from moderation.models import Case, Decision
from moderation.services import case_claim, case_decide, case_open
from tests.factories import CommentFactory, PostFactory, UserFactory

from .test_cases import make_moderator

pytestmark = pytest.mark.django_db


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def moderator():
    return make_moderator()


@pytest.fixture
def mod_client(moderator):
    return client_for(moderator)


def held_case(categories=("copyright",)):
    post = PostFactory(state=Post.State.PENDING_REVIEW)
    return case_open(kind="held_post", subject=post, evidence={"text": {"rules": [{"rule": "cr:x"}]}}, categories=categories)


# --- Reports


def test_report_a_post(auth_client):
    post = PostFactory()
    response = auth_client.post(
        "/api/v1/reports/", {"subject_type": "post", "subject_id": post.pk, "reason": "copyright", "text": "A film."}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["subject_type"] == "post" and body["subject_id"] == post.pk
    assert body["state"] == "open" and body["outcome"] is None


def test_report_a_person_by_handle_and_a_comment(auth_client):
    person = UserFactory()
    response = auth_client.post("/api/v1/reports/", {"subject_type": "user", "handle": person.handle, "reason": "spam"}, format="json")
    assert response.status_code == 201 and response.json()["subject_id"] == person.pk
    comment = CommentFactory()
    response = auth_client.post("/api/v1/reports/", {"subject_type": "comment", "subject_id": comment.pk, "reason": "harassment"}, format="json")
    assert response.status_code == 201


def test_report_of_nothing_is_404_and_bad_input_400(auth_client):
    response = auth_client.post("/api/v1/reports/", {"subject_type": "post", "subject_id": 999999, "reason": "spam"}, format="json")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    response = auth_client.post("/api/v1/reports/", {"subject_type": "post", "subject_id": PostFactory().pk, "reason": "meh"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["error"]["fields"]
    response = auth_client.post(
        "/api/v1/reports/", {"subject_type": "post", "subject_id": PostFactory().pk, "reason": "spam", "text": "x" * 1001}, format="json"
    )
    assert response.status_code == 400
    response = auth_client.post("/api/v1/reports/", {"subject_type": "post", "reason": "spam"}, format="json")
    assert response.status_code == 400


def test_duplicate_report_is_400(auth_client):
    post = PostFactory()
    data = {"subject_type": "post", "subject_id": post.pk, "reason": "spam"}
    assert auth_client.post("/api/v1/reports/", data, format="json").status_code == 201
    response = auth_client.post("/api/v1/reports/", data, format="json")
    assert response.status_code == 400 and "already" in response.json()["error"]["message"]


def test_reports_need_an_account(api_client):
    assert api_client.get("/api/v1/reports/").status_code in (401, 403)
    response = api_client.post("/api/v1/reports/", {"subject_type": "post", "subject_id": 1, "reason": "spam"}, format="json")
    assert response.status_code in (401, 403)


def test_my_reports_with_their_outcome_and_nobody_else_s(auth_client, user, django_capture_on_commit_callbacks):
    post = PostFactory()
    auth_client.post("/api/v1/reports/", {"subject_type": "post", "subject_id": post.pk, "reason": "copyright"}, format="json")
    client_for(UserFactory()).post("/api/v1/reports/", {"subject_type": "post", "subject_id": post.pk, "reason": "spam"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=Case.objects.get(), moderator=make_moderator(), action="reject")
    body = auth_client.get("/api/v1/reports/").json()
    assert len(body) == 1
    assert body[0]["reason"] == "copyright" and body[0]["state"] == "decided" and body[0]["outcome"] == "upheld"


# --- Appeals


def test_appeal_once_through_the_api(moderator, django_capture_on_commit_callbacks):
    case = held_case()
    with django_capture_on_commit_callbacks(execute=True):
        case_decide(case=case, moderator=moderator, action="reject")
    author = client_for(case.subject_owner)
    response = author.post("/api/v1/appeals/", {"case": case.pk, "message": "My own work."}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["case"] == case.pk and response.json()["state"] == "open"
    response = author.post("/api/v1/appeals/", {"post": case.subject_id, "message": "Again."}, format="json")
    assert response.status_code == 400 and "once" in response.json()["error"]["message"]
    assert len(author.get("/api/v1/appeals/").json()) == 1


def test_appeal_of_another_s_case_is_404(auth_client, moderator):
    case = held_case()
    case_decide(case=case, moderator=moderator, action="reject")
    response = auth_client.post("/api/v1/appeals/", {"case": case.pk, "message": "Hi."}, format="json")
    assert response.status_code == 404
    response = auth_client.post("/api/v1/appeals/", {"message": "Hi."}, format="json")
    assert response.status_code == 400


# --- The queue


QUEUE_ENDPOINTS = [
    ("get", "/api/v1/moderation/cases/"),
    ("get", "/api/v1/moderation/cases/{id}/"),
    ("post", "/api/v1/moderation/cases/{id}/claim/"),
    ("post", "/api/v1/moderation/cases/{id}/decide/"),
    ("post", "/api/v1/moderation/cases/decide/"),
]


@pytest.mark.parametrize(("method", "path"), QUEUE_ENDPOINTS)
def test_non_moderators_get_403_on_the_queue(auth_client, method, path):
    case = held_case()
    data = {"action": "approve", "case_ids": [case.pk]}
    response = getattr(auth_client, method)(path.format(id=case.pk), data, format="json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] in ("permission_denied", "error")
    assert not Decision.objects.exists()


def test_the_queue_is_ordered_and_filtered(mod_client):
    other = held_case(categories=["trademark"])
    minor = held_case(categories=["minor"])
    response = mod_client.get("/api/v1/moderation/cases/")
    assert response.status_code == 200
    assert [c["id"] for c in response.json()] == [minor.pk, other.pk]
    assert mod_client.get("/api/v1/moderation/cases/?kind=report").json() == []
    assert mod_client.get("/api/v1/moderation/cases/?state=decided").json() == []
    assert mod_client.get("/api/v1/moderation/cases/?kind=nope").status_code == 400


def test_case_detail_shows_the_evidence(mod_client):
    case = held_case()
    body = mod_client.get(f"/api/v1/moderation/cases/{case.pk}/").json()
    assert body["evidence"] == {"text": {"rules": [{"rule": "cr:x"}]}}
    assert body["kind"] == "held_post" and body["decisions"] == [] and body["reports"] == []
    assert mod_client.get("/api/v1/moderation/cases/999999/").status_code == 404


def test_claim_then_decide(mod_client, moderator, django_capture_on_commit_callbacks):
    case = held_case()
    response = mod_client.post(f"/api/v1/moderation/cases/{case.pk}/claim/")
    assert response.status_code == 200 and response.json()["claimed_by"] == moderator.handle
    other = client_for(make_moderator())
    response = other.post(f"/api/v1/moderation/cases/{case.pk}/claim/")
    assert response.status_code == 409 and response.json()["error"]["code"] == "conflict"
    with django_capture_on_commit_callbacks(execute=True):
        response = mod_client.post(f"/api/v1/moderation/cases/{case.pk}/decide/", {"action": "approve", "note": "Fine."}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "decided" and body["outcome"] == "approved"
    assert body["decisions"][0]["note"] == "Fine." and body["decisions"][0]["moderator"] == moderator.handle
    assert Post.objects.get(pk=case.subject_id).state == Post.State.PUBLISHED
    response = mod_client.post(f"/api/v1/moderation/cases/{case.pk}/decide/", {"action": "reject"}, format="json")
    assert response.status_code == 409 and "already" in response.json()["error"]["message"]


def test_decide_with_a_bad_action_is_400(mod_client):
    case = held_case()
    response = mod_client.post(f"/api/v1/moderation/cases/{case.pk}/decide/", {"action": "nuke"}, format="json")
    assert response.status_code == 400


def test_decide_a_case_claimed_by_another_is_409(mod_client):
    case = held_case()
    case_claim(case=case, moderator=make_moderator())
    response = mod_client.post(f"/api/v1/moderation/cases/{case.pk}/decide/", {"action": "approve"}, format="json")
    assert response.status_code == 409


def test_bulk_decide(mod_client, moderator):
    first, second, done = held_case(), held_case(), held_case()
    case_decide(case=done, moderator=moderator, action="approve")
    response = mod_client.post(
        "/api/v1/moderation/cases/decide/", {"case_ids": [first.pk, second.pk, done.pk], "action": "reject", "note": "Spam run."},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["decided"] == [first.pk, second.pk]
    assert list(response.json()["refused"]) == [str(done.pk)]
    assert mod_client.post("/api/v1/moderation/cases/decide/", {"case_ids": [], "action": "reject"}, format="json").status_code == 400
