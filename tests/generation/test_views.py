"""The web pages of generation: creating, following a job, drafts, their private files, posting."""

from __future__ import annotations

import datetime as dt
import html
import os
import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from feed.models import Post
from generation.models import GenerationJob
from tests.factories import PostFactory, UserFactory, tiny_clip

pytestmark = pytest.mark.django_db

State = GenerationJob.State


def make_moderator():
    user = UserFactory()
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(Permission.objects.get(codename="review_case", content_type__app_label="moderation"))
    user.groups.add(group)
    return type(user).objects.get(pk=user.pk)


def make_job(owner, **fields) -> GenerationJob:
    """A job row as the worker leaves it; `state="ready"` gets a real MP4 and poster."""
    defaults = {
        "prompt": "a red fox running through fresh snow", "duration": 2.0, "aspect_ratio": "9:16",
        "tier": "low", "seed": 1234, "width": 64, "height": 112, "fps": 12, "steps": 4,
        "state": State.QUEUED, "phase": "queued",
    }
    defaults.update(fields)
    job = GenerationJob.objects.create(owner=owner, **defaults)
    if job.state == State.READY and "video" not in fields:
        video, poster = tiny_clip()
        job.video.save("video.mp4", ContentFile(video), save=False)
        job.poster.save("poster.jpg", ContentFile(poster), save=False)
        job.video_duration, job.video_size, job.frame_count = 1.0, len(video), 12
        job.review = job.review or GenerationJob.Review.ALLOW
        job.model_id, job.model_version = "reel/wan-toy", "0123456789abcdef"
        job.provenance = job.provenance or {"c2pa": True, "seed": job.seed}
        job.finished_at = timezone.now()
        job.progress, job.phase = 1.0, "ready"
        job.save()
    return job


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def owner_client(client, user):
    client.force_login(user)
    return client


@pytest.fixture
def other_client(client, other_user):
    client.force_login(other_user)
    return client


# ---------- Who may see what ----------


@pytest.mark.parametrize("name", ["generation:create", "generation:drafts"])
def test_pages_send_visitors_to_log_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_job_page_sends_visitors_to_log_in(client, user):
    job = make_job(user)
    response = client.get(reverse("generation:job", args=[job.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:login"))


def test_someone_elses_job_is_not_found(other_client, user):
    job = make_job(user, state=State.READY)
    for name in ("generation:job", "generation:job-status", "generation:job-video", "generation:job-poster"):
        assert other_client.get(reverse(name, args=[job.pk])).status_code == 404, name
    for name in ("generation:job-cancel", "generation:job-delete", "generation:job-regenerate"):
        assert other_client.post(reverse(name, args=[job.pk])).status_code == 404, name
    job.refresh_from_db()
    assert job.deleted_at is None and job.video


def test_visitors_get_no_status_and_no_files(client, user):
    job = make_job(user, state=State.READY)
    for name in ("generation:job-status", "generation:job-video", "generation:job-poster"):
        assert client.get(reverse(name, args=[job.pk])).status_code == 404, name


# ---------- The job page ----------


def test_ready_job_page_plays_the_draft_and_offers_every_action(owner_client, user):
    job = make_job(user, state=State.READY)
    response = owner_client.get(reverse("generation:job", args=[job.pk]))
    assert response.status_code == 200
    page = _text(response)
    video_url = reverse("generation:job-video", args=[job.pk])
    assert re.search(r'<video class="job__video" controls loop playsinline[^>]*src="' + re.escape(video_url) + '"', page)
    assert f'poster="{reverse("generation:job-poster", args=[job.pk])}"' in page
    assert f'href="{video_url}?download=1" download' in page
    assert f'action="{reverse("feed:draft-post", args=[job.pk])}"' in page
    assert f'action="{reverse("generation:job-delete", args=[job.pk])}"' in page
    assert 'name="seed_mode" value="same"' in page and 'name="seed_mode" value="new"' in page
    assert f'{reverse("generation:create")}?extend={job.pk}' in page
    assert f'{reverse("generation:create")}?reuse={job.pk}' in page
    # Provenance: the model, the seed, the content credentials.
    assert "reel/wan-toy" in page and "1234" in page and "Signed" in page
    assert 'name="csrfmiddlewaretoken"' in page
    assert "job-cancel" not in page and reverse("generation:job-cancel", args=[job.pk]) not in page


def test_running_job_page_shows_live_progress_from_the_row(owner_client, user):
    job = make_job(user, state=State.RUNNING, phase="rendering", progress=0.33, step=3, step_total=8)
    page = _text(owner_client.get(reverse("generation:job", args=[job.pk])))
    assert "Rendering step 3 of 8" in page
    assert 'role="progressbar"' in page and 'aria-valuenow="33"' in page
    assert f'data-socket="/ws/generation/jobs/{job.pk}/"' in page
    assert f'data-status-url="{reverse("generation:job-status", args=[job.pk])}"' in page
    assert 'data-live="1"' in page
    assert f'action="{reverse("generation:job-cancel", args=[job.pk])}"' in page
    assert "<video" not in page


def test_queued_job_says_how_many_are_ahead(owner_client, user, other_user):
    earlier = timezone.now() - dt.timedelta(minutes=5)
    for _ in range(2):
        ahead = make_job(other_user)
        GenerationJob.objects.filter(pk=ahead.pk).update(created_at=earlier)
    job = make_job(user)
    page = _text(owner_client.get(reverse("generation:job", args=[job.pk])))
    assert "Queued — 2 ahead" in page
    status = owner_client.get(reverse("generation:job-status", args=[job.pk]))
    assert status.status_code == 200 and status["Cache-Control"] == "no-store"
    assert status.json() == {
        "id": job.pk, "state": "queued", "phase": "queued", "progress": 0.0, "step": 0, "step_total": 0,
        "error": "", "queue_position": 2,
    }


@pytest.mark.parametrize(
    ("state", "error", "shown"),
    [
        (State.FAILED, "The video model ran out of memory. Try a lower resolution or a shorter video.",
         "The video model ran out of memory."),
        (State.BLOCKED, "This video was refused: it shows a copyrighted character (rule cr:test).",
         "it shows a copyrighted character"),
        (State.CANCELLED, "", "This video was cancelled."),
    ],
)
def test_finished_without_a_video_says_why_in_words(owner_client, user, state, error, shown):
    job = make_job(user, state=state, phase=state, error=error)
    page = _text(owner_client.get(reverse("generation:job", args=[job.pk])))
    assert shown in page
    assert 'data-live="0"' in page and "<video" not in page
    assert reverse("generation:job-cancel", args=[job.pk]) not in page


def test_french_job_page(owner_client, user):
    job = make_job(user, state=State.RUNNING, phase="rendering", step=3, step_total=8, progress=0.3)
    owner_client.cookies["django_language"] = "fr"
    page = _text(owner_client.get(reverse("generation:job", args=[job.pk]), HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Rendu : étape 3 sur 8" in page
    assert "Annuler" in page


# ---------- Private files ----------


def test_draft_video_is_served_with_ranges_to_its_owner(owner_client, user):
    job = make_job(user, state=State.READY)
    data = tiny_clip()[0]
    url = reverse("generation:job-video", args=[job.pk])
    whole = owner_client.get(url)
    assert whole.status_code == 200 and _body(whole) == data
    assert whole["Content-Type"] == "video/mp4" and whole["Accept-Ranges"] == "bytes"
    assert whole["Cache-Control"] == "private, no-store"
    part = owner_client.get(url, HTTP_RANGE="bytes=0-99")
    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 0-99/{len(data)}"
    assert _body(part) == data[:100]
    assert part["Cache-Control"] == "private, no-store"
    assert part["Content-Disposition"].startswith("inline")  # shown, not saved


def test_download_saves_the_draft_as_a_file(owner_client, user):
    job = make_job(user, state=State.READY)
    response = owner_client.get(reverse("generation:job-video", args=[job.pk]) + "?download=1")
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="reel-{job.pk}.mp4"'


def test_moderators_can_watch_a_draft(client, user):
    job = make_job(user, state=State.READY)
    client.force_login(make_moderator())
    response = client.get(reverse("generation:job-video", args=[job.pk]), HTTP_RANGE="bytes=10-")
    assert response.status_code == 206 and _body(response) == tiny_clip()[0][10:]
    poster = client.get(reverse("generation:job-poster", args=[job.pk]))
    assert poster.status_code == 200 and poster["Content-Type"] == "image/jpeg"
    # The job page itself stays the owner's.
    assert client.get(reverse("generation:job", args=[job.pk])).status_code == 404


def test_deleted_draft_files_are_gone(owner_client, user):
    job = make_job(user, state=State.READY)
    GenerationJob.objects.filter(pk=job.pk).update(video="", poster="", deleted_at=timezone.now())
    assert owner_client.get(reverse("generation:job-video", args=[job.pk])).status_code == 404
    assert owner_client.get(reverse("generation:job-poster", args=[job.pk])).status_code == 404


def test_drafts_are_never_public_media(client, user):
    job = make_job(user, state=State.READY)
    assert job.video.name.startswith("drafts/")
    assert client.get(job.video.url).status_code == 404


# ---------- Actions ----------


def test_actions_are_post_only(owner_client, user):
    job = make_job(user, state=State.READY)
    for name in ("generation:job-cancel", "generation:job-delete", "generation:job-regenerate"):
        assert owner_client.get(reverse(name, args=[job.pk])).status_code == 405, name


def test_actions_need_the_csrf_token(user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    job = make_job(user)
    assert client.post(reverse("generation:job-cancel", args=[job.pk])).status_code == 403
    job.refresh_from_db()
    assert job.state == State.QUEUED


def test_owner_cancels_a_queued_job(owner_client, user):
    job = make_job(user)
    response = owner_client.post(reverse("generation:job-cancel", args=[job.pk]), follow=True)
    job.refresh_from_db()
    assert job.state == State.CANCELLED
    assert response.redirect_chain[-1][0] == reverse("generation:job", args=[job.pk])
    assert "does not count against your daily allowance" in _text(response)


def test_cancelling_a_running_job_asks_it_to_stop(owner_client, user):
    job = make_job(user, state=State.RUNNING, phase="rendering")
    page = _text(owner_client.post(reverse("generation:job-cancel", args=[job.pk]), follow=True))
    job.refresh_from_db()
    assert job.cancel_requested and job.state == State.RUNNING
    assert "Cancelling…" in page


def test_cancelling_a_finished_job_is_refused_politely(owner_client, user):
    job = make_job(user, state=State.READY)
    page = _text(owner_client.post(reverse("generation:job-cancel", args=[job.pk]), follow=True))
    assert "This job has already finished." in page
    job.refresh_from_db()
    assert job.state == State.READY


def test_owner_deletes_a_draft(owner_client, user, django_capture_on_commit_callbacks):
    job = make_job(user, state=State.READY)
    path = job.video.path
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("generation:job-delete", args=[job.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("generation:drafts")
    job.refresh_from_db()
    assert job.deleted_at is not None and not job.video
    assert not os.path.exists(path)
    # The job page says so instead of failing.
    page = _text(owner_client.get(reverse("generation:job", args=[job.pk])))
    assert "This draft was deleted." in page


@pytest.mark.parametrize(("seed_mode", "same"), [("same", True), ("new", False)])
def test_regenerate_with_the_same_or_a_new_seed(owner_client, user, sent_jobs, django_capture_on_commit_callbacks,
                                                seed_mode, same):
    job = make_job(user, state=State.READY, seed=987654)
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("generation:job-regenerate", args=[job.pk]), {"seed_mode": seed_mode})
    new = GenerationJob.objects.exclude(pk=job.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("generation:job", args=[new.pk])
    assert new.prompt == job.prompt and new.owner == user
    assert (new.seed == job.seed) is same
    assert sent_jobs == [new.pk]


def test_regenerate_refuses_an_unknown_seed_mode(owner_client, user, sent_jobs):
    job = make_job(user, state=State.READY)
    response = owner_client.post(reverse("generation:job-regenerate", args=[job.pk]), {"seed_mode": "whatever"})
    assert response.status_code == 302 and GenerationJob.objects.count() == 1 and not sent_jobs


# ---------- The create form ----------


def test_create_page_has_every_setting(owner_client, settings):
    settings.GENERATION_DAILY_QUOTA = 5
    response = owner_client.get(reverse("generation:create"))
    assert response.status_code == 200
    page = _text(response)
    for mode in ("text", "image", "remix", "extend", "storyboard"):
        assert f'name="mode" value="{mode}"' in page
    assert 'type="range" name="duration"' in page and 'max="20"' in page
    for ratio in ("9:16", "16:9", "1:1"):
        assert f'name="aspect_ratio" value="{ratio}"' in page
    assert 'name="tier"' in page and 'name="style"' in page and 'name="seed"' in page
    assert 'type="file" name="image"' in page
    assert page.count('name="shot_prompt"') == 3  # two cards, and the script's template
    assert 'data-char-count-for="id_prompt"' in page and "0 / 1000" in page
    assert "5 videos left of 5" in page
    assert "js/create.js" in page


def test_create_submits_a_job_and_opens_its_page(owner_client, user, sent_jobs, django_capture_on_commit_callbacks):
    data = {"mode": "text", "prompt": "  fireflies over a lake at night ", "duration": "3", "aspect_ratio": "16:9",
            "tier": "low", "style": "film", "seed": "42", "negative_prompt": "text"}
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("generation:create"), data)
    job = GenerationJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("generation:job", args=[job.pk])
    assert (job.owner, job.prompt, job.duration, job.aspect_ratio, job.tier, job.style, job.seed) == (
        user, "fireflies over a lake at night", 3.0, "16:9", "low", "film", 42)
    assert job.negative_prompt == "text" and sent_jobs == [job.pk]


def test_create_errors_keep_what_was_typed(owner_client, sent_jobs):
    data = {"mode": "text", "prompt": "Darth Vader dancing on the moon", "duration": "7", "aspect_ratio": "1:1",
            "tier": "high", "style": "anime", "seed": "77"}
    response = owner_client.post(reverse("generation:create"), data)
    assert response.status_code == 200
    # Nothing is queued (a refused prompt is only kept as a blocked record, to appeal).
    assert not GenerationJob.objects.exclude(state=State.BLOCKED).exists() and not sent_jobs
    page = _text(response)
    assert "field--error" in page and "Your video was not started." in page
    assert "Darth Vader dancing on the moon</textarea>" in page
    assert re.search(r'value="1:1"[^>]*checked', page)
    assert re.search(r'value="high"[^>]*checked', page)
    assert '<option value="anime" selected>' in page
    assert 'value="77"' in page and 'value="7"' in page


def test_storyboard_errors_show_on_their_card(owner_client, sent_jobs):
    data = {"mode": "storyboard", "prompt": "", "aspect_ratio": "9:16", "tier": "low", "style": "none",
            "shot_prompt": ["a door opens", ""], "shot_duration": ["2", "3"]}
    page = _text(owner_client.post(reverse("generation:create"), data))
    assert not GenerationJob.objects.exists()
    assert "a door opens</textarea>" in page
    assert re.search(r'id="shot-errors-1"><li>Describe the video in a few words.', page)


def test_storyboard_cards_can_be_added_and_removed_without_a_script(owner_client, sent_jobs):
    data = {"mode": "storyboard", "aspect_ratio": "9:16", "tier": "low", "style": "none",
            "shot_prompt": ["one", "two"], "shot_duration": ["2", "2"], "shot_action": "add"}
    page = _text(owner_client.post(reverse("generation:create"), data))
    assert page.count('name="shot_prompt"') == 4 and "Shot 3" in page
    data.update(shot_prompt=["one", "two", "three"], shot_duration=["2", "2", "2"], shot_action="remove-0")
    page = _text(owner_client.post(reverse("generation:create"), data))
    assert page.count('name="shot_prompt"') == 3 and ">two</textarea>" in page and ">one</textarea>" not in page
    assert not GenerationJob.objects.exists() and not sent_jobs


def test_storyboard_is_submitted(owner_client, sent_jobs, django_capture_on_commit_callbacks):
    data = {"mode": "storyboard", "aspect_ratio": "9:16", "tier": "low", "style": "none",
            "shot_prompt": ["a door opens", "a cat walks in"], "shot_duration": ["2", "1.5"]}
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("generation:create"), data)
    job = GenerationJob.objects.get()
    assert job.mode == "storyboard" and job.duration == 3.5
    assert job.shots == [{"prompt": "a door opens", "duration": 2.0}, {"prompt": "a cat walks in", "duration": 1.5}]


def test_remix_link_prefills_the_source_post(owner_client, sent_jobs, django_capture_on_commit_callbacks):
    author = UserFactory(handle="ninon")
    post = PostFactory(author=author)
    page = _text(owner_client.get(reverse("generation:create") + f"?remix={post.pk}"))
    assert "Remix of @ninon" in page
    assert re.search(r'value="remix"[^>]*checked', page)
    assert f'name="source_post" value="{post.pk}"' in page
    assert f'href="{post.get_absolute_url()}"' in page
    data = {"mode": "remix", "prompt": "the same, at night", "duration": "1", "aspect_ratio": "9:16",
            "tier": "low", "style": "none", "source_post": str(post.pk)}
    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(reverse("generation:create"), data)
    job = GenerationJob.objects.get()
    assert job.source_post_id == post.pk and job.credited == author


def test_extend_link_prefills_ones_draft(owner_client, user, other_user):
    draft = make_job(user, state=State.READY, prompt="waves on a beach")
    page = _text(owner_client.get(reverse("generation:create") + f"?extend={draft.pk}"))
    assert re.search(r'value="extend"[^>]*checked', page)
    assert f'<option value="{draft.pk}" selected>' in page
    assert reverse("generation:job-poster", args=[draft.pk]) in page
    # Someone else's draft is not offered.
    theirs = make_job(other_user, state=State.READY)
    page = _text(owner_client.get(reverse("generation:create") + f"?extend={theirs.pk}"))
    assert f'value="{theirs.pk}"' not in page


def test_reuse_fills_the_settings_and_the_seed(owner_client, user):
    job = make_job(user, state=State.READY, prompt="a lighthouse in a storm", seed=31337, style="film")
    page = _text(owner_client.get(reverse("generation:create") + f"?reuse={job.pk}"))
    assert "a lighthouse in a storm</textarea>" in page
    assert 'value="31337"' in page and "Reusing seed 31337" in page
    assert '<option value="film" selected>' in page


def test_an_exhausted_allowance_disables_the_button(owner_client, user, settings):
    settings.GENERATION_DAILY_QUOTA = 1
    make_job(user)
    page = _text(owner_client.get(reverse("generation:create")))
    assert "0 videos left of 1" in page
    assert re.search(r"<button[^>]*type=\"submit\"[^>]*disabled[^>]*data-create-submit", page)


# ---------- Drafts ----------


def test_drafts_list_ones_jobs_newest_first(owner_client, user, other_user):
    old = make_job(user, state=State.READY, prompt="the older draft")
    GenerationJob.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(hours=1))
    running = make_job(user, state=State.RUNNING, phase="encoding", prompt="still rendering")
    make_job(other_user, state=State.READY, prompt="not mine")
    page = _text(owner_client.get(reverse("generation:drafts")))
    assert page.index("still rendering") < page.index("the older draft")
    assert "not mine" not in page
    assert reverse("generation:job-poster", args=[old.pk]) in page
    assert "Encoding" in page and reverse("generation:job", args=[running.pk]) in page


def test_header_links_to_create_and_drafts(owner_client):
    page = _text(owner_client.get(reverse("generation:drafts")))
    assert f'href="{reverse("generation:create")}"' in page and f'href="{reverse("generation:drafts")}"' in page


# ---------- Posting a draft, and remixing from the feed ----------


def test_posting_a_draft_publishes_it_and_opens_the_post(owner_client, user):
    job = make_job(user, state=State.READY)
    response = owner_client.post(reverse("feed:draft-post", args=[job.pk]), {"caption": "Snow day"}, follow=True)
    post = Post.objects.get()
    assert post.state == Post.State.PUBLISHED and post.caption == "Snow day" and post.job_id == job.pk
    assert response.redirect_chain[0][0] == post.get_absolute_url()
    assert "Your video is published." in _text(response)


def test_a_draft_under_review_waits_after_posting(owner_client, user):
    job = make_job(user, state=State.READY, review=GenerationJob.Review.REVIEW)
    response = owner_client.post(reverse("feed:draft-post", args=[job.pk]), {"caption": ""}, follow=True)
    post = Post.objects.get()
    assert post.state == Post.State.PENDING_REVIEW
    assert response.redirect_chain[0][0] == post.get_absolute_url()
    assert "waiting for a moderator’s review" in _text(response)


def test_a_refused_caption_goes_back_to_the_draft(owner_client, user):
    job = make_job(user, state=State.READY)
    response = owner_client.post(reverse("feed:draft-post", args=[job.pk]), {"caption": "Darth Vader in person"})
    assert response.status_code == 302
    assert response["Location"] == reverse("generation:job", args=[job.pk]) + "#post-draft"
    assert not Post.objects.exists()


def test_only_the_owner_posts_a_draft(client, other_user, user):
    job = make_job(user, state=State.READY)
    client.force_login(other_user)
    assert client.post(reverse("feed:draft-post", args=[job.pk]), {"caption": "Mine"}).status_code == 404
    assert client.get(reverse("feed:draft-post", args=[job.pk])).status_code == 405
    assert not Post.objects.exists()


def test_post_page_offers_remix_and_credits_the_source(owner_client):
    source = PostFactory(author=UserFactory(handle="camille"))
    remix = PostFactory(remix_of=source)
    page = _text(owner_client.get(remix.get_absolute_url()))
    assert f'href="{reverse("generation:create")}?remix={remix.pk}"' in page
    assert "Remix of @camille" in page and f'href="{source.get_absolute_url()}"' in page


def test_visitors_see_no_remix_button(client):
    post = PostFactory()
    page = _text(client.get(post.get_absolute_url()))
    assert f"?remix={post.pk}" not in page


def test_feed_slides_offer_remix_to_signed_in_viewers(owner_client):
    post = PostFactory()
    page = _text(owner_client.get(reverse("feed:for_you")))
    assert f'href="{reverse("generation:create")}?remix={post.pk}"' in page


def test_extend_submits_a_continuation_of_an_older_draft(owner_client, user, sent_jobs, settings,
                                                          django_capture_on_commit_callbacks):
    from generation import views

    settings.GENERATION_DAILY_QUOTA = 100
    draft = make_job(user, state=State.READY, prompt="waves on a beach")
    for _ in range(views.EXTEND_CHOICES):  # newer drafts push it off the list the tab offers
        make_job(user, state=State.READY)
    page = _text(owner_client.get(reverse("generation:create") + f"?extend={draft.pk}"))
    assert f'<option value="{draft.pk}" selected>' in page
    data = {"mode": "extend", "prompt": "the tide comes in", "duration": "1", "aspect_ratio": "9:16",
            "tier": "low", "style": "none", "source_job": str(draft.pk)}
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(reverse("generation:create"), data)
    job = GenerationJob.objects.get(prompt="the tide comes in")
    assert response.status_code == 302 and job.source_job == draft and job.mode == "extend"


def test_a_remix_of_an_unknown_post_says_so(owner_client):
    page = _text(owner_client.get(reverse("generation:create") + "?remix=999999"))
    assert "This video does not exist or you cannot remix it." in page
    assert "To remix a video, open it in the feed and choose Remix." in page


def test_a_failed_job_can_be_removed_from_the_drafts(owner_client, user):
    job = make_job(user, state=State.FAILED, phase="failed", error="The model failed.")
    page = _text(owner_client.get(reverse("generation:job", args=[job.pk])))
    assert f'action="{reverse("generation:job-delete", args=[job.pk])}"' in page
    owner_client.post(reverse("generation:job-delete", args=[job.pk]))
    assert "The model failed." not in _text(owner_client.get(reverse("generation:drafts")))


def test_french_create_page_and_script_strings(owner_client):
    owner_client.cookies["django_language"] = "fr"
    page = _text(owner_client.get(reverse("generation:create"), HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Créer une vidéo" in page and "Générer" in page and "vidéos restantes sur" in page
    catalog = owner_client.get(reverse("feed:jsi18n"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Rendu : \\u00e9tape %(step)s sur %(total)s" in catalog or "Rendu : étape %(step)s sur %(total)s" in catalog
