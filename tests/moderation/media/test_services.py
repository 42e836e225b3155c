import json

import pytest
from skimage import data

from moderation.media import Decision, MediaContext, media_check, media_check_file
from moderation.media.base import CheckUnavailable, MediaCheck
from moderation.media.services import MEDIA_POLICY_VERSION

from .pictures import encode_clip, film, jpeg, png_bytes, resized, still

CONTEXT = MediaContext(source="output", subject="generation.job:1")
FACES_ONLY = ["moderation.media.checks.FaceDetection"]


class ExplodingCheck(MediaCheck):
    name = "exploding"

    def run(self, *, frames, context):
        raise RuntimeError("the model fell over")


class MissingModelCheck(MediaCheck):
    name = "missing_model"

    def run(self, *, frames, context):
        raise CheckUnavailable("weights not installed")


@pytest.mark.django_db
def test_a_face_alone_is_reported_but_allowed(astronaut):
    verdict = media_check(frames=still(astronaut), context=CONTEXT)
    assert verdict.decision is Decision.ALLOW
    assert [f.category for f in verdict.findings] == ["face"]
    assert verdict.checks_run == ("face_detection", "protected_media", "face_bank", "age_estimate", "nudity")
    assert verdict.checks_failed == ()
    assert verdict.policy_version.startswith(f"{MEDIA_POLICY_VERSION}+bank.0-")
    assert verdict.frames_checked == 1


@pytest.mark.django_db
def test_a_picture_with_nothing_to_report_is_allowed(controls):
    verdict = media_check(frames=still(controls["coffee"]), context=CONTEXT)
    assert verdict.decision is Decision.ALLOW and verdict.findings == ()


def test_a_protected_still_and_a_public_figure_are_both_named(add_to_bank, astronaut, astronaut_in_scene):
    poster = add_to_bank(astronaut, label="Mission poster", category="copyright")
    person = add_to_bank(resized(astronaut[40:300, 120:380], 200, 200), label="The astronaut", category="public_figure")
    verdict = media_check(frames=still(jpeg(astronaut, 40)), context=CONTEXT)
    assert verdict.decision is Decision.BLOCK
    assert {f.rule for f in verdict.findings if f.action is Decision.BLOCK} == {
        f"media:pdq:{poster.pk}", f"media:face:{person.pk}",
    }
    assert verdict.rules[0].startswith("media:")
    assert "media:face" not in verdict.rules  # a face alone decides nothing
    # A new photo of the same person matches by face, not by hash.
    verdict = media_check(frames=still(astronaut_in_scene), context=CONTEXT)
    assert verdict.decision is Decision.BLOCK
    assert [f.rule for f in verdict.findings if f.action is Decision.BLOCK] == [f"media:face:{person.pk}"]
    json.dumps(verdict.as_dict())


def test_an_mp4_showing_a_protected_still_is_blocked_through_its_sampled_frames(tmp_path, add_to_bank, astronaut):
    entry = add_to_bank(astronaut, label="Mission poster")
    shots = film(24, width=160, height=160, pictures=[data.rocket()])
    clip = encode_clip(shots[:12] + [resized(astronaut, 160, 160)] * 12 + shots[12:], tmp_path / "out.mp4", fps=12)
    verdict = media_check_file(
        path=clip, context=CONTEXT, checks=["moderation.media.checks.ProtectedMediaMatch"], fps=2
    )
    assert verdict.decision is Decision.BLOCK
    (finding,) = verdict.findings
    assert finding.rule == f"media:pdq:{entry.pk}" and finding.category == "copyright"
    assert 1.0 <= finding.time < 2.0 and 12 <= finding.frame_index < 24
    assert verdict.frames_checked == 6


@pytest.mark.django_db
def test_the_checks_come_from_the_setting(settings, astronaut):
    settings.MODERATION_MEDIA_CHECKS = [{"NAME": "moderation.media.checks.FaceDetection", "OPTIONS": {"min_neighbors": 3}}]
    verdict = media_check(frames=still(astronaut), context=CONTEXT)
    assert verdict.checks_run == ("face_detection",)
    assert verdict.policy_version == MEDIA_POLICY_VERSION  # no bank was consulted


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("spec", "failed", "kind"),
    [
        ("moderation.media.checks.NoSuchCheck", "moderation.media.checks.NoSuchCheck", "unavailable"),
        ("no_such_package.checks.Faces", "no_such_package.checks.Faces", "unavailable"),
        ("moderation.media.types.Frame", "moderation.media.types.Frame", "misconfigured"),
        ({"NAME": "moderation.media.checks.FaceDetection", "OPTIONS": {"colour": "red"}}, "face_detection", "misconfigured"),
        (f"{__name__}.ExplodingCheck", "exploding", "error"),
        (f"{__name__}.MissingModelCheck", "missing_model", "unavailable"),
    ],
    ids=["missing-class", "missing-module", "not-a-check", "bad-option", "raises", "unavailable"],
)
def test_a_check_that_cannot_answer_sends_the_media_to_review(settings, controls, spec, failed, kind):
    settings.MODERATION_MEDIA_CHECKS = [*FACES_ONLY, spec]
    verdict = media_check(frames=still(resized(controls["coffee"], 150, 100)), context=CONTEXT)
    assert verdict.decision is Decision.REVIEW
    (failure,) = verdict.checks_failed
    assert (failure.check, failure.kind) == (failed, kind)
    assert failure.reason
    assert verdict.checks_run == ("face_detection",)


def test_a_failed_check_never_softens_a_block(settings, add_to_bank, astronaut):
    add_to_bank(astronaut)
    settings.MODERATION_MEDIA_CHECKS = ["moderation.media.checks.ProtectedMediaMatch", f"{__name__}.ExplodingCheck"]
    verdict = media_check(frames=still(astronaut), context=CONTEXT)
    assert verdict.decision is Decision.BLOCK
    assert [f.check for f in verdict.checks_failed] == ["exploding"]


@pytest.mark.django_db
def test_no_checks_or_no_frames_is_never_an_allow(settings, astronaut):
    settings.MODERATION_MEDIA_CHECKS = []
    verdict = media_check(frames=still(astronaut), context=CONTEXT)
    assert verdict.decision is Decision.REVIEW and verdict.checks_failed[0].kind == "misconfigured"
    settings.MODERATION_MEDIA_CHECKS = FACES_ONLY
    verdict = media_check(frames=[], context=CONTEXT)
    assert verdict.decision is Decision.REVIEW and verdict.checks_run == ()


def test_a_file_that_does_not_decode_goes_to_review():
    verdict = media_check_file(path=b"\x00\x00\x00 not a picture", context=CONTEXT)
    assert verdict.decision is Decision.REVIEW
    assert verdict.checks_failed[0].check == "decode"


@pytest.mark.django_db
def test_a_bank_that_cannot_be_read_fails_closed(settings, monkeypatch, astronaut):
    def broken():
        raise RuntimeError("database unavailable")

    monkeypatch.setattr("moderation.media.checks.bank_snapshot", broken)
    monkeypatch.setattr("moderation.media.bank.bank_revision", broken)
    settings.MODERATION_MEDIA_CHECKS = ["moderation.media.checks.ProtectedMediaMatch"]
    verdict = media_check(frames=still(astronaut), context=CONTEXT)
    assert verdict.decision is Decision.REVIEW
    assert verdict.checks_failed[0].check == "protected_media"
    assert verdict.policy_version.endswith("+bank.unknown")


def test_the_frames_of_an_uploaded_png_are_checked(settings, astronaut):
    settings.MODERATION_MEDIA_CHECKS = FACES_ONLY
    verdict = media_check_file(path=png_bytes(astronaut), context=CONTEXT)
    assert verdict.decision is Decision.ALLOW and verdict.findings[0].category == "face"
