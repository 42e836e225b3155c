import io
import struct

import numpy as np
import pytest
from PIL import Image

from moderation.media import (
    DecodeLimitExceeded,
    film_frames,
    image_frames,
    load_frames,
    sample_frames,
)

from .pictures import encode_clip, png_bytes, resized, scene_frames


def test_frames_are_sampled_at_the_asked_rate_from_the_first_frame(tmp_path):
    clip = encode_clip(scene_frames(36, width=64, height=64), tmp_path / "clip.mp4", fps=12)  # 3 s
    once = sample_frames(clip, fps=1)
    twice = sample_frames(clip, fps=2)
    assert [f.time for f in once] == [0.0, 1.0, 2.0]
    assert [f.index for f in once] == [0, 12, 24]
    assert [f.time for f in twice] == [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]
    frame = once[1]
    assert frame.image.shape == (64, 64, 3) and frame.image.dtype == np.uint8


def test_a_long_video_is_sampled_over_its_whole_length_not_cut_short(tmp_path):
    clip = encode_clip(scene_frames(96, width=32, height=32), tmp_path / "clip.mp4", fps=12)  # 8 s
    frames = sample_frames(clip, fps=2, max_frames=5)
    assert len(frames) <= 5
    assert frames[0].time == 0.0
    assert frames[-1].time >= 6.0
    gaps = {round(b.time - a.time, 3) for a, b in zip(frames, frames[1:], strict=False)}
    assert len(gaps) == 1  # evenly spread


def test_big_frames_are_scaled_down_to_max_side(tmp_path):
    clip = encode_clip(scene_frames(4, width=320, height=160), tmp_path / "clip.mp4", fps=4)
    (frame,) = sample_frames(clip, fps=1, max_side=100)
    assert frame.image.shape == (50, 100, 3)


def test_a_phone_clip_stored_sideways_is_turned_the_way_viewers_see_it(tmp_path, astronaut):
    upright = resized(astronaut, 96, 160)
    clip = encode_clip([np.ascontiguousarray(np.rot90(upright, 1))] * 4, tmp_path / "clip.mp4", fps=4)
    # Give the track the display matrix a phone writes for a portrait clip (rotate 90° clockwise).
    data = bytearray(clip.read_bytes())
    unity = struct.pack(">9i", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
    quarter_turn = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 0x40000000)
    start = data.index(unity, data.index(b"tkhd"))
    data[start : start + 36] = quarter_turn
    (frame,) = sample_frames(bytes(data), fps=1)
    assert frame.image.shape == (160, 96, 3)
    assert np.abs(frame.image.astype(int) - upright.astype(int)).mean() < 12


def test_fps_outside_the_supported_range_is_refused(tmp_path):
    clip = encode_clip(scene_frames(4, width=32, height=32), tmp_path / "clip.mp4")
    with pytest.raises(ValueError):
        sample_frames(clip, fps=0)
    with pytest.raises(ValueError):
        sample_frames(clip, fps=1, max_frames=0)


def test_an_image_is_one_frame_upright_and_in_rgb():
    picture = Image.new("RGBA", (40, 20), (255, 0, 0, 255))
    exif = picture.getexif()
    exif[0x0112] = 6  # orientation: the camera was turned, show it rotated
    out = io.BytesIO()
    picture.convert("RGB").save(out, format="JPEG", exif=exif)
    (frame,) = image_frames(out.getvalue())
    assert frame.index == 0 and frame.time is None
    assert frame.image.shape == (40, 20, 3)


def test_every_part_of_an_animated_image_is_sampled():
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    stills = [Image.new("RGB", (16, 16), colour) for colour in colours]
    out = io.BytesIO()
    stills[0].save(out, format="GIF", save_all=True, append_images=stills[1:], duration=500, loop=0)
    frames = image_frames(out.getvalue(), max_frames=2)
    assert [f.index for f in frames] == [0, 2]
    assert [f.time for f in frames] == [0.0, 1.0]


def test_load_frames_tells_images_from_videos(tmp_path, astronaut):
    clip = encode_clip(scene_frames(24, width=32, height=32), tmp_path / "clip.mp4", fps=12)
    assert len(load_frames(clip, fps=1)) == 2
    assert len(load_frames(png_bytes(astronaut))) == 1
    with pytest.raises(Exception):  # noqa: B017 - PyAV's error family is its own
        load_frames(b"neither an image nor a video")


@pytest.mark.parametrize(
    "limits",
    [{"max_seconds": 1.5}, {"max_decoded": 10}, {"max_wall_seconds": 0.0}],
)
def test_decoding_stops_at_its_limits_whatever_the_header_says(tmp_path, limits):
    clip = encode_clip(scene_frames(36, width=32, height=32), tmp_path / "clip.mp4", fps=12)  # 3 s
    assert len(sample_frames(clip, fps=1, max_seconds=3.5, max_decoded=40, max_wall_seconds=60)) == 3
    with pytest.raises(DecodeLimitExceeded):
        sample_frames(clip, fps=1, **limits)


def test_a_decoded_film_is_sampled_like_a_file_over_its_whole_length():
    film = [np.full((8, 8, 3), index, np.uint8) for index in range(96)]  # 8 s at 12 fps
    frames = film_frames(film, film_fps=12, fps=2, max_frames=5)
    assert len(frames) <= 5 and frames[0].time == 0.0 and frames[-1].time >= 6.0
    assert [f.index for f in film_frames(film[:36], film_fps=12, fps=1)] == [0, 12, 24]
