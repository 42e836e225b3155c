"""The cameo pages: making, verifying and deleting one's cameo, its rules and approved people,
the videos that use one's likeness, and who may see what."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Notification
from accounts.services import notification_create
from cameo.models import Appearance, Cameo, CameoGrant
from cameo.services import cameo_create
from feed.models import Post
from generation.models import GenerationJob
from moderation.models import AuditEntry, Case
from tests.factories import PostFactory
from tests.generation.test_views import make_job

from .conftest import cameo_verified, clip_bytes, clip_upload, photo_upload, stranger_face

pytestmark = pytest.mark.django_db

ACTIONS = [
    "cameo:create",
    "cameo:challenge",
    "cameo:verify",
    "cameo:rules",
    "cameo:grant-add",
    "cameo:grant-remove",
    "cameo:delete",
]


def _text(response) -> str:
    return html.unescape(response.content.decode())


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _follow_messages(client, response) -> str:
    """Return the page a redirect leads to, with its messages, as text."""
    assert response.status_code == 302, response.status_code
    return _text(client.get(response["Location"]))


def _use(
    cameo: Cameo, maker, *, state=Appearance.State.ALLOWED, post=None, job_id=None, prompt=None
) -> Appearance:
    """Record that `maker` put `cameo` in a video (job `job_id`), posted as `post` if given."""
    return Appearance.objects.create(
        cameo=cameo,
        owner=cameo.owner,
        user=maker,
        job_id=job_id or (post.job_id if post else 9000 + maker.pk),
        post_id=post.pk if post else None,
        prompt=prompt or f"@{cameo.owner.handle} surfing at sunset",
        state=state,
    )


def _posted(maker) -> Post:
    job = make_job(maker, state=GenerationJob.State.READY, prompt="@alice surfing at sunset")
    return PostFactory(author=maker, job=job, caption="Surf's up")


# ---------- Who may see what ----------


@pytest.mark.parametrize("name", ["cameo:home", "cameo:appearances"])
def test_pages_send_visitors_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ACTIONS + ["cameo:appearance-approve", "cameo:appearance-remove"])
def test_actions_send_visitors_to_log_in(client, name):
    args = [1] if name.startswith("cameo:appearance-") else []
    response = client.post(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("name", ACTIONS)
def test_actions_only_take_posts(client, alice, name):
    client.force_login(alice)
    assert client.get(reverse(name)).status_code == 405


def test_actions_check_the_csrf_token(alice):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(reverse("cameo:create"), {"photos": photo_upload()})
    assert response.status_code == 403
    assert not Cameo.objects.exists()


def test_the_header_links_to_the_cameo_page_for_signed_in_people(client, alice):
    assert "data-cameo-link" not in client.get(reverse("feed:for_you")).content.decode()
    client.force_login(alice)
    page = client.get(reverse("feed:for_you")).content.decode()
    assert f'href="{reverse("cameo:home")}" data-cameo-link>Cameo<' in page


def test_photos_and_the_clip_are_only_for_the_owner_and_moderators(client, alice, bob, moderator):
    cameo = cameo_verified(alice, moderator)
    photo = cameo.photos.get()
    addresses = [reverse("cameo:photo", args=[photo.pk]), reverse("cameo:clip", args=[cameo.pk])]
    for address in addresses:
        response = client.get(address)  # a visitor is sent to log in, never given the file
        assert response.status_code == 302 and response["Location"].startswith(
            reverse("accounts:login")
        )
    client.force_login(bob)
    for address in addresses:
        assert client.get(address).status_code == 404
    for person in (alice, moderator):
        client.force_login(person)
        for address in addresses:
            response = client.get(address)
            assert response.status_code == 200, address
            assert "no-store" in response["Cache-Control"] or "private" in response["Cache-Control"]
    assert client.get(reverse("cameo:photo", args=[photo.pk + 100])).status_code == 404


# ---------- Making a cameo ----------


def test_the_page_explains_cameos_and_offers_to_make_one(client, alice):
    client.force_login(alice)
    response = client.get(reverse("cameo:home"))
    page = _text(response)
    assert response.status_code == 200
    assert "Adults only" in page and "aged 18 or over" in page
    assert "private" in page and "never shown in the feed or made public" in page
    assert re.search(r'<input type="file" name="photos"[^>]*multiple', page)
    assert f'action="{reverse("cameo:create")}"' in page


def test_an_adult_makes_a_cameo_from_a_photo_and_sees_the_challenge(client, alice):
    client.force_login(alice)
    response = client.post(
        reverse("cameo:create"), {"photos": [photo_upload(), photo_upload(name="two.png")]}
    )
    page = _follow_messages(client, response)
    cameo = Cameo.objects.get(owner=alice)
    assert cameo.state == Cameo.State.PENDING and cameo.photos.count() == 2
    assert "Your cameo is made." in page
    assert "data-cameo-badge>Waiting for the verification clip<" in page
    assert f"say {' '.join(cameo.challenge_digits)} out loud" in page
    for photo in cameo.photos.all():
        assert reverse("cameo:photo", args=[photo.pk]) in page
    assert re.search(r'<input type="file" name="clip" accept="video/\*" capture="user"', page)
    assert "New challenge" in page


def test_a_minor_is_told_cameos_are_for_adults_and_nothing_is_made(client, minor):
    client.force_login(minor)
    response = client.post(reverse("cameo:create"), {"photos": photo_upload()})
    assert response.status_code == 200
    assert "Cameos are for people aged 18 or over." in _text(response)
    assert not Cameo.objects.exists()


def test_a_file_that_is_not_an_image_is_refused(client, alice):
    client.force_login(alice)
    upload = SimpleUploadedFile("me.png", b"this is not a picture", content_type="image/png")
    response = client.post(reverse("cameo:create"), {"photos": upload})
    page = _text(response)
    assert response.status_code == 200
    assert "Your cameo was not made." in page
    assert 'class="field__errors"' in page
    assert not Cameo.objects.exists()


def test_an_oversized_photo_is_refused(client, alice, settings):
    settings.CAMEO_PHOTO_MAX_BYTES = 1000
    client.force_login(alice)
    response = client.post(reverse("cameo:create"), {"photos": photo_upload()})
    assert response.status_code == 200
    assert re.search(r'class="field__errors"[^>]*><li>[^<]+', response.content.decode())
    assert not Cameo.objects.exists()


def test_no_photo_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(reverse("cameo:create"), {})
    assert "Add at least one photo of your face." in _text(response)
    assert not Cameo.objects.exists()


def test_too_many_photos_are_refused(client, alice, settings):
    settings.CAMEO_MAX_PHOTOS = 1
    client.force_login(alice)
    response = client.post(
        reverse("cameo:create"), {"photos": [photo_upload(), photo_upload(name="b.png")]}
    )
    assert "Add at most 1 photos." in _text(response)
    assert not Cameo.objects.exists()


# ---------- Verifying it ----------


@pytest.fixture
def pending(alice):
    return cameo_create(owner=alice, photos=[photo_upload()])


def test_a_new_challenge_replaces_the_old_one(client, alice, pending):
    issued = pending.challenge_issued_at
    client.force_login(alice)
    page = _follow_messages(client, client.post(reverse("cameo:challenge")))
    pending.refresh_from_db()
    assert pending.challenge_issued_at > issued
    assert "Here is a new challenge." in page
    assert f"say {' '.join(pending.challenge_digits)} out loud" in page


def test_the_challenge_clip_sends_the_cameo_to_a_moderator(client, alice, pending):
    client.force_login(alice)
    page = _follow_messages(client, client.post(reverse("cameo:verify"), {"clip": clip_upload()}))
    pending.refresh_from_db()
    assert pending.state == Cameo.State.IN_REVIEW and pending.clip
    assert Case.objects.filter(kind="cameo_verification", subject_id=pending.pk).exists()
    assert "waiting for a moderator" in page
    assert "data-clip-form" not in page and "New challenge" not in page


def test_a_clip_of_someone_else_is_refused_and_nothing_is_kept(client, alice, pending):
    client.force_login(alice)
    response = client.post(
        reverse("cameo:verify"), {"clip": clip_upload(clip_bytes([stranger_face()]))}
    )
    page = _text(response)
    assert response.status_code == 200
    assert "Your clip was not accepted." in page
    assert "Your face is not visible" in page or "does not match your photos" in page
    pending.refresh_from_db()
    assert pending.state == Cameo.State.PENDING and not pending.clip
    assert not Case.objects.exists()


def test_an_expired_challenge_says_so(client, alice, pending):
    Cameo.objects.filter(pk=pending.pk).update(
        challenge_issued_at=pending.challenge_issued_at.replace(year=2020)
    )
    client.force_login(alice)
    assert "This challenge has expired" in _text(client.get(reverse("cameo:home")))
    response = client.post(reverse("cameo:verify"), {"clip": clip_upload()})
    assert "The challenge has expired" in _text(response)
    assert Cameo.objects.get(pk=pending.pk).state == Cameo.State.PENDING


def test_a_verified_cameo_says_so_and_the_notification_names_the_moderators(
    client, alice, moderator
):
    cameo_verified(alice, moderator)
    client.force_login(alice)
    page = _text(client.get(reverse("cameo:home")))
    assert "data-cameo-badge>Verified<" in page
    assert "data-challenge" not in page
    notes = _text(client.get(reverse("accounts:notifications")))
    assert "Moderators verified your cameo" in notes
    assert "Someone verified" not in notes


def test_other_notifications_without_someone_named_still_say_someone(client, alice):
    notification_create(recipient=alice, actor=None, verb=Notification.Verb.CAMEO_WITHDRAWN)
    client.force_login(alice)
    assert "Someone withdrew consent" in _text(client.get(reverse("accounts:notifications")))


# ---------- Rules and approved people ----------


@pytest.fixture
def verified(alice, moderator):
    return cameo_verified(alice, moderator, audience=Cameo.Audience.APPROVED)


def test_the_rules_are_saved(client, alice, verified):
    client.force_login(alice)
    response = client.post(
        reverse("cameo:rules"),
        {
            "audience": "mutuals",
            "limits": "no violence\nnothing political",
            "approve_each_use": "on",
        },
    )
    page = _follow_messages(client, response)
    verified.refresh_from_db()
    assert (verified.audience, verified.limits, verified.approve_each_use) == (
        "mutuals",
        "no violence\nnothing political",
        True,
    )
    assert "Your rules are saved." in page
    assert "taken down" not in page.split('id="toasts"')[1]


def test_rules_that_narrow_the_audience_take_videos_down_and_say_how_many(
    client, alice, bob, carol, moderator
):
    cameo = cameo_verified(alice, moderator, audience=Cameo.Audience.EVERYONE)
    post = _posted(bob)
    use = _use(cameo, bob, post=post)
    _use(cameo, carol)
    client.force_login(alice)
    page = _follow_messages(
        client, client.post(reverse("cameo:rules"), {"audience": "only_me", "limits": ""})
    )
    assert "2 videos with you were taken down" in page
    use.refresh_from_db()
    post.refresh_from_db()
    assert use.state == Appearance.State.WITHDRAWN and use.reason == Appearance.Reason.AUDIENCE
    assert post.state == Post.State.REMOVED


def test_bad_rules_are_refused_and_nothing_changes(client, alice, verified):
    client.force_login(alice)
    response = client.post(reverse("cameo:rules"), {"audience": "the_world", "limits": "x"})
    assert response.status_code == 200
    assert "Your rules were not saved." in _text(response)
    verified.refresh_from_db()
    assert (verified.audience, verified.limits) == ("approved", "")
    too_many = "\n".join(f"no topic{n}" for n in range(30))
    response = client.post(reverse("cameo:rules"), {"audience": "everyone", "limits": too_many})
    assert "Write at most 20 limits." in _text(response)
    verified.refresh_from_db()
    assert (verified.audience, verified.limits) == ("approved", "")


def test_someone_cannot_change_the_rules_of_another_persons_cameo(client, alice, bob, verified):
    client.force_login(bob)
    assert (
        client.post(reverse("cameo:rules"), {"audience": "everyone", "limits": ""}).status_code
        == 404
    )
    assert client.post(reverse("cameo:grant-add"), {"handle": "bob"}).status_code == 404
    assert client.post(reverse("cameo:delete")).status_code == 404
    verified.refresh_from_db()
    assert verified.audience == "approved" and not CameoGrant.objects.exists()


def test_approving_someone_by_handle_lists_them(client, alice, bob, verified):
    client.force_login(alice)
    page = _follow_messages(client, client.post(reverse("cameo:grant-add"), {"handle": "@Bob"}))
    assert CameoGrant.objects.filter(cameo=verified, user=bob).exists()
    assert "@bob may now use your cameo." in page
    assert 'data-grant="bob"' in page


def test_an_unknown_handle_is_refused(client, alice, verified):
    client.force_login(alice)
    response = client.post(reverse("cameo:grant-add"), {"handle": "nobody_here"})
    assert response.status_code == 200
    assert "No one has the handle @nobody_here." in _text(response)
    assert not CameoGrant.objects.exists()


def test_removing_someone_takes_their_videos_down_and_says_how_many(
    client, alice, bob, carol, verified
):
    CameoGrant.objects.create(cameo=verified, user=bob)
    CameoGrant.objects.create(cameo=verified, user=carol)
    post = _posted(bob)
    use = _use(verified, bob, post=post)
    kept = _use(verified, carol)
    client.force_login(alice)
    page = _follow_messages(client, client.post(reverse("cameo:grant-remove"), {"handle": "bob"}))
    assert "@bob may no longer use your cameo." in page
    assert "1 video with you was taken down" in page
    assert not CameoGrant.objects.filter(user=bob).exists()
    use.refresh_from_db()
    post.refresh_from_db()
    kept.refresh_from_db()
    assert (use.state, use.reason, use.outcome) == ("withdrawn", "revoked", ["unpublished"])
    assert post.state == Post.State.REMOVED
    assert kept.state == Appearance.State.ALLOWED

    page = _text(client.get(reverse("cameo:appearances")))
    assert "Consent withdrawn (approval revoked): post unpublished" in page


def test_removing_someone_not_on_the_list_says_so(client, alice, bob, verified):
    client.force_login(alice)
    page = _follow_messages(client, client.post(reverse("cameo:grant-remove"), {"handle": "bob"}))
    assert "@bob is not on your list." in page


def test_deleting_the_cameo_takes_every_video_down(client, alice, bob, verified):
    CameoGrant.objects.create(cameo=verified, user=bob)
    post = _posted(bob)
    use = _use(verified, bob, post=post)
    client.force_login(alice)
    page = _text(client.get(reverse("cameo:home")))
    assert 'data-confirm="Delete your cameo?' in page
    page = _follow_messages(client, client.post(reverse("cameo:delete")))
    assert not Cameo.objects.filter(owner=alice).exists()
    assert "Your cameo, its photos and its clip are deleted." in page
    assert "1 video with you was taken down" in page
    assert "data-cameo-create" in page
    use.refresh_from_db()
    post.refresh_from_db()
    assert use.state == Appearance.State.WITHDRAWN and post.state == Post.State.REMOVED


# ---------- The videos that use one's likeness ----------


def test_the_appearances_page_lists_every_use_newest_first(
    client, alice, bob, carol, moderator, verified
):
    job = make_job(bob, state=GenerationJob.State.READY, prompt="@alice surfing at sunset")
    older = _use(verified, bob, job_id=job.pk, prompt="@alice surfing at sunset")
    newer = _use(
        verified, carol, state=Appearance.State.AWAITING_APPROVAL, prompt="@alice on the moon"
    )
    other = _use(cameo_verified(carol, moderator), bob)
    client.force_login(alice)
    response = client.get(reverse("cameo:appearances"))
    page = _text(response)
    assert response.status_code == 200
    assert page.index(f'data-appearance="{newer.pk}"') < page.index(f'data-appearance="{older.pk}"')
    assert f'data-appearance="{other.pk}"' not in page
    row = page[
        page.index(f'data-appearance="{older.pk}"') : page.index(
            "</li>", page.index(f'data-appearance="{older.pk}"')
        )
    ]
    assert "@bob" in row and "@alice surfing at sunset" in row and "Allowed" in row
    assert f'src="{reverse("generation:job-video", args=[job.pk])}"' in row
    assert "Take this video down? It is removed for everyone and recorded in the audit log." in row
    assert "Approve</button>" not in row
    row = page[page.index(f'data-appearance="{newer.pk}"') :]
    assert (
        "Waiting for your approval" in row.split("</li>")[0]
        and "Approve</button>" in row.split("</li>")[0]
    )
    # The person in the video may watch the draft, whoever made it.
    assert client.get(reverse("generation:job-video", args=[job.pk])).status_code == 200


def test_a_posted_use_links_to_its_post(client, alice, bob, verified):
    post = _posted(bob)
    _use(verified, bob, post=post)
    client.force_login(alice)
    assert f'href="{reverse("feed:post", args=[post.pk])}" data-appearance-post' in _text(
        client.get(reverse("cameo:appearances"))
    )


def test_the_home_page_counts_the_videos_waiting_for_approval(client, alice, bob, verified):
    _use(verified, bob, state=Appearance.State.AWAITING_APPROVAL)
    client.force_login(alice)
    assert "1 video with you is waiting for your approval." in _text(
        client.get(reverse("cameo:home"))
    )


def test_the_owner_approves_a_waiting_use(client, alice, bob, verified):
    use = _use(verified, bob, state=Appearance.State.AWAITING_APPROVAL)
    client.force_login(alice)
    page = _follow_messages(client, client.post(reverse("cameo:appearance-approve", args=[use.pk])))
    use.refresh_from_db()
    assert use.state == Appearance.State.ALLOWED
    assert "Approved: @bob can post this video." in page
    page = _follow_messages(client, client.post(reverse("cameo:appearance-approve", args=[use.pk])))
    assert "This video is not waiting for your approval." in page


def test_the_owner_removes_a_video_of_them(client, alice, bob, verified):
    post = _posted(bob)
    use = _use(verified, bob, post=post)
    client.force_login(alice)
    page = _follow_messages(
        client, client.post(reverse("cameo:appearance-remove", args=[use.pk]), {"note": "No"})
    )
    use.refresh_from_db()
    post.refresh_from_db()
    assert use.state == Appearance.State.REMOVED and post.state == Post.State.REMOVED
    assert "The video is taken down for everyone." in page
    assert AuditEntry.objects.filter(action="likeness_removal", actor=alice).count() == 1
    row = page[page.index(f'data-appearance="{use.pk}"') :].split("</li>")[0]
    assert "Removed by you" in row and "appearance-remove" not in row and "<video" not in row


def test_other_people_cannot_see_approve_or_remove_someone_elses_appearances(
    client, alice, bob, carol, verified
):
    waiting = _use(verified, bob, state=Appearance.State.AWAITING_APPROVAL)
    for person in (bob, carol):  # the maker of the video is not the person in it
        client.force_login(person)
        assert f'data-appearance="{waiting.pk}"' not in _text(
            client.get(reverse("cameo:appearances"))
        )
        assert (
            client.post(reverse("cameo:appearance-approve", args=[waiting.pk])).status_code == 404
        )
        assert client.post(reverse("cameo:appearance-remove", args=[waiting.pk])).status_code == 404
    client.force_login(alice)
    assert (
        client.post(reverse("cameo:appearance-remove", args=[waiting.pk + 1000])).status_code == 404
    )
    waiting.refresh_from_db()
    assert waiting.state == Appearance.State.AWAITING_APPROVAL
    assert not AuditEntry.objects.exists()


def test_someone_without_a_cameo_sees_an_invitation_to_make_one(client, bob):
    client.force_login(bob)
    page = _text(client.get(reverse("cameo:appearances")))
    assert "No videos with you yet" in page and reverse("cameo:home") in page
