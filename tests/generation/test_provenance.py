import json
import stat
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
import pytest
from PIL import Image

from generation.encoding import encode_mp4, probe_mp4
from generation.provenance import (
    PROVENANCE_KEY,
    FrameHash,
    ProvenanceError,
    ProvenanceManifest,
    c2pa_assertion,
    c2pa_read,
    c2pa_sign,
    embed_metadata,
    file_sha256,
    prompt_digest,
    read_metadata,
    signing_credentials,
    stream_sha256,
    video_hashes,
    video_hashes_file,
    video_match,
)
from generation.scenes import render_scene
from generation.watermark import watermark_frames

FPS = 12


@pytest.fixture
def frames():
    return list(render_scene("tunnel", width=96, height=160, frames=4 * FPS))


@pytest.fixture
def video(tmp_path, frames):
    path = tmp_path / "clip.mp4"
    encode_mp4(frames, path, fps=FPS)
    return path


@pytest.fixture(scope="module")
def credentials(tmp_path_factory):
    return signing_credentials(tmp_path_factory.mktemp("c2pa"))


def manifest_for(video_path, **changes):
    values = {
        "model_id": "wan2.1-t2v-tiny",
        "model_version": "0.1",
        "seed": 42,
        "prompt_sha256": prompt_digest("a tunnel of light"),
        "job_id": 7,
        "creator_handle": "ada",
        "creator_id": 3,
        "created_at": "2025-01-02T03:04:05+00:00",
        "content_sha256": stream_sha256(video_path),
        "parameters": {"steps": 4, "guidance": 5.0},
    }
    return ProvenanceManifest(**{**values, **changes})


def moov_before_mdat(path):
    data = path.read_bytes()
    return data.find(b"moov") < data.find(b"mdat")


def test_prompt_digest_is_the_same_for_composed_and_decomposed_text():
    assert prompt_digest("caf\u00e9") == prompt_digest("cafe\u0301")
    assert len(prompt_digest("x")) == 64 and prompt_digest("x") != prompt_digest("y")


def test_manifest_round_trips_through_json(video):
    manifest = manifest_for(video)
    data = json.loads(manifest.to_json())
    assert data["schema"] == ProvenanceManifest.SCHEMA
    assert ProvenanceManifest.from_dict(data) == manifest
    with pytest.raises(ProvenanceError):
        ProvenanceManifest.from_dict({"seed": 1})


def test_metadata_round_trip_keeps_the_video_playable_and_its_stream_digest(tmp_path, video):
    manifest = manifest_for(video)
    tagged = tmp_path / "tagged.mp4"
    embed_metadata(video, tagged, manifest)

    assert read_metadata(tagged) == manifest.as_dict()
    assert probe_mp4(tagged).frame_count == probe_mp4(video).frame_count == 4 * FPS
    assert moov_before_mdat(tagged)
    assert file_sha256(tagged) != file_sha256(video)
    assert stream_sha256(tagged) == manifest.content_sha256
    with av.open(str(tagged)) as container:
        assert json.loads(container.metadata[PROVENANCE_KEY]) == manifest.as_dict()


def test_metadata_can_be_embedded_in_place(video):
    manifest = manifest_for(video)
    embed_metadata(video, video, manifest)
    assert read_metadata(video) == manifest.as_dict()
    assert list(video.parent.iterdir()) == [video]


def test_manifest_in_the_comment_survives_a_plain_remux(tmp_path, video):
    manifest = manifest_for(video)
    embed_metadata(video, video, manifest)
    remuxed = tmp_path / "remuxed.mp4"
    with av.open(str(video)) as source, av.open(str(remuxed), "w", format="mp4") as output:
        output.metadata.update(source.metadata)
        stream = output.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                output.mux(packet)
    with av.open(str(remuxed)) as container:
        assert PROVENANCE_KEY not in container.metadata
    assert read_metadata(remuxed) == manifest.as_dict()


def test_video_without_a_manifest_has_no_metadata(tmp_path, video):
    assert read_metadata(video) is None
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    assert read_metadata(junk) is None
    with pytest.raises(ProvenanceError):
        embed_metadata(junk, tmp_path / "out.mp4", manifest_for(video))
    with pytest.raises(ProvenanceError):
        video_hashes_file(junk)
    assert not (tmp_path / "out.mp4").exists()


def test_signing_credentials_are_created_once_and_reused(tmp_path):
    first = signing_credentials(tmp_path)
    files = {path.name: path.stat() for path in tmp_path.iterdir() if not path.name.startswith(".")}
    assert set(files) == {"ca.key", "ca.pem", "signer.key", "signer.pem"}
    assert stat.S_IMODE(files["ca.key"].st_mode) == stat.S_IMODE(files["signer.key"].st_mode) == 0o600

    assert signing_credentials(tmp_path) == first
    assert {path.name: path.stat().st_mtime_ns for path in tmp_path.iterdir() if path.name in files} == {
        name: info.st_mtime_ns for name, info in files.items()
    }
    assert first.trust_anchor in first.certificate_chain and b"PRIVATE KEY" not in first.certificate_chain
    assert "PRIVATE" not in repr(first)


def test_concurrent_first_uses_share_one_set_of_credentials(tmp_path):
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(signing_credentials, [tmp_path / "c2pa"] * 8))
    assert len({item.certificate_chain for item in results}) == 1


def test_a_lost_signer_certificate_is_reissued_by_the_same_ca(tmp_path):
    first = signing_credentials(tmp_path)
    (tmp_path / "signer.pem").unlink()
    second = signing_credentials(tmp_path)
    assert second.trust_anchor == first.trust_anchor
    assert second.private_key != first.private_key


def test_signed_video_carries_a_valid_c2pa_manifest(tmp_path, video, credentials):
    manifest = manifest_for(video)
    embed_metadata(video, video, manifest)
    signed = tmp_path / "signed.mp4"
    c2pa_sign(video, signed, manifest, credentials=credentials)

    store = c2pa_read(signed)
    assert store["validation_state"] == "Valid"  # signature and hashes check out, CA unknown
    assert c2pa_read(signed, trust_anchor=credentials.trust_anchor)["validation_state"] == "Trusted"
    assert c2pa_assertion(store) == manifest.as_dict()
    (created,) = c2pa_assertion(store, "c2pa.actions.v2")["actions"]
    assert created["action"] == "c2pa.created"
    assert created["digitalSourceType"].endswith("/trainedAlgorithmicMedia")

    assert probe_mp4(signed).frame_count == 4 * FPS
    assert moov_before_mdat(signed)
    assert read_metadata(signed) == manifest.as_dict()
    assert stream_sha256(signed) == manifest.content_sha256


def test_tampered_or_unsigned_video_has_no_c2pa_manifest(tmp_path, video, credentials):
    signed = tmp_path / "signed.mp4"
    c2pa_sign(video, signed, manifest_for(video), credentials=credentials)
    tampered = tmp_path / "tampered.mp4"
    data = bytearray(signed.read_bytes())
    data[-200] ^= 0xFF  # inside the coded frames
    tampered.write_bytes(bytes(data))

    assert c2pa_read(tampered) is None
    assert c2pa_read(video) is None
    with pytest.raises(FileNotFoundError):
        c2pa_read(tmp_path / "missing.mp4")


def test_signing_something_that_is_not_an_mp4_fails_clearly(tmp_path, video, credentials):
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video")
    with pytest.raises(ProvenanceError, match="C2PA"):
        c2pa_sign(junk, tmp_path / "out.mp4", manifest_for(video), credentials=credentials)
    assert not (tmp_path / "out.mp4").exists()


def textured_clip(seed, *, width=96, height=160, count=4 * FPS):
    """Return a slow pan over smooth random texture: detail at the scale of real footage."""
    rng = np.random.default_rng(seed)
    coarse = Image.fromarray((rng.random((height // 8 + 8, width // 8 + 8, 3)) * 255).astype(np.uint8))
    canvas = np.asarray(coarse.resize((coarse.width * 8, coarse.height * 8), Image.Resampling.BICUBIC))
    offsets = [index * 64 // count for index in range(count)]
    return [np.ascontiguousarray(canvas[o : o + height, o : o + width]) for o in offsets]


def test_reencoded_watermarked_copy_matches_and_other_clips_do_not(tmp_path):
    frames = textured_clip(seed=1)
    original = video_hashes(frames, fps=FPS, per_second=2)
    copy = tmp_path / "copy.mp4"
    encode_mp4(watermark_frames(frames, handle="someone_else", fps=FPS), copy, fps=FPS, crf=30)
    copied = video_hashes_file(copy, per_second=2)
    other_texture = video_hashes(textured_clip(seed=2), fps=FPS, per_second=2)
    other_scene = video_hashes(list(render_scene("tunnel", width=96, height=160, frames=4 * FPS)), fps=FPS)

    assert len(original) == len(copied) == 8
    assert video_match(copied, original) >= 0.8
    assert video_match(other_texture, original) < 0.2
    assert video_match(other_scene, original) < 0.2


def test_photographic_clip_matches_its_copy_and_not_another():
    data = pytest.importorskip("skimage.data")

    def pan(image, count=3 * FPS, side=192):
        steps = np.linspace(0, min(image.shape[:2]) - side, count).astype(int)
        return [np.ascontiguousarray(image[s : s + side, s : s + side]) for s in steps]

    astronaut, coffee = pan(data.astronaut()), pan(data.coffee())
    original = video_hashes(astronaut, fps=FPS)
    copy = video_hashes(watermark_frames(astronaut, handle="ada", fps=FPS), fps=FPS)
    assert video_match(copy, original) >= 0.8
    assert video_match(video_hashes(coffee, fps=FPS), original) < 0.2


def test_hashes_sample_once_a_second_and_drop_repeats():
    moving = list(render_scene("tunnel", width=64, height=64, frames=4 * FPS))
    assert [item.time for item in video_hashes(moving, fps=FPS)] == [0.0, 1.0, 2.0, 3.0]
    still = [moving[0]] * (4 * FPS)
    assert len(video_hashes(still, fps=FPS)) == 1


def test_hashes_are_json_ready():
    hashes = video_hashes(list(render_scene("tunnel", width=64, height=64, frames=FPS)), fps=FPS)
    stored = json.loads(json.dumps([item.as_dict() for item in hashes]))
    assert [FrameHash.from_dict(item) for item in stored] == hashes
    assert all(len(item["hash"]) == 64 for item in stored)


def test_flat_frames_match_nothing():
    blank = video_hashes([np.zeros((64, 64, 3), np.uint8)] * FPS, fps=FPS)
    assert blank[0].quality < 50
    assert video_match(blank, blank) == 0.0
    assert video_match([], blank) == 0.0
