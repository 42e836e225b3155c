"""Property: whatever people do, in any order, no published post shows a cameo without the
current consent of the person in it.

Random sequences of grant, revoke, audience and limit changes, follows, generate, post, remix,
approve, remove and delete run across four people; after every step an oracle written here,
independently of cameo's own code, checks every published post against the rules as they
stand.
"""

from __future__ import annotations

import contextlib
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from accounts.models import Follow, User
from accounts.services import follow_create, follow_delete
from cameo.models import Appearance, Cameo, CameoGrant
from cameo.services import (
    appearance_approve,
    appearance_remove,
    cameo_delete,
    cameo_rules_update,
    grant_add,
    grant_remove,
)
from feed.gate import post_from_draft
from feed.models import Post
from generation.models import GenerationJob
from tests.factories import UserFactory, tiny_clip
from tests.support.jobs import submit

PEOPLE = ["ann", "ben", "cat", "dan"]
ACTIVITIES = ["surfing at sunset", "singing on a stage", "reading in a garden"]
LIMITS = ["", "don't make me sing"]


class Rollback(Exception):
    pass


def _finish(job: GenerationJob) -> None:
    """Leave the job as a worker would, if it is still allowed to run."""
    job.refresh_from_db()
    if job.state != GenerationJob.State.QUEUED:
        return
    video, poster = tiny_clip()
    job.video.save("video.mp4", ContentFile(video), save=False)
    job.poster.save("poster.jpg", ContentFile(poster), save=False)
    job.state, job.phase, job.review = GenerationJob.State.READY, "ready", GenerationJob.Review.ALLOW
    job.video_duration, job.video_size, job.width, job.height = 1.0, len(video), 64, 112
    job.save()


def _may_use(cameo: Cameo | None, owner: User, user: User, prompt: str) -> bool:
    """The rules, restated: may `user` show `owner` in a video made from `prompt`, now?"""
    if user.pk == owner.pk:
        return True
    if cameo is None or cameo.state != Cameo.State.VERIFIED or cameo.audience == Cameo.Audience.ONLY_ME:
        return False
    if "sing" in cameo.limits and "singing" in prompt:
        return False
    granted = CameoGrant.objects.filter(cameo=cameo, user=user).exists()
    mutual = (Follow.objects.filter(follower=owner, followee=user).exists()
              and Follow.objects.filter(follower=user, followee=owner).exists())
    return (cameo.audience == Cameo.Audience.EVERYONE or granted
            or (cameo.audience == Cameo.Audience.MUTUALS and mutual))


class ConsentMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.people = {}
        for handle in PEOPLE:
            person = UserFactory(handle=handle, date_of_birth=dt.date(1990, 3, 4))
            Cameo.objects.create(owner=person, state=Cameo.State.VERIFIED, reference_vector=[0.0] * 128)
            self.people[handle] = person
        # By the oracle's own count: job id -> the handles it shows, and the words that made it.
        self.mentions: dict[int, list[str]] = {}
        self.prompts: dict[int, str] = {}

    @initialize(audiences=st.lists(st.sampled_from(Cameo.Audience.values), min_size=4, max_size=4),
                grants=st.lists(st.tuples(st.sampled_from(PEOPLE), st.sampled_from(PEOPLE)), max_size=4))
    def start(self, audiences, grants):
        for handle, audience in zip(PEOPLE, audiences, strict=True):
            Cameo.objects.filter(owner=self.people[handle]).update(audience=audience)
        for owner, user in grants:
            self.grant(owner, user)

    def teardown(self) -> None:
        with contextlib.suppress(Rollback):
            self.atomic.__exit__(Rollback, Rollback(), None)

    def _cameo(self, handle: str) -> Cameo | None:
        return Cameo.objects.filter(owner=self.people[handle]).first()

    # --- What the owners do

    @rule(owner=st.sampled_from(PEOPLE), user=st.sampled_from(PEOPLE))
    def grant(self, owner, user):
        cameo = self._cameo(owner)
        if cameo is not None and owner != user:
            grant_add(cameo=cameo, user=self.people[owner], handle=user)

    @rule(owner=st.sampled_from(PEOPLE), user=st.sampled_from(PEOPLE))
    def revoke(self, owner, user):
        cameo = self._cameo(owner)
        if cameo is not None:
            with contextlib.suppress(ValidationError):  # not on the list
                grant_remove(cameo=cameo, user=self.people[owner], handle=user)

    @rule(owner=st.sampled_from(PEOPLE), audience=st.sampled_from(Cameo.Audience.values),
          limits=st.sampled_from(LIMITS), approve=st.booleans())
    def change_rules(self, owner, audience, limits, approve):
        cameo = self._cameo(owner)
        if cameo is not None:
            cameo_rules_update(cameo=cameo, user=self.people[owner], audience=audience, limits=limits,
                         approve_each_use=approve)

    @rule(a=st.sampled_from(PEOPLE), b=st.sampled_from(PEOPLE), follow=st.booleans())
    def follow(self, a, b, follow):
        if a != b:
            (follow_create if follow else follow_delete)(follower=self.people[a], followee=self.people[b])

    @rule(owner=st.sampled_from(PEOPLE))
    def delete(self, owner):
        cameo = self._cameo(owner)
        if cameo is not None:
            cameo_delete(cameo=cameo, user=self.people[owner])

    @rule(owner=st.sampled_from(PEOPLE), pick=st.integers(0, 50), approve=st.booleans())
    def decide_a_use(self, owner, pick, approve):
        uses = list(Appearance.objects.filter(owner=self.people[owner]).order_by("id"))
        if not uses:
            return
        use = uses[pick % len(uses)]
        try:
            if approve:
                appearance_approve(appearance=use, user=self.people[owner])
            else:
                appearance_remove(appearance=use, user=self.people[owner])
        except (ValidationError, PermissionDenied):
            pass

    # --- What the creators do

    @rule(user=st.sampled_from(PEOPLE), shown=st.lists(st.sampled_from(PEOPLE), min_size=1, max_size=2),
          activity=st.sampled_from(ACTIVITIES), post_now=st.booleans())
    def generate(self, user, shown, activity, post_now):
        prompt = " and ".join(f"@{h}" for h in shown) + " " + activity
        try:
            job = submit(owner=self.people[user], prompt=prompt, duration=1, enqueue=False)
        except ValidationError:
            return
        self.mentions[job.pk], self.prompts[job.pk] = sorted(set(shown)), prompt
        _finish(job)
        if post_now:
            self.post(user, -1)

    @rule(user=st.sampled_from(PEOPLE), pick=st.integers(0, 50))
    def post(self, user, pick):
        drafts = list(GenerationJob.objects.drafts_of(self.people[user]).filter(posts__isnull=True).order_by("id"))
        if drafts:
            with contextlib.suppress(ValidationError):
                post_from_draft(author=self.people[user], job_id=drafts[pick % len(drafts)].pk)

    @rule(user=st.sampled_from(PEOPLE), pick=st.integers(0, 50))
    def remix(self, user, pick):
        posts = list(Post.objects.published().order_by("id"))
        if not posts:
            return
        source = posts[pick % len(posts)]
        try:
            job = submit(owner=self.people[user], prompt="make it rain", mode="remix", duration=1,
                             source_post_id=source.pk, enqueue=False)
        except ValidationError:
            return
        self.mentions[job.pk] = self.mentions.get(source.job_id, [])
        self.prompts[job.pk] = self.prompts.get(source.job_id, "") + "\nmake it rain"
        _finish(job)
        with contextlib.suppress(ValidationError):
            post_from_draft(author=self.people[user], job_id=job.pk)

    # --- The property

    @invariant()
    def no_published_post_without_consent(self):
        for post in Post.objects.published().select_related("author", "job", "remix_of"):
            shown = self.mentions.get(post.job_id, [])
            for handle in shown:
                owner = self.people[handle]
                use = Appearance.objects.filter(job_id=post.job_id, owner=owner).first()
                assert use is not None, f"post {post.pk} shows @{handle} with no recorded use"
                assert use.state == Appearance.State.ALLOWED, f"post {post.pk}: @{handle}'s use is {use.state}"
                assert _may_use(self._cameo(handle), owner, post.author, self.prompts[post.job_id]), (
                    f"post {post.pk} by @{post.author.handle} shows @{handle} without consent")
            if post.remix_of is not None:
                assert post.remix_of.state == Post.State.PUBLISHED, f"remix {post.pk} of a taken-down post"


@pytest.mark.django_db
def test_no_published_post_ever_shows_a_cameo_without_current_consent(settings_ok):
    run_state_machine_as_test(
        ConsentMachine,
        settings=settings(max_examples=60, stateful_step_count=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow]),
    )


@pytest.fixture
def settings_ok(settings):
    settings.GENERATION_DAILY_QUOTA = 10_000
