"""The generation REST API: submit, follow, cancel, regenerate, delete, post a draft."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from rest_framework.test import APIClient

from feed.models import Post
from generation.models import GenerationJob
from generation.runner import job_run
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ready(client, sent_jobs, django_capture_on_commit_callbacks, **body) -> dict:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/generations/", {"prompt": "a paper boat", "duration": 1,
                                                        "tier": "low", **body}, format="json")
    assert response.status_code == 201, response.json()
    job_id = response.json()["id"]
    assert job_id in sent_jobs
    assert job_run(job_id) == "ready"
    return client.get(f"/api/v1/generations/{job_id}/").json()


def test_submit_follow_and_post_a_draft(user, sent_jobs, django_capture_on_commit_callbacks):
    client = _client(user)
    job = _ready(client, sent_jobs, django_capture_on_commit_callbacks, seed=5, style="cartoon")
    assert job["state"] == "ready" and job["seed"] == 5 and job["video_url"].endswith("/video")
    assert job["provenance"]["job_id"] == job["id"] and job["parameters"]["passes"]
    assert [j["id"] for j in client.get("/api/v1/generations/?state=ready").json()] == [job["id"]]
    response = client.post(f"/api/v1/drafts/{job['id']}/post/", {"caption": "My boat"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["state"] == "published"
    assert Post.objects.get().job_id == job["id"]


def test_drafts_are_private(user, sent_jobs, django_capture_on_commit_callbacks):
    job = _ready(_client(user), sent_jobs, django_capture_on_commit_callbacks)
    stranger = _client(UserFactory())
    assert stranger.get(f"/api/v1/generations/{job['id']}/").status_code == 404
    assert stranger.delete(f"/api/v1/generations/{job['id']}/").status_code == 404
    assert stranger.post(f"/api/v1/generations/{job['id']}/cancel/").status_code == 404
    assert stranger.post(f"/api/v1/generations/{job['id']}/regenerate/", {}, format="json").status_code == 404
    assert stranger.post(f"/api/v1/drafts/{job['id']}/post/", {"caption": "x"}, format="json").status_code == 400
    assert stranger.get("/api/v1/generations/").json() == []
    anonymous = APIClient()
    assert anonymous.get(f"/api/v1/generations/{job['id']}/").status_code in (401, 403)
    assert anonymous.post("/api/v1/generations/", {"prompt": "x"}, format="json").status_code in (401, 403)
    assert not Post.objects.exists()


def test_blocked_prompt_is_explained_and_costs_nothing(user, sent_jobs):
    client = _client(user)
    response = client.post("/api/v1/generations/", {"prompt": "La Reine des neiges chante"}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert "prompt" in error["fields"] and "copyright" in error["message"].lower()
    assert client.get("/api/v1/generations/quota/").json()["used"] == 0
    assert GenerationJob.objects.get().state == "blocked" and not sent_jobs


@pytest.mark.parametrize(
    "body, field",
    [
        ({"mode": "hologram", "prompt": "x"}, "mode"),
        ({"prompt": "x", "duration": 25}, "duration"),
        ({"prompt": "x", "aspect_ratio": "4:3"}, "aspect_ratio"),
        ({"prompt": ""}, "prompt"),
        ({"prompt": "b" * 5000}, "prompt"),
        ({"prompt": "x", "mode": "remix", "source_post": 424242}, "source_post"),
        ({"prompt": "x", "mode": "storyboard", "shots": "not json"}, "shots"),
    ],
)
def test_bad_requests_are_clear_errors(user, sent_jobs, body, field):
    response = _client(user).post("/api/v1/generations/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert not GenerationJob.objects.exists() and not sent_jobs


def test_image_upload_must_be_an_image(user, sent_jobs):
    client = _client(user)
    fake = SimpleUploadedFile("x.png", b"%PDF-1.4 not an image", content_type="image/png")
    response = client.post("/api/v1/generations/", {"prompt": "alive", "mode": "image", "image": fake},
                           format="multipart")
    assert response.status_code == 400 and "image" in response.json()["error"]["fields"]
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), (10, 120, 200)).save(buffer, format="PNG")
    good = SimpleUploadedFile("x.png", buffer.getvalue(), content_type="image/png")
    response = client.post("/api/v1/generations/", {"prompt": "alive", "mode": "image", "image": good,
                                                    "duration": "1"}, format="multipart")
    assert response.status_code == 201, response.json()


def test_remix_of_a_hidden_post_and_extend_of_another_persons_video(user, sent_jobs,
                                                                   django_capture_on_commit_callbacks):
    hidden = PostFactory(state=Post.State.PENDING_REVIEW)
    client = _client(user)
    response = client.post("/api/v1/generations/", {"prompt": "x", "mode": "remix", "source_post": hidden.pk},
                           format="json")
    assert response.status_code == 400
    other = _ready(_client(UserFactory()), sent_jobs, django_capture_on_commit_callbacks)
    response = client.post("/api/v1/generations/", {"prompt": "x", "mode": "extend", "source_job": other["id"]},
                           format="json")
    assert response.status_code == 400 and "source_job" in response.json()["error"]["fields"]


def test_over_quota(user, sent_jobs, settings):
    settings.GENERATION_DAILY_QUOTA = 1
    client = _client(user)
    assert client.post("/api/v1/generations/", {"prompt": "one"}, format="json").status_code == 201
    response = client.post("/api/v1/generations/", {"prompt": "two"}, format="json")
    assert response.status_code == 400 and "24 hours" in response.json()["error"]["message"]
    assert GenerationJob.objects.count() == 1
    assert client.get("/api/v1/generations/quota/").json() == {
        "used": 1, "limit": 1, "left": 0, "max_duration": settings.GENERATION_MAX_DURATION}


def test_cancel_regenerate_and_delete(user, sent_jobs, django_capture_on_commit_callbacks):
    client = _client(user)
    queued = client.post("/api/v1/generations/", {"prompt": "a kite"}, format="json").json()
    response = client.post(f"/api/v1/generations/{queued['id']}/cancel/")
    assert response.status_code == 200 and response.json()["state"] == "cancelled"
    assert client.post(f"/api/v1/generations/{queued['id']}/cancel/").status_code == 400
    job = _ready(client, sent_jobs, django_capture_on_commit_callbacks, seed=9)
    again = client.post(f"/api/v1/generations/{job['id']}/regenerate/", {}, format="json").json()
    assert again["seed"] == 9 and again["prompt"] == job["prompt"]
    fresh = client.post(f"/api/v1/generations/{job['id']}/regenerate/", {"new_seed": True}, format="json").json()
    assert fresh["state"] == "queued"
    assert client.delete(f"/api/v1/generations/{job['id']}/").status_code == 204
    gone = GenerationJob.objects.get(pk=job["id"])
    assert gone.deleted_at and not gone.video
    assert client.get(f"/api/v1/generations/{job['id']}/").json()["video_url"] is None


def test_held_prompt_waits_for_a_moderator(user, sent_jobs, monkeypatch):
    from moderation import checks as services
    from moderation.models import Case

    real = services.text_check

    def review(*, text, context):
        verdict = real(text=text, context=context)
        from dataclasses import replace

        return replace(verdict, decision="review")

    monkeypatch.setattr(services, "text_check", review)
    response = _client(user).post("/api/v1/generations/", {"prompt": "a crowd at a rally"}, format="json")
    assert response.status_code == 201 and response.json()["state"] == "held"
    assert Case.objects.get().kind == "held_prompt" and not sent_jobs


def test_a_body_that_is_not_an_object_is_refused_not_a_server_error(user, sent_jobs):
    response = _client(user).post("/api/v1/generations/", ["a fox"], format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid"
    assert not sent_jobs


@pytest.mark.parametrize(
    "raw",
    [
        '{"duration": 2}',  # no prompt at all
        '{"prompt": "x", "negative_prompt": {"not": "a string"}}',
        '["a fox"]', '"a fox"', "null", "true",  # bodies that are not an object
        '{"prompt": "x", "seed": 1e400}',
        '{"prompt": "x", "seed": -1}',
        '{"prompt": "x", "mode": "storyboard", "shots": 5}',
        '{"prompt": "x", "mode": "storyboard", "shots": {"prompt": "a", "duration": 2}}',
        '{"prompt": "x", "mode": "storyboard", "shots": [{"prompt": "a", "duration": 1e400}, {"prompt": "b"}]}',
        '{"prompt": "x", "mode": "remix", "source_post": 1e400}',
        '{"prompt": "x", "mode": "extend", "source_job": "abc"}',
        '{"prompt": "x", "duration": NaN}',
    ],
)
def test_hostile_bodies_are_400s_in_the_error_shape(user, sent_jobs, raw):
    response = _client(user).post("/api/v1/generations/", raw, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["code"] in ("invalid", "parse_error")
    assert not GenerationJob.objects.exists() and not sent_jobs
