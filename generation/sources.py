"""What a remix starts from: a post, as the app that owns posts describes it.

Generation never imports the feed. The feed registers, when it starts, how to read a post a
given person may remix (`remix_sources`, a registry: see `config.registry`); without it,
remixes are refused as if the post could not be seen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import User
from config.registry import Registry


@dataclass(frozen=True)
class PostSource:
    """A post a remix starts from."""

    post_id: int
    author: User
    video_name: str
    job_id: int | None = None
    poster_name: str = ""


# `resolve(post_id=..., viewer=...)` returns the PostSource, or None if `viewer` cannot see it.
PostSourceResolver = Callable[..., PostSource | None]

POST = "post"
remix_sources: Registry[PostSourceResolver] = Registry("generation.remix_sources")
