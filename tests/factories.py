"""Factories for the tests: people, posts with real MP4 files, likes, comments."""

from __future__ import annotations

import datetime as dt
import functools
import tempfile
from pathlib import Path

import factory
from django.core.files.base import ContentFile
from django.utils import timezone

from accounts.models import Block, Follow, User
from feed.models import Comment, Like, Post
from feed.services import post_publish
from generation.encoding import encode_mp4, poster_jpeg
from generation.scenes import render_scene


@functools.cache
def tiny_clip() -> tuple[bytes, bytes]:
    """Return the bytes of a small real H.264 MP4 (64×112, 12 frames) and of its poster."""
    frames = list(render_scene("orbs", width=64, height=112, frames=12, seed=1))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.mp4"
        encode_mp4(frames, path, fps=12)
        return path.read_bytes(), poster_jpeg(frames[0])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    handle = factory.Sequence(lambda n: f"person{n}")
    email = factory.LazyAttribute(lambda u: f"{u.handle}@example.org")
    display_name = factory.LazyAttribute(lambda u: u.handle.title())
    date_of_birth = dt.date(1995, 5, 17)
    password = factory.PostGenerationMethodCall("set_password", "a-Strong-pass-42")

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class PostFactory(factory.django.DjangoModelFactory):
    """A published post unless `state` says otherwise."""

    class Meta:
        model = Post

    author = factory.SubFactory(UserFactory)
    caption = factory.Sequence(lambda n: f"Clip number {n}")
    duration = 1.0
    width = 64
    height = 112
    video_size = factory.LazyFunction(lambda: len(tiny_clip()[0]))
    video = factory.LazyFunction(lambda: ContentFile(tiny_clip()[0], name="clip.mp4"))
    poster = factory.LazyFunction(lambda: ContentFile(tiny_clip()[1], name="poster.jpg"))
    state = Post.State.PUBLISHED

    @classmethod
    def _create(cls, model_class, *args, published_at=None, **kwargs):
        """Publish through the service, so ranks and counts are what the site would make."""
        publish = kwargs.get("state") == Post.State.PUBLISHED
        if publish:
            kwargs["state"] = Post.State.PENDING_REVIEW
        post = super()._create(model_class, *args, **kwargs)
        if publish:
            post_publish(post=post, at=published_at or timezone.now())
        return post


class LikeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Like

    user = factory.SubFactory(UserFactory)
    post = factory.SubFactory(PostFactory)


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    post = factory.SubFactory(PostFactory)
    author = factory.SubFactory(UserFactory)
    body = "Nice one!"


class FollowFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Follow

    follower = factory.SubFactory(UserFactory)
    followee = factory.SubFactory(UserFactory)


class BlockFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Block

    blocker = factory.SubFactory(UserFactory)
    blocked = factory.SubFactory(UserFactory)
