"""Media on a real S3 server (moto's, see tests/support/s3.py): the settings that put it there,
the bucket that serves only the public folders, private files handed over through signed
URLs that answer byte ranges, and files deleted after the commit gone from the bucket.

The feed's, generation's and cameo's own S3 tests sit beside their other tests."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import FileField
from django.db.models.fields.files import FieldFile
from django.test import RequestFactory

from config.files import files_delete_on_commit
from config.media import private_file_response
from tests.support.s3 import http_get
from tests.support.worker import ROOT, process_env

DATA = bytes(range(256)) * 40  # 10 KiB, every byte value, so a wrong range shows


def _stored(name: str) -> FieldFile:
    """The FieldFile of a model field that holds `name` in the default storage."""
    return FieldFile(None, FileField(), name)


def test_s3_bucket_in_the_environment_puts_media_on_s3_as_these_tests_do(s3_bucket):
    """What a process of the site builds from S3_BUCKET (config.settings.base) is what the
    S3 tests use, so they test the deployed configuration."""
    env = {**process_env(), **s3_bucket.worker_env(), "S3_SIGNED_URLS": "true"}
    env.pop("S3_REGION", None)
    script = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES))"
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert json.loads(out) == s3_bucket.storages()


def test_only_the_public_folders_are_readable_without_a_signature(s3_media):
    for name in ("videos/a.mp4", "posters/a.jpg", "avatars/1/a.webp"):
        saved = default_storage.save(name, ContentFile(b"public"))
        assert http_get(s3_media.unsigned_url(saved))[::2] == (200, b"public"), name
    for name in ("drafts/a.mp4", "likeness/1/a.png", "withheld/videos/a.mp4"):
        saved = default_storage.save(name, ContentFile(b"private"))
        assert http_get(s3_media.unsigned_url(saved))[0] == 403, name
        status, _headers, body = http_get(default_storage.url(saved))  # signed
        assert (status, body) == (200, b"private"), name


def test_a_private_file_is_a_redirect_to_a_signed_url_that_answers_byte_ranges(s3_media):
    name = default_storage.save("drafts/clip.mp4", ContentFile(DATA))
    request = RequestFactory().get("/create/jobs/1/video")
    response = private_file_response(request, _stored(name))
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    signed = response["Location"]
    assert signed.startswith(f"{s3_media.endpoint}/{s3_media.name}/{name}?") and "Signature" in signed

    status, headers, body = http_get(signed)
    assert (status, body) == (200, DATA)
    assert headers["Content-Type"] == "video/mp4" and headers["Cache-Control"] == "private, no-store"
    assert headers.get("Accept-Ranges") == "bytes"
    status, headers, body = http_get(signed, {"Range": "bytes=1000-1999"})
    assert (status, body) == (206, DATA[1000:2000])
    assert headers["Content-Range"] == f"bytes 1000-1999/{len(DATA)}"
    assert http_get(signed, {"Range": "bytes=-300"})[::2] == (206, DATA[-300:])
    assert http_get(signed, {"Range": f"bytes={len(DATA) - 10}-"})[::2] == (206, DATA[-10:])
    # The same object without the signature is refused by the bucket.
    assert http_get(s3_media.unsigned_url(name))[0] == 403


def test_a_private_download_is_saved_under_its_name(s3_media):
    name = default_storage.save("drafts/clip.mp4", ContentFile(DATA))
    request = RequestFactory().get("/create/jobs/1/video?download=1")
    response = private_file_response(request, _stored(name), download_name="reel-1.mp4")
    status, headers, body = http_get(response["Location"])
    assert (status, body) == (200, DATA)
    assert headers["Content-Disposition"] == 'attachment; filename="reel-1.mp4"'


def test_private_file_response_still_refuses_an_empty_field(s3_media):
    from django.http import Http404

    with pytest.raises(Http404):
        private_file_response(RequestFactory().get("/"), _stored(""))


@pytest.mark.django_db
def test_files_deleted_after_the_commit_leave_the_bucket_and_a_rollback_keeps_them(
    s3_media, django_capture_on_commit_callbacks
):
    class Broken:
        def delete(self, name):
            raise OSError("storage is down")

    kept = default_storage.save("drafts/kept.mp4", ContentFile(b"kept"))
    gone = default_storage.save("videos/gone.mp4", ContentFile(b"gone"))
    also_gone = default_storage.save("likeness/1/gone.png", ContentFile(b"gone"))
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                files_delete_on_commit([(default_storage, kept)])
                raise ValueError("roll back")
        except ValueError:
            pass
        files_delete_on_commit([(Broken(), "whatever"), (default_storage, gone), (default_storage, also_gone)])
        assert s3_media.keys() == {kept, gone, also_gone}  # nothing before the commit
    assert s3_media.keys() == {kept}
    assert http_get(s3_media.unsigned_url(gone))[0] in (403, 404)


def test_private_files_are_handed_over_signed_even_when_public_urls_are_not(settings, s3_media):
    """S3_SIGNED_URLS=false: public files go out at their plain address, which the bucket's
    policy serves; a private one is refused there, so its view still signs its address."""
    storages = s3_media.storages()
    storages["default"]["OPTIONS"]["querystring_auth"] = False
    settings.STORAGES = storages
    public = default_storage.save("videos/clip.mp4", ContentFile(DATA))
    assert default_storage.url(public) == s3_media.unsigned_url(public)
    assert http_get(default_storage.url(public))[::2] == (200, DATA)
    private = default_storage.save("drafts/clip.mp4", ContentFile(DATA))
    response = private_file_response(RequestFactory().get("/"), _stored(private), download_name="reel-1.mp4")
    assert response.status_code == 302 and "Signature" in response["Location"]
    status, headers, body = http_get(response["Location"])
    assert (status, body) == (200, DATA) and headers["Cache-Control"] == "private, no-store"
    assert headers["Content-Disposition"] == 'attachment; filename="reel-1.mp4"'
    assert default_storage.url(private) == s3_media.unsigned_url(private)  # the storage itself unchanged
