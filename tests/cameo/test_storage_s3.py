"""A cameo's likeness on a real S3 server (tests/support/s3.py): the photo and the clip are
checked from the bucket, handed to their owner and moderators only through signed URLs, never
readable at their unsigned address, and deleted from the bucket with the cameo."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from cameo.models import Cameo
from cameo.services import cameo_delete
from tests.support.s3 import http_get

from .conftest import cameo_verified

pytestmark = pytest.mark.django_db


def test_likeness_media_on_s3_go_through_signed_urls_and_leave_with_the_cameo(
    alice, bob, moderator, s3_media, django_capture_on_commit_callbacks
):
    cameo = cameo_verified(alice, moderator)  # the clip is checked as read back from the bucket
    photo = cameo.photos.get()
    keys = {photo.image.name, cameo.clip.name}
    assert all(key.startswith("likeness/") for key in keys) and s3_media.keys() == keys
    addresses = {
        reverse("cameo:photo", args=[photo.pk]): s3_media.read(photo.image.name),
        reverse("cameo:clip", args=[cameo.pk]): s3_media.read(cameo.clip.name),
    }
    for person, allowed in ((alice, True), (moderator, True), (bob, False)):
        client = Client()
        client.force_login(person)
        for address, content in addresses.items():
            response = client.get(address)
            if not allowed:
                assert response.status_code == 404, (person, address)
                continue
            assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
            status, headers, body = http_get(response["Location"])
            assert (status, body) == (200, content), (person, address)
            assert headers["Cache-Control"] == "private, no-store"
            assert http_get(response["Location"], {"Range": "bytes=0-3"})[::2] == (206, content[:4])
    for key in keys:
        assert http_get(s3_media.unsigned_url(key))[0] == 403, key

    with django_capture_on_commit_callbacks(execute=True):
        cameo_delete(cameo=cameo, user=alice)
        assert s3_media.keys() == keys  # until the commit
    assert not Cameo.objects.filter(pk=cameo.pk).exists() and s3_media.keys() == set()
