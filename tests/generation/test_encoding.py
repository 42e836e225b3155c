import av
import numpy as np
import pytest

from generation.encoding import encode_mp4, poster_jpeg, probe_mp4
from generation.scenes import render_scene


def test_encoded_clip_is_h264_mp4_that_reads_back_with_its_frames(tmp_path):
    path = tmp_path / "clip.mp4"
    info = encode_mp4(render_scene("waves", width=96, height=160, frames=24), path, fps=12)
    assert (info.width, info.height, info.frame_count) == (96, 160, 24)
    probed = probe_mp4(path)
    assert (probed.width, probed.height, probed.frame_count) == (96, 160, 24)
    assert probed.codec == "h264" and probed.pix_fmt == "yuv420p"
    assert probed.fps == pytest.approx(12)
    assert probed.duration == pytest.approx(2.0)


def test_moov_atom_comes_first_so_browsers_can_start_playing(tmp_path):
    path = tmp_path / "clip.mp4"
    encode_mp4(render_scene("orbs", width=64, height=64, frames=6), path)
    head = path.read_bytes()[:4096]
    assert head.find(b"moov") != -1 and head.find(b"moov") < max(head.find(b"mdat"), 4096)
    with av.open(str(path)) as container:
        assert container.format.name.startswith("mov,mp4")


def test_odd_sides_and_empty_input_are_refused(tmp_path):
    with pytest.raises(ValueError):
        encode_mp4([np.zeros((63, 64, 3), np.uint8)], tmp_path / "odd.mp4")
    with pytest.raises(ValueError):
        encode_mp4([], tmp_path / "empty.mp4")


def test_poster_is_a_jpeg():
    data = poster_jpeg(np.zeros((32, 32, 3), np.uint8))
    assert data[:3] == b"\xff\xd8\xff"
