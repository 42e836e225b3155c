"""Fill an empty site with people, videos, likes and comments, so the first page looks alive."""

from __future__ import annotations

import datetime as dt
import random
import tempfile
from pathlib import Path

from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.services import follow_create
from feed.models import Comment, Post
from feed.services import comment_create, like_create, post_create, post_publish
from generation.encoding import encode_mp4, poster_jpeg
from generation.scenes import render_scene

DEMO_PASSWORD = "demo-password"  # noqa: S105 - the documented demo login
PEOPLE = [
    ("alice", "Alice Martin", "Sunsets, surf and slow motion."),
    ("bastien", "Bastien Roux", "Je filme la mer, la forêt et les néons."),
    ("chloe", "Chloé Dubois", "Animation lover. Tiny worlds, big colours."),
    ("dmitri", "Dmitri Volkov", "Loops that never end."),
    ("emma", "Emma Leroy", "Aurores boréales et rêves lucides."),
    ("farid", "Farid Benali", "Desert roads and city lights."),
]
CLIPS = [
    ("alice", "orbs", "sunset", "Golden hour orbs drifting over the bay 🌅"),
    ("alice", "waves", "ocean", "Waves, on repeat"),
    ("bastien", "waves", "forest", "La forêt respire #nature"),
    ("bastien", "tunnel", "neon", "Tunnel néon, aller simple"),
    ("chloe", "orbs", "aurora", "Lanterns in a northern sky"),
    ("chloe", "tunnel", "sunset", "Falling into a sunset"),
    ("dmitri", "tunnel", "ocean", "Deep blue loop"),
    ("dmitri", "orbs", "neon", "Neon fireflies"),
    ("emma", "waves", "aurora", "Aurore boréale en boucle"),
    ("emma", "orbs", "forest", "Spores of light"),
    ("farid", "waves", "desert", "Dunes in the wind"),
    ("farid", "tunnel", "desert", "Heat haze"),
]
COMMENTS = [
    "So calming 😍", "Trop beau !", "How did you make this?", "On repeat all day",
    "Les couleurs 🔥", "Remix incoming", "This loop is perfect", "J'adore l'ambiance",
]


class Command(BaseCommand):
    help = "Create demo people, real MP4 videos, follows, likes and comments (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--frames", type=int, default=72, help="frames per clip (24 fps)")

    def handle(self, *args, frames: int, **options) -> None:
        rng = random.Random(2026)
        people = {handle: self._person(handle, name, bio) for handle, name, bio in PEOPLE}
        made = 0
        now = timezone.now()
        for index, (handle, scene, palette, caption) in enumerate(CLIPS):
            author = people[handle]
            if Post.objects.filter(author=author, caption=caption).exists():
                continue
            self._post(author, scene, palette, caption, frames, seed=index,
                       at=now - dt.timedelta(hours=3 * index + rng.random()))
            made += 1
        follows = random.Random(7)  # its own generator: the same follows on every run
        for handle, person in people.items():
            for other_handle, other in people.items():
                if other_handle != handle and follows.random() < 0.6:
                    follow_create(follower=person, followee=other)
        if made:
            posts = list(Post.objects.filter(author__in=people.values()))
            for post in posts:
                for person in rng.sample(list(people.values()), rng.randint(1, len(people))):
                    like_create(user=person, post_id=post.pk)
                for person in rng.sample(list(people.values()), rng.randint(0, 3)):
                    if person.pk != post.author_id:
                        comment_create(author=person, post_id=post.pk, body=rng.choice(COMMENTS))
        self.stdout.write(self.style.SUCCESS(
            f"Demo ready: {len(people)} people, {made} new videos, "
            f"{Comment.objects.count()} comments. Log in as alice / {DEMO_PASSWORD}."
        ))

    def _person(self, handle: str, name: str, bio: str) -> User:
        user, created = User.objects.get_or_create(
            handle=handle,
            defaults={"display_name": name, "bio": bio, "email": f"{handle}@demo.invalid",
                      "date_of_birth": dt.date(1994, 3, 14)},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        return user

    @transaction.atomic
    def _post(self, author: User, scene: str, palette: str, caption: str, frames: int, *, seed: int, at) -> Post:
        clip = list(render_scene(scene, palette=palette, frames=frames, seed=seed))
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "clip.mp4"
            info = encode_mp4(clip, path, fps=24)
            video = ContentFile(path.read_bytes(), name="clip.mp4")
        post = post_create(
            author=author, video=video, poster=ContentFile(poster_jpeg(clip[0]), name="poster.jpg"),
            duration=info.duration, width=info.width, height=info.height, caption=caption, publish=False,
        )
        return post_publish(post=post, at=at)
