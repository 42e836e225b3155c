"""The feed's files on a real S3 server (tests/support/s3.py): a draft posted is copied to
public keys, and a post taken down moves its objects under withheld/, its public keys gone."""

from __future__ import annotations

import pytest
from django.urls import reverse

from feed.gate import post_from_draft
from feed.models import Post
from feed.services import post_publish, post_unpublish
from tests.factories import PostFactory, tiny_clip
from tests.support.jobs import run_to_draft, submit_and_send
from tests.support.renders import _small_renders  # noqa: F401
from tests.support.s3 import http_get

pytestmark = pytest.mark.django_db


def test_a_draft_rendered_and_posted_on_s3_is_copied_to_public_keys(
    user, s3_media, sent_jobs, django_capture_on_commit_callbacks
):
    job = submit_and_send(django_capture_on_commit_callbacks, owner=user, prompt="fireflies", duration=1, tier="low")
    job = run_to_draft(job, django_capture_on_commit_callbacks, sent_jobs)  # the runner stores it on S3
    draft_keys = {job.video.name, job.poster.name}
    assert job.video.name.startswith("drafts/") and s3_media.keys() == draft_keys
    draft_video = s3_media.read(job.video.name)
    assert draft_video[4:8] == b"ftyp"  # an MP4

    post = post_from_draft(author=user, job_id=job.pk, caption="Summer night")
    assert post.state == Post.State.PUBLISHED
    assert post.video.name.startswith("videos/") and post.poster.name.startswith("posters/")
    assert s3_media.keys() == draft_keys | {post.video.name, post.poster.name}  # copied, the draft kept
    assert s3_media.read(post.video.name) == draft_video
    assert s3_media.read(post.poster.name) == s3_media.read(job.poster.name)
    # Anyone can play it, at its public key or at the (signed) address the pages give.
    assert http_get(s3_media.unsigned_url(post.video.name))[::2] == (200, draft_video)
    assert http_get(post.video.url)[::2] == (200, draft_video)
    assert http_get(s3_media.unsigned_url(job.video.name))[0] == 403  # the draft stays private


def test_a_post_taken_down_on_s3_moves_its_objects_to_withheld_and_back(
    client, s3_media, django_capture_on_commit_callbacks
):
    video, poster = tiny_clip()
    post = PostFactory()
    public = {post.video.name, post.poster.name}
    assert s3_media.keys() == public
    assert http_get(s3_media.unsigned_url(post.video.name))[::2] == (200, video)

    with django_capture_on_commit_callbacks(execute=True):
        post_unpublish(post=post, state=Post.State.REMOVED)
        assert public < s3_media.keys()  # the old objects wait for the commit
    post.refresh_from_db()
    withheld = {f"withheld/{name}" for name in public}
    assert {post.video.name, post.poster.name} == withheld
    assert s3_media.keys() == withheld  # the public keys are gone
    assert s3_media.read(post.video.name) == video and s3_media.read(post.poster.name) == poster
    for name in public:
        assert http_get(s3_media.unsigned_url(name))[0] in (403, 404), name
    for name in withheld:
        assert http_get(s3_media.unsigned_url(name))[0] == 403, name
    # Its author still plays it, through the checked view and a signed URL; a visitor cannot.
    checked = reverse("feed:post-media", args=[post.pk, "video"])
    assert post.video_src == checked
    assert client.get(checked).status_code == 404
    client.force_login(post.author)
    response = client.get(checked)
    assert response.status_code == 302 and response["Cache-Control"] == "private, no-store"
    assert http_get(response["Location"])[::2] == (200, video)
    assert http_get(response["Location"], {"Range": "bytes=4-7"})[::2] == (206, b"ftyp")

    with django_capture_on_commit_callbacks(execute=True):
        post_publish(post=post)
    post.refresh_from_db()
    assert {post.video.name, post.poster.name} == public and s3_media.keys() == public
    assert http_get(s3_media.unsigned_url(post.video.name))[::2] == (200, video)
