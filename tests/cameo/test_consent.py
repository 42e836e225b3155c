"""Consent to a cameo (`cameo.consent`): who may use it (mentions, verification, audiences)
and within which limits, checked at submission and again at posting."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from accounts.services import block_create, follow_create
from cameo.consent import ConsentRefused, consent_check, mentions_in
from cameo.limits import limits_crossed
from cameo.models import Appearance
from cameo.services import (
    appearance_approve,
    cameo_create,
    cameo_rules_update,
    grant_add,
    grant_remove,
)
from feed.gate import post_from_draft
from feed.models import Post
from generation.models import GenerationJob
from generation.selectors import quota_used
from tests.factories import UserFactory

from .conftest import cameo_verified, finish, photo_upload, submit

pytestmark = pytest.mark.django_db
State = GenerationJob.State


def test_mentions_are_found_once_each_and_not_inside_emails():
    assert mentions_in("@Alice and @bob.s surf; @alice again", "mail me at x@alice.org") == ["alice", "bob.s"]


# --- Consent at submission


def test_nobody_else_uses_an_unverified_cameo_but_its_owner_can(alice, bob):
    cameo_create(owner=alice, photos=[photo_upload()])
    assert consent_check(user=alice, prompts=["@alice surfing"]).cameos
    with pytest.raises(ConsentRefused) as refused:
        consent_check(user=bob, prompts=["@alice surfing"])
    assert refused.value.message_dict["prompt"] == ["@alice's cameo is not verified yet."]


def test_audiences(alice, bob, carol, moderator):
    cameo = cameo_verified(alice, moderator)

    def may(user) -> bool:
        try:
            consent_check(user=user, prompts=["@alice surfing"])
        except ConsentRefused:
            return False
        return True

    assert not may(bob)  # "people I approve", nobody approved yet
    grant_add(cameo=cameo, user=alice, handle="@Bob")
    assert may(bob) and not may(carol)
    cameo_rules_update(cameo=cameo, user=alice, audience="only_me")
    assert not may(bob) and may(alice)
    cameo_rules_update(cameo=cameo, user=alice, audience="mutuals")
    follow_create(follower=carol, followee=alice)
    assert not may(carol)
    follow_create(follower=alice, followee=carol)
    assert may(carol) and may(bob)  # mutuals, and the approved list still counts
    cameo_rules_update(cameo=cameo, user=alice, audience="everyone")
    assert may(UserFactory())
    block_create(blocker=alice, blocked=carol)
    assert not may(carol)


def test_a_refusal_names_whose_consent_is_missing_and_costs_nothing(alice, bob, carol, moderator):
    cameo_verified(alice, moderator)
    before = quota_used(bob)
    with pytest.raises(ValidationError) as refused:
        submit(bob, "@alice and @carol and @nobody_here surfing")
    assert refused.value.message_dict["prompt"] == [
        "@alice has not allowed you to use their cameo.", "@carol has no cameo.",
        "No one has the handle @nobody_here.",
    ]
    assert quota_used(bob) == before and not GenerationJob.objects.exists() and not Appearance.objects.exists()


def test_limits_in_the_owners_words_are_checked_against_each_prompt(alice, bob, moderator):
    cameo = cameo_verified(alice, moderator, audience="everyone")
    cameo_rules_update(cameo=cameo, user=alice, limits="no political content\ndon't make me sing\npas d'alcool")
    for prompt in ("@alice giving a speech at an election rally", "@alice SINGING karaoke",
                   "@alice boit une bière", "@alice qui chante sous la pluie"):
        with pytest.raises(ConsentRefused) as refused:
            submit(bob, prompt)
        assert "does not allow this" in refused.value.message_dict["prompt"][0]
    assert submit(bob, "@alice surfing at sunset").pk
    assert limits_crossed("don't make me sing", "Don Quixote reads a book") == []


# --- Consent at posting


def test_approve_each_use_holds_posting_until_the_owner_approves(alice, bob, moderator):
    cameo_verified(alice, moderator, audience="everyone", approve_each_use=True)
    job = finish(submit(bob, "@alice surfing at sunset"))
    appearance = Appearance.objects.get(job_id=job.pk)
    assert appearance.state == Appearance.State.AWAITING_APPROVAL
    with pytest.raises(ValidationError) as refused:
        post_from_draft(author=bob, job_id=job.pk)
    assert refused.value.message_dict["draft"] == ["@alice has not approved this video yet."]
    assert not Post.objects.exists()
    with pytest.raises(PermissionDenied):
        appearance_approve(appearance=appearance, user=bob)
    appearance_approve(appearance=appearance, user=alice)
    post = post_from_draft(author=bob, job_id=job.pk)
    assert post.state == Post.State.PUBLISHED
    assert Appearance.objects.get(pk=appearance.pk).post_id == post.pk


def test_consent_is_checked_again_at_the_moment_of_posting(alice, bob, moderator):
    cameo = cameo_verified(alice, moderator)
    grant_add(cameo=cameo, user=alice, handle="bob")
    job = submit(bob, "@alice surfing at sunset")
    grant_remove(cameo=cameo, user=alice, handle="bob")
    job.refresh_from_db()
    assert job.state == State.CANCELLED  # the pending job stopped at once
    finish(job)  # had it finished anyway, it still could not be posted
    with pytest.raises(ValidationError) as refused:
        post_from_draft(author=bob, job_id=job.pk)
    assert "withdrew their consent" in refused.value.message_dict["draft"][0]
