"""Stored files are deleted only once the transaction that dropped them commits."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from config.files import files_delete_on_commit, stored
from tests.factories import PostFactory

pytestmark = pytest.mark.django_db


def test_files_are_deleted_after_the_commit_and_kept_after_a_rollback(django_capture_on_commit_callbacks):
    kept = default_storage.save("tests/kept.txt", ContentFile(b"kept"))
    gone = default_storage.save("tests/gone.txt", ContentFile(b"gone"))
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                files_delete_on_commit([(default_storage, kept)])
                raise ValueError("roll back")
        except ValueError:
            pass
        files_delete_on_commit([(default_storage, gone)])
        assert default_storage.exists(gone)  # not before the commit
    assert default_storage.exists(kept) and not default_storage.exists(gone)
    default_storage.delete(kept)


def test_a_storage_that_fails_does_not_stop_the_other_deletions(django_capture_on_commit_callbacks):
    class Broken:
        def delete(self, name):
            raise OSError("storage is down")

    name = default_storage.save("tests/after-broken.txt", ContentFile(b"x"))
    with django_capture_on_commit_callbacks(execute=True):
        files_delete_on_commit([(Broken(), "whatever"), (default_storage, name)])
    assert not default_storage.exists(name)


def test_stored_lists_only_the_fields_that_hold_a_file():
    post = PostFactory()
    assert stored(post.video, None, post.poster) == [
        (post.video.storage, post.video.name), (post.poster.storage, post.poster.name)
    ]
    post.poster = ""
    assert stored(post.poster) == []
