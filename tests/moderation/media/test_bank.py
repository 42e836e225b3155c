import io

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from skimage import data

from moderation.media.bank import BankError, bank_revision, bank_snapshot, protected_media_add
from moderation.media.faces import FACE_MODEL
from moderation.models import ProtectedMedia
from tests.factories import UserFactory

from .pictures import encode_clip, film, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def pictures(tmp_path, astronaut, controls, lfw_faces):
    paths = {
        "astronaut": tmp_path / "astronaut.png",
        "coffee": tmp_path / "coffee.png",
        "grey": tmp_path / "grey.png",
        "crowd": tmp_path / "crowd.png",
    }
    paths["astronaut"].write_bytes(png_bytes(astronaut))
    paths["coffee"].write_bytes(png_bytes(controls["coffee"]))
    paths["grey"].write_bytes(png_bytes(np.full((64, 64, 3), 90, dtype=np.uint8)))
    paths["crowd"].write_bytes(png_bytes(np.concatenate(lfw_faces[:3], axis=1)))
    return paths


def test_bank_add_stores_the_hash_and_the_face_of_a_public_figure(pictures):
    staff = UserFactory(handle="moderator", is_staff=True)
    out = io.StringIO()
    call_command(
        "bank_add", str(pictures["astronaut"]), label="Eileen Collins", category="public_figure",
        source="press kit", handle="moderator", stdout=out,
    )
    entry = ProtectedMedia.objects.get()
    assert (entry.label, entry.category, entry.kind, entry.source) == ("Eileen Collins", "public_figure", "image", "press kit")
    assert entry.created_by == staff and entry.active
    assert len(entry.pdq_hashes) == 1 and len(entry.pdq_hashes[0]) == 64
    assert entry.pdq_quality >= 50
    assert len(entry.face_embedding) == 128 and entry.face_model == FACE_MODEL
    assert f"added #{entry.pk}" in out.getvalue() and "face descriptor" in out.getvalue()


def test_bank_add_takes_several_files_and_reports_the_ones_it_refuses(pictures):
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="2 of 4"):
        call_command(
            "bank_add", str(pictures["astronaut"]), str(pictures["coffee"]), str(pictures["grey"]),
            str(pictures["astronaut"]), label="Stills", category="copyright", stdout=out, stderr=err,
        )
    assert ProtectedMedia.objects.count() == 2
    assert not ProtectedMedia.objects.exclude(face_embedding=None).exists()  # copyright: hashes only
    assert "too flat" in err.getvalue() and "already in the bank" in err.getvalue()


def test_a_public_figures_photo_must_show_one_face(pictures):
    with pytest.raises(BankError, match="3 faces"):
        protected_media_add(label="Group", category="public_figure", file=pictures["crowd"])
    addition = protected_media_add(label="Not a face", category="public_figure", file=pictures["coffee"])
    assert addition.entry.face_embedding is None
    assert "No face found" in addition.notes[0]


def test_a_video_is_stored_as_one_hash_per_sampled_frame(tmp_path):
    clip = encode_clip(film(36, width=96, height=96, pictures=[data.chelsea(), data.coffee()]), tmp_path / "c.mp4", fps=12)
    entry = protected_media_add(label="Trailer", category="copyright", file=clip).entry
    assert entry.kind == "video" and entry.frame_count == 3


def test_bank_add_refuses_an_unknown_person_or_category(pictures):
    with pytest.raises(CommandError, match="handle"):
        call_command("bank_add", str(pictures["astronaut"]), label="x", category="copyright", handle="nobody")
    with pytest.raises(CommandError):
        call_command("bank_add", str(pictures["astronaut"]), label="x", category="brand")


def test_the_bank_index_follows_every_change(pictures):
    empty = bank_snapshot()
    assert len(empty.hashes) == 0 and not empty.has_faces
    entry = protected_media_add(label="A", category="public_figure", file=pictures["astronaut"]).entry
    snapshot = bank_snapshot()
    assert snapshot.revision != empty.revision and snapshot is bank_snapshot()  # cached while unchanged
    assert list(snapshot.entries) == [entry.pk] and snapshot.has_faces
    ProtectedMedia.objects.filter(pk=entry.pk).delete()
    assert bank_revision() != snapshot.revision
    assert bank_snapshot().entries == {}


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    return client


def test_staff_add_protected_media_from_the_admin(admin_client, astronaut):
    upload = SimpleUploadedFile("poster.png", png_bytes(astronaut), content_type="image/png")
    response = admin_client.post(
        reverse("admin:moderation_protectedmedia_add"),
        {"label": "Mission poster", "category": "copyright", "source": "", "active": "on", "file": upload},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = ProtectedMedia.objects.get()
    assert entry.label == "Mission poster" and entry.kind == "image" and entry.pdq_hashes
    assert entry.created_by.is_superuser
    changelist = admin_client.get(reverse("admin:moderation_protectedmedia_changelist"))
    assert "Mission poster" in changelist.content.decode()
    change = admin_client.get(reverse("admin:moderation_protectedmedia_change", args=[entry.pk]))
    assert change.status_code == 200


def test_the_admin_explains_a_file_it_cannot_use(admin_client):
    upload = SimpleUploadedFile("notes.txt", b"just some text", content_type="text/plain")
    response = admin_client.post(
        reverse("admin:moderation_protectedmedia_add"),
        {"label": "Notes", "category": "copyright", "file": upload},
    )
    assert response.status_code == 200
    assert "neither an image nor a video" in response.content.decode()
    assert not ProtectedMedia.objects.exists()


def test_deactivating_from_the_admin_stops_matching_at_once(admin_client, pictures):
    entry = protected_media_add(label="A", category="copyright", file=pictures["astronaut"]).entry
    before = bank_snapshot()
    response = admin_client.post(
        reverse("admin:moderation_protectedmedia_changelist"),
        {"action": "deactivate", "_selected_action": [entry.pk]},
    )
    assert response.status_code == 302
    assert bank_revision() != before.revision
    assert bank_snapshot().entries == {}
