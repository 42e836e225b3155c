"""Cameo's rules: adults only, checked likenesses, verification, consent at submission and at
posting, and consent taken back with immediate effect."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.utils import timezone
from skimage import data

from accounts.models import Follow, Notification
from accounts.services import block_create, follow_create, follow_delete
from cameo.consent import ConsentRefused, consent_check, mentions_in
from cameo.limits import limits_crossed
from cameo.models import Appearance, Cameo, CameoGrant, CameoPhoto
from cameo.services import (
    appearance_approve,
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
from generation.selectors import quota_used
from moderation.media import Finding
from moderation.media.bank import protected_media_add
from moderation.media.base import MediaCheck
from moderation.media.types import Decision as MediaDecision
from moderation.models import AuditEntry, Case
from moderation.services import case_decide
from tests.factories import UserFactory, tiny_clip
from tests.support import jobs

from .conftest import (
    astronaut_face,
    cameo_verified,
    clip_bytes,
    clip_upload,
    photo_upload,
    png,
    side_by_side,
    stranger_face,
)

pytestmark = pytest.mark.django_db
State = GenerationJob.State


def finish(job: GenerationJob) -> GenerationJob:
    """Leave `job` as the worker would: ready, with a real MP4 and an allowed output."""
    video, poster = tiny_clip()
    job.video.save("video.mp4", ContentFile(video), save=False)
    job.poster.save("poster.jpg", ContentFile(poster), save=False)
    job.state, job.phase, job.review = State.READY, "ready", GenerationJob.Review.ALLOW
    job.video_duration, job.video_size, job.frame_count = 1.0, len(video), 12
    job.width, job.height = 64, 112
    job.save()
    return job


def submit(owner, prompt, **extra) -> GenerationJob:
    return jobs.submit(owner=owner, prompt=prompt, enqueue=False, **extra)


# --- Making a cameo


def test_mentions_are_found_once_each_and_not_inside_emails():
    assert mentions_in("@Alice and @bob.s surf; @alice again", "mail me at x@alice.org") == ["alice", "bob.s"]


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


def _bad_photos():
    coffee = data.coffee()
    return {
        "not an image": (SimpleUploadedFile("me.png", b"%PDF-1.4 not a picture"), "valid image"),
        "no face": (SimpleUploadedFile("cup.png", png(coffee)), "No face"),
        "two faces": (SimpleUploadedFile("two.png", png(side_by_side(astronaut_face(), stranger_face()))),
                      "more than one face"),
    }


@pytest.mark.parametrize("case", ["not an image", "no face", "two faces"])
def test_bad_photos_are_refused_and_nothing_is_kept(alice, case):
    upload, words = _bad_photos()[case]
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[upload])
    assert words in " ".join(refused.value.message_dict["photos"])
    assert not Cameo.objects.exists()


def test_an_oversized_photo_is_refused(alice, settings):
    settings.CAMEO_PHOTO_MAX_BYTES = 1000
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[photo_upload()])
    assert "too large" in refused.value.message_dict["photos"][0]


def test_photos_of_two_people_are_refused(alice):
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[photo_upload(), photo_upload(stranger_face())])
    assert "same person" in refused.value.message_dict["photos"][0]


def test_a_public_figure_likeness_is_blocked(alice):
    protected_media_add(label="A famous astronaut", category="public_figure", file=io.BytesIO(png(astronaut_face())))
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[photo_upload()])
    assert "public figure" in refused.value.message_dict["photos"][0].lower()
    assert not Cameo.objects.exists()


class LooksYoung(MediaCheck):
    """An age estimate that sees someone under 18 in every picture."""

    name = "looks_young"

    def run(self, *, frames, context):
        return [Finding(check=self.name, category="minor", rule="media:age:under-18", action=MediaDecision.REVIEW,
                        frame_index=frames[0].index, time=frames[0].time)]


def test_signs_of_a_minor_block_a_likeness_even_where_a_post_would_only_be_reviewed(alice, settings):
    settings.MODERATION_MEDIA_CHECKS = [f"{__name__}.LooksYoung"]
    with pytest.raises(ValidationError) as refused:
        cameo_create(owner=alice, photos=[photo_upload()])
    assert "media:age:under-18" in refused.value.message_dict["photos"][0]
    assert not Cameo.objects.exists()


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


@pytest.mark.parametrize("clip, words", [
    (lambda: clip_bytes([stranger_face()]), "does not match"),
    (lambda: clip_bytes([side_by_side(astronaut_face(), stranger_face())]), "Someone else"),
    (lambda: clip_bytes([data.coffee()[:256, :256].copy()]), "not visible"),
    (lambda: b"not a video at all", "Upload a video"),
])
def test_a_clip_that_does_not_prove_it_is_them_is_refused(alice, clip, words):
    cameo = cameo_create(owner=alice, photos=[photo_upload()])
    with pytest.raises(ValidationError) as refused:
        verification_submit(cameo=cameo, user=alice, clip=clip_upload(clip()))
    assert words in refused.value.message_dict["clip"][0]
    cameo.refresh_from_db()
    assert cameo.state == Cameo.State.PENDING and not cameo.clip
    assert not Case.objects.filter(kind="cameo_verification").exists()


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


def test_a_use_is_recorded_and_its_owner_told(alice, bob, moderator):
    cameo = cameo_verified(alice, moderator, audience="everyone")
    job = submit(bob, "@alice surfing at sunset")
    appearance = Appearance.objects.get(job_id=job.pk)
    assert (appearance.cameo, appearance.owner, appearance.user, appearance.state) == (
        cameo, alice, bob, Appearance.State.ALLOWED)
    assert job.parameters["cameos"] == [{"handle": "alice", "cameo_id": cameo.pk}]
    assert Notification.objects.filter(recipient=alice, actor=bob, verb="cameo_used").exists()


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
