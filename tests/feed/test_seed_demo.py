"""The demo data: alive on first sight, real videos, safe to run twice."""

import pytest
from django.core.management import call_command

from accounts.models import Follow, User
from feed.models import Comment, Like, Post
from generation.encoding import probe_mp4


@pytest.mark.django_db
def test_demo_data_is_real_and_idempotent():
    call_command("seed_demo", seconds=1)
    counts = (User.objects.count(), Post.objects.count(), Like.objects.count(),
              Comment.objects.count(), Follow.objects.count())
    assert counts[0] >= 5 and counts[1] >= 10 and counts[2] > 0 and counts[3] > 0 and counts[4] > 0
    assert not Post.objects.exclude(state=Post.State.PUBLISHED).exists()
    post = Post.objects.first()
    info = probe_mp4(post.video.path)
    assert (info.codec, info.pix_fmt, info.frame_count) == ("h264", "yuv420p", 25)
    # Made by the generation pipeline: a job with provenance behind every post.
    assert post.job is not None and post.job.provenance["job_id"] == post.job_id
    assert (info.width, info.height) == (post.width, post.height)
    assert post.poster.storage.exists(post.poster.name)
    for p in Post.objects.all():
        assert p.like_count == p.likes.count() and p.comment_count == p.comments.count()

    call_command("seed_demo", seconds=1)
    assert (User.objects.count(), Post.objects.count(), Like.objects.count(),
            Comment.objects.count(), Follow.objects.count()) == counts
    assert User.objects.get(handle="alice").check_password("demo-password")
