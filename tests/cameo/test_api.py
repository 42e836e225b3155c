"""The cameo REST API: make and verify a cameo, set its rules, approve people, follow and take
down its uses, look up someone else's; and nobody but the owner reaches any of it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from cameo.models import Appearance, Cameo, CameoGrant, CameoPhoto
from generation.models import GenerationJob
from moderation.models import AuditEntry, Case
from tests.factories import UserFactory

from .conftest import (
    astronaut_face,
    cameo_verified,
    clip_bytes,
    clip_upload,
    photo_upload,
    stranger_face,
)

pytestmark = pytest.mark.django_db


def _client(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _use(user, prompt: str = "@alice waves at the camera") -> int:
    """`user` asks for a video with `prompt` through the API; return the job's id."""
    response = _client(user).post("/api/v1/generations/", {"prompt": prompt, "duration": 1, "tier": "low"},
                                  format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _snapshot() -> dict:
    """What a refused request must leave untouched."""
    return {
        "cameos": list(Cameo.objects.values("pk", "state", "audience", "limits", "approve_each_use", "clip")),
        "photos": CameoPhoto.objects.count(),
        "grants": list(CameoGrant.objects.values_list("cameo_id", "user_id")),
        "appearances": list(Appearance.objects.values_list("pk", "state")),
        "cases": Case.objects.count(),
    }


# --- Happy paths


def test_make_a_cameo_get_a_new_challenge_and_send_the_clip(alice):
    client = _client(alice)
    assert client.get("/api/v1/cameo/").status_code == 404
    response = client.post("/api/v1/cameo/", {"photos": [photo_upload()]}, format="multipart")
    assert response.status_code == 201, response.json()
    made = response.json()
    assert made["handle"] == "alice" and made["state"] == "pending" and made["audience"] == "approved"
    assert made["challenge"].startswith("Look at the camera") and made["challenge_expires_at"]
    photo = CameoPhoto.objects.get()
    assert made["photo_urls"] == [reverse("cameo:photo", args=[photo.pk])]
    assert made["clip_url"] is None and made["verified_at"] is None and made["grants"] == []
    assert client.get("/api/v1/cameo/").json() == made

    response = client.post("/api/v1/cameo/challenge/")
    assert response.status_code == 200
    digits = Cameo.objects.get().challenge_digits
    assert " ".join(digits) in response.json()["challenge"]

    response = client.post("/api/v1/cameo/verification/", {"clip": clip_upload()}, format="multipart")
    assert response.status_code == 200, response.json()
    sent = response.json()
    cameo = Cameo.objects.get()
    assert sent["state"] == "in_review" and sent["challenge"] is None and sent["challenge_expires_at"] is None
    assert sent["clip_url"] == reverse("cameo:clip", args=[cameo.pk])
    assert Case.objects.filter(kind="cameo_verification", subject_id=cameo.pk).exists()


def test_a_verified_cameo_shows_when_it_was_verified(alice, moderator):
    cameo_verified(alice, moderator)
    shown = _client(alice).get("/api/v1/cameo/").json()
    assert shown["state"] == "verified" and shown["verified_at"] and shown["challenge"] is None


def test_narrowing_the_audience_withdraws_the_uses_it_no_longer_allows(alice, bob, moderator):
    cameo_verified(alice, moderator, audience="everyone")
    job_id = _use(bob)
    client = _client(alice)
    response = client.patch("/api/v1/cameo/", {"limits": "no politics", "approve_each_use": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["withdrawn"] == 0
    assert response.json()["limits"] == "no politics" and response.json()["approve_each_use"] is True

    response = client.patch("/api/v1/cameo/", {"audience": "only_me"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["audience"] == "only_me" and response.json()["withdrawn"] == 1
    appearance = Appearance.objects.get(job_id=job_id)
    assert appearance.state == Appearance.State.WITHDRAWN and appearance.reason == Appearance.Reason.AUDIENCE
    assert GenerationJob.objects.get(pk=job_id).state == GenerationJob.State.CANCELLED
    cameo = Cameo.objects.get()
    assert (cameo.audience, cameo.limits, cameo.approve_each_use) == ("only_me", "no politics", True)


def test_approve_list_and_revoke_people(alice, bob, carol, moderator):
    cameo_verified(alice, moderator)
    client = _client(alice)
    response = client.post("/api/v1/cameo/grants/", {"handle": "@Bob"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["handle"] == "bob"
    assert client.post("/api/v1/cameo/grants/", {"handle": "carol"}, format="json").status_code == 201
    assert [g["handle"] for g in client.get("/api/v1/cameo/grants/").json()] == ["carol", "bob"]
    assert client.get("/api/v1/cameo/").json()["grants"] == ["carol", "bob"]

    job_id = _use(bob)
    response = client.delete("/api/v1/cameo/grants/bob/")
    assert response.status_code == 200 and response.json() == {"withdrawn": 1}
    assert Appearance.objects.get(job_id=job_id).reason == Appearance.Reason.REVOKED
    assert [g["handle"] for g in client.get("/api/v1/cameo/grants/").json()] == ["carol"]


def test_follow_approve_and_remove_the_uses_of_ones_likeness(alice, bob, moderator):
    cameo_verified(alice, moderator, audience="everyone", approve_each_use=True)
    first, second = _use(bob), _use(bob, "@alice juggles oranges")
    client = _client(alice)
    page = client.get("/api/v1/cameo/appearances/").json()
    assert page["count"] == 2 and page["next"] is None
    newest = page["results"][0]
    assert newest["job_id"] == second and newest["user"] == "bob" and newest["state"] == "awaiting"
    assert newest["prompt"] == "@alice juggles oranges" and newest["post_id"] is None
    assert newest["video_url"] == reverse("generation:job-video", args=[second])
    assert {"id", "reason", "outcome", "created_at", "decided_at"} <= set(newest)
    assert client.get("/api/v1/cameo/appearances/?limit=1").json()["next"]

    approved = Appearance.objects.get(job_id=first)
    response = client.post(f"/api/v1/cameo/appearances/{approved.pk}/approve/")
    assert response.status_code == 200 and response.json()["state"] == "allowed"
    response = client.post(f"/api/v1/cameo/appearances/{approved.pk}/approve/")
    assert response.status_code == 400 and "appearance" in response.json()["error"]["fields"]

    removed = Appearance.objects.get(job_id=second)
    response = client.delete(f"/api/v1/cameo/appearances/{removed.pk}/", {"note": "Not me."}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "removed" and "cancelled" in response.json()["outcome"]
    assert GenerationJob.objects.get(pk=second).state == GenerationJob.State.CANCELLED
    assert AuditEntry.objects.get(action="likeness_removal").details["note"] == "Not me."


def test_deleting_the_cameo_withdraws_every_use_by_others(alice, bob, moderator):
    cameo_verified(alice, moderator, audience="everyone")
    job_id = _use(bob)
    client = _client(alice)
    response = client.delete("/api/v1/cameo/")
    assert response.status_code == 200 and response.json() == {"withdrawn": 1}
    assert not Cameo.objects.exists() and not CameoPhoto.objects.exists()
    assert Appearance.objects.get(job_id=job_id).reason == Appearance.Reason.DELETED
    assert client.get("/api/v1/cameo/").status_code == 404
    assert client.delete("/api/v1/cameo/").status_code == 404


def test_looking_up_a_cameo_says_whether_one_may_use_it_and_never_shows_media(alice, bob, moderator):
    cameo_verified(alice, moderator, limits="no politics")
    client = _client(bob)
    response = client.get("/api/v1/cameos/alice/")
    assert response.status_code == 200
    refused = response.json()
    assert refused["handle"] == "alice" and refused["verified"] is True and refused["audience"] == "approved"
    assert refused["may_use"] is False and "@alice" in refused["refusal"] and refused["limits"] is None
    assert not {"photo_urls", "clip_url", "grants", "challenge"} & set(refused)

    _client(alice).post("/api/v1/cameo/grants/", {"handle": "bob"}, format="json")
    allowed = client.get("/api/v1/cameos/@alice/").json()
    assert allowed["may_use"] is True and allowed["refusal"] is None and allowed["limits"] == "no politics"
    assert _client(alice).get("/api/v1/cameos/alice/").json()["may_use"] is True

    assert client.get("/api/v1/cameos/nobody/").status_code == 404
    assert client.get(f"/api/v1/cameos/{UserFactory().handle}/").status_code == 404  # no cameo
    assert _client(alice).post("/api/v1/users/bob/block/").status_code == 200
    assert client.get("/api/v1/cameos/alice/").status_code == 404


def test_an_unverified_cameo_may_not_be_used_yet(alice, bob):
    _client(alice).post("/api/v1/cameo/", {"photos": [photo_upload()]}, format="multipart")
    _client(alice).patch("/api/v1/cameo/", {"audience": "everyone"}, format="json")
    shown = _client(bob).get("/api/v1/cameos/alice/").json()
    assert shown["verified"] is False and shown["may_use"] is False and "not verified" in shown["refusal"]


# --- Who may do what


ENDPOINTS = [
    ("get", "/api/v1/cameo/"), ("post", "/api/v1/cameo/"), ("patch", "/api/v1/cameo/"),
    ("delete", "/api/v1/cameo/"), ("post", "/api/v1/cameo/challenge/"), ("post", "/api/v1/cameo/verification/"),
    ("get", "/api/v1/cameo/grants/"), ("post", "/api/v1/cameo/grants/"), ("delete", "/api/v1/cameo/grants/bob/"),
    ("get", "/api/v1/cameo/appearances/"), ("post", "/api/v1/cameo/appearances/{id}/approve/"),
    ("delete", "/api/v1/cameo/appearances/{id}/"), ("get", "/api/v1/cameos/alice/"),
]


def test_anonymous_visitors_get_nothing(alice, bob, moderator):
    cameo_verified(alice, moderator, audience="everyone", approve_each_use=True)
    _client(alice).post("/api/v1/cameo/grants/", {"handle": "bob"}, format="json")
    _use(bob)
    appearance = Appearance.objects.get()
    before = _snapshot()
    for method, path in ENDPOINTS:
        response = getattr(APIClient(), method)(path.format(id=appearance.pk), {"audience": "only_me"})
        assert response.status_code in (401, 403), (method, path)
    assert _snapshot() == before


def test_every_endpoint_is_in_the_schema(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for method, path in ENDPOINTS:
        template = path.replace("{id}", "{appearance_id}").replace("/bob/", "/{handle}/").replace("/alice/", "/{handle}/")
        operation = schema["paths"][template][method]
        assert operation["tags"] == ["cameo"] and operation["description"], (method, path)


def test_only_the_owner_and_moderators_see_the_photos_and_the_clip(alice, bob, moderator):
    cameo = cameo_verified(alice, moderator)
    urls = [*_client(alice).get("/api/v1/cameo/").json()["photo_urls"], reverse("cameo:clip", args=[cameo.pk])]
    assert len(urls) == 2
    for person, status in ((bob, 404), (moderator, 200), (alice, 200)):
        browser = Client()
        browser.force_login(person)
        for url in urls:
            response = browser.get(url)
            assert response.status_code == status, (person, url)
            if status == 200:
                assert _body(response)
    assert Client().get(urls[0]).status_code == 302  # to the log-in page


def test_nobody_else_reaches_a_cameos_uses_or_rules(alice, bob, carol, moderator):
    cameo_verified(alice, moderator, audience="everyone", approve_each_use=True)
    _use(bob)
    appearance = Appearance.objects.get()
    before = _snapshot()
    for person in (bob, carol):
        client = _client(person)
        assert client.get("/api/v1/cameo/appearances/").json()["results"] == []
        assert client.post(f"/api/v1/cameo/appearances/{appearance.pk}/approve/").status_code == 404
        assert client.delete(f"/api/v1/cameo/appearances/{appearance.pk}/").status_code == 404
        assert client.patch("/api/v1/cameo/", {"audience": "only_me"}, format="json").status_code == 404
        assert client.get("/api/v1/cameo/").status_code == 404
        assert client.get("/api/v1/cameo/grants/").status_code == 404
        assert client.post("/api/v1/cameo/grants/", {"handle": person.handle}, format="json").status_code == 404
        assert client.delete("/api/v1/cameo/").status_code == 404
    assert _snapshot() == before


def test_another_persons_list_shows_only_the_uses_of_their_own_likeness(alice, bob, moderator):
    cameo_verified(alice, moderator, audience="everyone")
    _use(bob)
    _use(alice, "@alice on a bike")
    mine = _client(alice).get("/api/v1/cameo/appearances/").json()
    assert mine["count"] == 2 and {a["user"] for a in mine["results"]} == {"alice", "bob"}
    assert _client(bob).get("/api/v1/cameo/appearances/").json()["count"] == 0


# --- Bad input: a clear 400, and nothing changed


def _not_an_image() -> SimpleUploadedFile:
    return SimpleUploadedFile("me.png", b"%PDF-1.4 not a photo", content_type="image/png")


@pytest.mark.parametrize("who, photos, field", [
    ("minor", lambda: [photo_upload()], "date_of_birth"),
    ("alice", lambda: [_not_an_image()], "photos"),
    ("alice", lambda: [], "photos"),
    ("alice", lambda: [photo_upload(stranger_face()), photo_upload()], "photos"),
])
def test_a_cameo_is_not_made_from_bad_photos_or_for_a_minor(request, who, photos, field):
    before = _snapshot()
    response = _client(request.getfixturevalue(who)).post("/api/v1/cameo/", {"photos": photos()},
                                                           format="multipart")
    assert response.status_code == 400
    error = response.json()["error"]
    assert field in error["fields"] and error["message"]
    assert _snapshot() == before


def test_an_oversized_photo_is_refused(alice, settings):
    settings.CAMEO_PHOTO_MAX_BYTES = 1024
    response = _client(alice).post("/api/v1/cameo/", {"photos": [photo_upload()]}, format="multipart")
    assert response.status_code == 400 and "photos" in response.json()["error"]["fields"]
    assert not Cameo.objects.exists() and not CameoPhoto.objects.exists()


def test_a_clip_of_someone_else_is_refused_and_not_kept(alice):
    client = _client(alice)
    client.post("/api/v1/cameo/", {"photos": [photo_upload()]}, format="multipart")
    before = _snapshot()
    response = client.post("/api/v1/cameo/verification/", {"clip": clip_upload(clip_bytes([stranger_face()]))},
                           format="multipart")
    # Checked in the request here (CAMEO_CLIP_CHECK_INLINE): refused, pending again, nothing kept.
    assert response.status_code == 200
    assert response.json()["state"] == "pending" and "match" in response.json()["clip_refused"]
    assert _snapshot() == before
    response = client.post("/api/v1/cameo/verification/", {}, format="multipart")
    assert response.status_code == 400 and "clip" in response.json()["error"]["fields"]


def test_a_grant_needs_someone_who_exists(alice, moderator):
    cameo_verified(alice, moderator)
    client = _client(alice)
    before = _snapshot()
    response = client.post("/api/v1/cameo/grants/", {"handle": "nobody_here"}, format="json")
    assert response.status_code == 400 and "@nobody_here" in response.json()["error"]["fields"]["handle"][0]
    assert client.post("/api/v1/cameo/grants/", {}, format="json").status_code == 400
    assert client.post("/api/v1/cameo/grants/", {"handle": "alice"}, format="json").status_code == 400
    assert client.delete("/api/v1/cameo/grants/nobody_here/").status_code == 400
    assert _snapshot() == before


@pytest.mark.parametrize("body, field", [
    ({"audience": "my_cat"}, "audience"),
    ({"audience": "everyone", "limits": "x\n" * 30}, "limits"),
    ({"approve_each_use": "perhaps"}, "approve_each_use"),
])
def test_bad_rules_are_refused_and_nothing_changes(alice, moderator, body, field):
    cameo_verified(alice, moderator)
    before = _snapshot()
    response = _client(alice).patch("/api/v1/cameo/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    assert _snapshot() == before


def _with_box(mp4: bytes, kind: bytes, payload: bytes) -> bytes:
    """Return `mp4` with one more top-level box: still a valid file."""
    return mp4 + (8 + len(payload)).to_bytes(4, "big") + kind + payload


def _clip_with_metadata() -> bytes:
    import io

    import av

    source = av.open(io.BytesIO(clip_bytes([astronaut_face()])), "r")
    output = io.BytesIO()
    with av.open(output, "w", format="mp4") as target:
        target.metadata["location"] = "+48.8584+002.2945/"
        streams = {s.index: target.add_stream_from_template(s) for s in source.streams if s.type == "video"}
        for packet in source.demux(*(source.streams[i] for i in streams)):
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                target.mux(packet)
    return output.getvalue()


def test_a_clip_named_html_with_a_script_inside_is_kept_and_served_as_a_video(alice, moderator):
    client = _client(alice)
    assert client.post("/api/v1/cameo/", {"photos": [photo_upload()]}, format="multipart").status_code == 201
    script = b"<script>document.title='owned'</script>"
    hostile = _with_box(_clip_with_metadata(), b"free", script)
    response = client.post("/api/v1/cameo/verification/", {"clip": clip_upload(hostile, name="clip.html")},
                           format="multipart")
    assert response.status_code == 200, response.json()
    cameo = Cameo.objects.get()
    assert cameo.clip.name.endswith(".mp4")
    with cameo.clip.open("rb") as handle:
        kept = handle.read()
    # Only the streams were kept: neither the script nor the place it was filmed.
    assert script not in kept and b"48.8584" not in kept

    watcher = Client()
    watcher.force_login(moderator)
    served = watcher.get(reverse("cameo:clip", args=[cameo.pk]))
    assert served.status_code == 200
    assert served["Content-Type"] == "video/mp4"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served["Content-Security-Policy"] and "default-src 'none'" in served["Content-Security-Policy"]
    assert served["Content-Disposition"].startswith("inline") and ".mp4" in served["Content-Disposition"]


def test_a_clip_whose_header_understates_its_length_is_refused_by_what_is_decoded(alice, settings):
    settings.CAMEO_CLIP_MAX_SECONDS = 1.0  # the test clip lasts 2 s (16 frames at 8 fps)
    client = _client(alice)
    assert client.post("/api/v1/cameo/", {"photos": [photo_upload()]}, format="multipart").status_code == 201
    mp4 = bytearray(clip_bytes([astronaut_face()]))
    # Make the headers lie (movie, track and media durations, all version 0 boxes): they say
    # a tenth of the real length, while the frames still run for 2 s.
    for box, offset in ((b"mvhd", 20), (b"tkhd", 24), (b"mdhd", 20)):
        at = mp4.find(box) + offset
        mp4[at:at + 4] = (int.from_bytes(mp4[at:at + 4], "big") // 10).to_bytes(4, "big")
    response = client.post("/api/v1/cameo/verification/", {"clip": clip_upload(bytes(mp4))}, format="multipart")
    assert response.json()["state"] == "pending" and "too long" in response.json()["clip_refused"]


def test_off_the_request_the_clip_is_checked_by_the_worker(alice, settings, monkeypatch,
                                                           django_capture_on_commit_callbacks):
    from cameo import services

    settings.CAMEO_CLIP_CHECK_INLINE = False
    sent: list[int] = []
    monkeypatch.setattr(services, "_verification_check_send", sent.append)
    client = _client(alice)
    assert client.post("/api/v1/cameo/", {"photos": [photo_upload()]}, format="multipart").status_code == 201
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/api/v1/cameo/verification/", {"clip": clip_upload()}, format="multipart")
    cameo = Cameo.objects.get()
    # The request only kept the clip: the worker's task decodes it and looks at the faces.
    assert response.status_code == 202 and response.json()["state"] == "checking" and sent == [cameo.pk]
    assert not Case.objects.exists()
    assert client.post("/api/v1/cameo/verification/", {"clip": clip_upload()}, format="multipart").status_code == 400
    from cameo.tasks import verification_check_task

    assert verification_check_task(cameo.pk) == "in_review"
    assert Case.objects.filter(kind="cameo_verification", subject_id=cameo.pk).exists()
    assert verification_check_task(cameo.pk) == "in_review"  # a second delivery changes nothing
    assert Case.objects.count() == 1
