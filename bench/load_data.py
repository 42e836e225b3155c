#!/usr/bin/env python
"""Seed the load benchmark's database: people with API tokens, and posts to read and like.

    load_data.py PEOPLE POSTS      (run by bench/load.py, with its environment)

Prints one JSON line: the tokens, the post everyone likes, and the range of people ids.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "platform"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))


def main(people: int, posts: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.models import User
    from feed.models import Post
    from feed.services import fresh_score_at, rank_score
    from tests.factories import tiny_clip

    video, poster = tiny_clip()
    media = Path(settings.MEDIA_ROOT)
    (media / "videos").mkdir(parents=True, exist_ok=True)
    (media / "posters").mkdir(parents=True, exist_ok=True)
    (media / "videos" / "load.mp4").write_bytes(video)
    (media / "posters" / "load.jpg").write_bytes(poster)
    password = make_password("load-bench-password")
    users = User.objects.bulk_create(
        User(handle=f"load{index}", email=f"load{index}@example.invalid", display_name=f"Load {index}",
             password=password, date_of_birth=dt.date(1990, 1, 1))
        for index in range(people)
    )
    tokens = Token.objects.bulk_create(Token(user=user, key=Token.generate_key()) for user in users)
    now = timezone.now()
    rows = []
    for index in range(posts):
        at = now - dt.timedelta(minutes=7 * index)
        fresh = fresh_score_at(at)
        rows.append(Post(
            author=users[index % len(users)], video="videos/load.mp4", poster="posters/load.jpg", duration=1.0,
            video_size=len(video), width=64, height=112, caption=f"Clip {index}", state=Post.State.PUBLISHED,
            published_at=at, fresh_score=fresh, rank_score=rank_score(fresh_score=fresh, like_count=0, comment_count=0),
        ))
    made = Post.objects.bulk_create(rows)
    for user in users:
        User.objects.filter(pk=user.pk).update(post_count=posts // people)
    print(json.dumps({
        "tokens": [token.key for token in tokens], "bench_post": made[0].pk,
        "first_user": users[0].pk, "last_user": users[-1].pk,
    }))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))
