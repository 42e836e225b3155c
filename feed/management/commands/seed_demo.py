"""Fill an empty site with people, videos, likes and comments, so the first page looks alive."""

from __future__ import annotations

import datetime as dt
import random

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.models import User
from accounts.services import follow_create
from feed.gate import post_from_draft
from feed.models import Comment, Post
from feed.services import comment_create, fresh_score_at, like_create, rank_score
from generation.backends.scenes import SceneBackend
from generation.models import GenerationJob
from generation.runner import job_run
from generation.services import job_create
from generation.submission import job_check

# The demo's clips: painted scenes at phone proportions, made by the generation pipeline.
DEMO_WIDTH, DEMO_HEIGHT, DEMO_FPS = 288, 512, 24
SCENES = SceneBackend()
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
        parser.add_argument("--seconds", type=float, default=3.0, help="length of each clip")

    def handle(self, *args, seconds: float, **options) -> None:
        rng = random.Random(2026)
        people = {handle: self._person(handle, name, bio) for handle, name, bio in PEOPLE}
        made = 0
        now = timezone.now()
        for index, (handle, scene, palette, caption) in enumerate(CLIPS):
            author = people[handle]
            if Post.objects.filter(author=author, caption=caption).exists():
                continue
            self._post(author, scene, palette, caption, seconds, seed=index,
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

    def _post(self, author: User, scene: str, palette: str, caption: str, seconds: float, *, seed: int, at) -> Post:
        """Make the clip through the generation pipeline (painted scenes, not the model), post it."""
        request = job_check(owner=author, prompt=f"{scene} in {palette} colours", duration=seconds, seed=seed)
        job = job_create(request=request, enqueue=False)
        GenerationJob.objects.filter(pk=job.pk).update(width=DEMO_WIDTH, height=DEMO_HEIGHT, fps=DEMO_FPS)
        state = job_run(job.pk, backend=SCENES)
        if state != GenerationJob.State.READY:
            job.refresh_from_db()
            raise CommandError(f"The demo clip {caption!r} was not made: {job.state} {job.error}")
        post = post_from_draft(author=author, job_id=job.pk, caption=caption)
        if post.state == Post.State.PUBLISHED:  # back-date it, so the feed spans a few days
            fresh = fresh_score_at(at)
            Post.objects.filter(pk=post.pk).update(
                published_at=at, fresh_score=fresh,
                rank_score=rank_score(fresh_score=fresh, like_count=0, comment_count=0),
            )
        return post
