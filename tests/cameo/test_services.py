"""Cameo's services: adults only, one cameo each, verification, each use recorded and its owner
told, and consent taken back with immediate effect."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import TestCase
from django.utils import timezone

from accounts.models import Follow, Notification
from accounts.services import follow_create, follow_delete
from cameo.consent import ConsentRefused
from cameo.models import Appearance, Cameo, CameoGrant, CameoPhoto
from cameo.services import (
    appearance_remove,
    cameo_create,
    cameo_delete,
    cameo_rules_update,
    challenge_issue,
    grant_add,
    grant_remove,
    verification_submit,
)
from feed.gate import post_from_draft
from feed.models import Post
from generation.models import GenerationJob
from moderation.models import AuditEntry, Case
from moderation.services import case_decide

from .conftest import astronaut_face, cameo_verified, clip_upload, finish, photo_upload, submit

pytestmark = pytest.mark.django_db
State = GenerationJob.State


# --- Making a cameo


def test_a_cameo_is_made_from_photos_and_waits_for_its_clip(alice):
    cameo = cameo_create(owner=alice, photos=[photo_upload(), photo_upload(np.fliplr(astronaut_face()))])
    assert cameo.state == Cameo.State.PENDING
    assert cameo.photos.count() == 2 and len(cameo.reference_vector) == 128
    assert len(cameo.challenge_digits) == 4 and cameo.challenge_move in Cameo.Move.values
    photo = cameo.photos.first()
    assert photo.image.name.startswith("likeness/")  # private folder, never served as public media


@pytest.mark.parametrize("birth", [None, "minor"])
def test_only_adults_make_a_cameo(alice, birth):
    today = timezone.localdate()
    alice.date_of_birth = None if birth is None else today.replace(year=today.year - 17)
    alice.save()
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[photo_upload()])
    assert "date_of_birth" in refused.value.message_dict
    assert not Cameo.objects.exists() and not CameoPhoto.objects.exists()


def test_one_cameo_per_person(alice):
    cameo_create(owner=alice, photos=[photo_upload()])
    with pytest.raises(ValidationError):
        cameo_create(owner=alice, photos=[photo_upload()])


# --- Verification


def test_a_matching_clip_goes_to_a_moderator_who_verifies_it(alice, moderator):
    cameo = cameo_create(owner=alice, photos=[photo_upload()])
    cameo = verification_submit(cameo=cameo, user=alice, clip=clip_upload())
    assert cameo.state == Cameo.State.IN_REVIEW
    assert cameo.clip.name.startswith("likeness/clips/")
    assert cameo.clip_checks["faces_per_frame"] and max(cameo.clip_checks["faces_per_frame"]) == 1
    case = Case.objects.get(kind="cameo_verification", subject_id=cameo.pk)
    assert case.evidence["cameo"]["digits"] == cameo.challenge_digits
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_decide(case=case, moderator=moderator, action="approve")
    cameo.refresh_from_db()
    assert cameo.state == Cameo.State.VERIFIED and cameo.verified_at is not None
    assert Notification.objects.filter(recipient=alice, verb="cameo_verified").exists()


def test_a_rejected_verification_gets_a_new_challenge(alice, moderator):
    cameo = verification_submit(cameo=cameo_create(owner=alice, photos=[photo_upload()]), user=alice,
                                clip=clip_upload())
    digits = cameo.challenge_digits
    with TestCase.captureOnCommitCallbacks(execute=True):
        case_decide(case=Case.objects.get(kind="cameo_verification"), moderator=moderator, action="reject")
    cameo.refresh_from_db()
    assert cameo.state == Cameo.State.REJECTED
    assert cameo.challenge_issued_at is not None and (cameo.challenge_digits, cameo.challenge_move) != (digits, "")


def test_an_expired_challenge_is_refused_until_a_new_one_is_asked(alice, settings):
    cameo = cameo_create(owner=alice, photos=[photo_upload()])
    Cameo.objects.filter(pk=cameo.pk).update(
        challenge_issued_at=timezone.now() - dt.timedelta(minutes=settings.CAMEO_CHALLENGE_MINUTES + 1))
    cameo.refresh_from_db()
    with pytest.raises(ValidationError) as refused:
        verification_submit(cameo=cameo, user=alice, clip=clip_upload())
    assert "expired" in refused.value.message_dict["clip"][0]
    cameo = challenge_issue(cameo=cameo, user=alice)
    assert verification_submit(cameo=cameo, user=alice, clip=clip_upload()).state == Cameo.State.IN_REVIEW


def test_only_the_owner_changes_a_cameo(alice, bob, moderator):
    cameo = cameo_verified(alice, moderator)
    for action in (
        lambda: cameo_rules_update(cameo=cameo, user=bob, audience="everyone"),
        lambda: grant_add(cameo=cameo, user=bob, handle="bob"),
        lambda: cameo_delete(cameo=cameo, user=bob),
        lambda: challenge_issue(cameo=cameo, user=bob),
    ):
        with pytest.raises(PermissionDenied):
            action()
    assert Cameo.objects.get(pk=cameo.pk).audience == Cameo.Audience.APPROVED


# --- A use recorded


def test_a_use_is_recorded_and_its_owner_told(alice, bob, moderator):
    cameo = cameo_verified(alice, moderator, audience="everyone")
    job = submit(bob, "@alice surfing at sunset")
    appearance = Appearance.objects.get(job_id=job.pk)
    assert (appearance.cameo, appearance.owner, appearance.user, appearance.state) == (
        cameo, alice, bob, Appearance.State.ALLOWED)
    assert job.parameters["cameos"] == [{"handle": "alice", "cameo_id": cameo.pk}]
    assert Notification.objects.filter(recipient=alice, actor=bob, verb="cameo_used").exists()


# --- Taking it back


def _posted(author, prompt) -> Post:
    return post_from_draft(author=author, job_id=finish(submit(author, prompt)).pk)


def test_revoking_one_person_unpublishes_their_posts_and_the_remixes(alice, bob, carol, moderator):
    cameo = cameo_verified(alice, moderator, audience="approved")
    grant_add(cameo=cameo, user=alice, handle="bob")
    grant_add(cameo=cameo, user=alice, handle="carol")
    post = _posted(bob, "@alice surfing at sunset")
    remix_job = finish(submit(carol, "make it snow", mode="remix", source_post_id=post.pk))
    assert Appearance.objects.filter(job_id=remix_job.pk, user=carol, cameo=cameo).exists()  # inherited
    remix = post_from_draft(author=carol, job_id=remix_job.pk)
    pending = submit(bob, "@alice skiing")
    own = _posted(alice, "@alice on a boat")

    withdrawn = grant_remove(cameo=cameo, user=alice, handle="bob")

    assert {a.job_id for a in withdrawn} == {post.job_id, pending.pk}
    assert Post.objects.get(pk=post.pk).state == Post.State.REMOVED
    assert Post.objects.get(pk=remix.pk).state == Post.State.REMOVED  # carol may still, but its source is gone
    assert Post.objects.get(pk=own.pk).state == Post.State.PUBLISHED
    assert GenerationJob.objects.get(pk=pending.pk).state == State.CANCELLED
    used = Appearance.objects.get(job_id=post.job_id)
    assert (used.state, used.reason) == (Appearance.State.WITHDRAWN, "revoked")
    assert used.outcome == ["remixes_unpublished", "unpublished"]
    assert Appearance.objects.get(job_id=pending.pk).outcome == ["cancelled"]
    assert Notification.objects.filter(recipient=bob, verb="cameo_withdrawn").exists()


def test_narrowing_the_audience_or_the_limits_withdraws_what_they_no_longer_allow(alice, bob, carol, moderator):
    cameo = cameo_verified(alice, moderator, audience="everyone")
    grant_add(cameo=cameo, user=alice, handle="carol")
    singing = _posted(bob, "@alice singing in the rain")
    surfing = _posted(carol, "@alice surfing")
    updated = cameo_rules_update(cameo=cameo, user=alice, limits="don't make me sing")
    assert [a.job_id for a in updated.withdrawn] == [singing.job_id]
    assert Post.objects.get(pk=singing.pk).state == Post.State.REMOVED
    assert Appearance.objects.get(job_id=singing.job_id).reason == "limits"
    cameo_rules_update(cameo=cameo, user=alice, audience="approved")
    assert Post.objects.get(pk=surfing.pk).state == Post.State.PUBLISHED  # carol is approved
    cameo_rules_update(cameo=cameo, user=alice, audience="only_me")
    assert Post.objects.get(pk=surfing.pk).state == Post.State.REMOVED
    assert Appearance.objects.get(job_id=surfing.job_id).reason == "audience"


def test_unfollowing_ends_a_mutual_and_its_consent(alice, bob, moderator):
    cameo_verified(alice, moderator, audience="mutuals")
    follow_create(follower=alice, followee=bob)
    follow_create(follower=bob, followee=alice)
    post = _posted(bob, "@alice surfing")
    follow_delete(follower=alice, followee=bob)
    assert not Follow.objects.filter(follower=alice, followee=bob).exists()
    assert Post.objects.get(pk=post.pk).state == Post.State.REMOVED


def test_deleting_the_cameo_takes_down_every_use_and_deletes_its_media(alice, bob, moderator):
    cameo = cameo_verified(alice, moderator, audience="everyone")
    storage = cameo.clip.storage
    names = [cameo.clip.name, *[p.image.name for p in cameo.photos.all()]]
    post = _posted(bob, "@alice surfing")
    own = _posted(alice, "@alice on a boat")
    with TestCase.captureOnCommitCallbacks(execute=True):
        withdrawn = cameo_delete(cameo=cameo, user=alice)
    assert [a.job_id for a in withdrawn] == [post.job_id]
    assert not Cameo.objects.exists() and not CameoPhoto.objects.exists() and not CameoGrant.objects.exists()
    assert not any(storage.exists(name) for name in names)
    assert Post.objects.get(pk=post.pk).state == Post.State.REMOVED
    assert Post.objects.get(pk=own.pk).state == Post.State.PUBLISHED
    with pytest.raises(ConsentRefused):
        submit(bob, "@alice surfing")


def test_the_person_in_a_video_can_remove_it_whoever_posted_it(alice, bob, moderator):
    cameo = cameo_verified(alice, moderator, audience="everyone")
    post = _posted(bob, "@alice surfing")
    draft = finish(submit(bob, "@alice skiing"))
    for job_id in (post.job_id, draft.pk):
        appearance = Appearance.objects.get(job_id=job_id)
        with pytest.raises(PermissionDenied):
            appearance_remove(appearance=appearance, user=bob)
        appearance_remove(appearance=appearance, user=alice, note="I never did this")
    assert Post.objects.get(pk=post.pk).state == Post.State.REMOVED
    assert GenerationJob.objects.get(pk=draft.pk).deleted_at is not None
    entries = AuditEntry.objects.filter(action="likeness_removal", actor=alice)
    assert entries.count() == 2 and {e.subject_owner for e in entries} == {bob}
    assert entries.filter(details__post_id=post.pk).exists()
    assert Notification.objects.filter(recipient=bob, actor=alice, verb="likeness_removed").count() == 2
    assert cameo.appearances.filter(state=Appearance.State.REMOVED).count() == 2


def test_a_grant_for_someone_who_does_not_exist_changes_nothing(alice, moderator):
    cameo = cameo_verified(alice, moderator)
    with pytest.raises(ValidationError) as refused:
        grant_add(cameo=cameo, user=alice, handle="ghost_person")
    assert refused.value.message_dict["handle"] == ["No one has the handle @ghost_person."]
    with pytest.raises(ValidationError):
        cameo_rules_update(cameo=cameo, user=alice, audience="the whole world")
    assert not CameoGrant.objects.exists()
    assert Cameo.objects.get(pk=cameo.pk).audience == Cameo.Audience.APPROVED
