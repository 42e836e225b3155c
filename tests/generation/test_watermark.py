import numpy as np
import pytest

from generation.watermark import watermark_frames


def grey_frames(count, height, width, value=128):
    return [np.full((height, width, 3), value, np.uint8) for _ in range(count)]


def changed(original, marked):
    return np.abs(marked.astype(np.int16) - original.astype(np.int16)).max(axis=2) > 8


def centre(mask):
    ys, xs = np.nonzero(mask)
    return np.array([xs.mean(), ys.mean()])


@pytest.mark.parametrize(("height", "width"), [(64, 64), (1280, 720), (720, 1280)])
def test_watermark_is_drawn_and_has_moved_three_seconds_later(height, width):
    fps = 4
    frames = grey_frames(3 * fps + 1, height, width)
    marked = watermark_frames(frames, handle="ada", fps=fps)

    first, later = changed(frames[0], marked[0]), changed(frames[-1], marked[-1])
    assert first.mean() > 0.002 and later.mean() > 0.002
    assert np.linalg.norm(centre(first) - centre(later)) > 0.25 * min(height, width)


def test_watermark_grows_with_the_frame():
    small = changed(grey_frames(1, 360, 640)[0], watermark_frames(grey_frames(1, 360, 640), handle="ada")[0])
    large = changed(grey_frames(1, 1080, 1920)[0], watermark_frames(grey_frames(1, 1080, 1920), handle="ada")[0])
    assert large.sum() > 4 * small.sum()


def test_watermark_reads_on_black_and_on_white():
    on_black = watermark_frames(grey_frames(1, 240, 320, value=0), handle="ada")[0]
    on_white = watermark_frames(grey_frames(1, 240, 320, value=255), handle="ada")[0]
    assert on_black.max() > 150  # light letters
    assert on_white.min() < 100  # dark outline


def test_watermark_lets_the_picture_show_through():
    red = np.zeros((240, 320, 3), np.uint8)
    red[..., 0] = 255
    marked = watermark_frames([red], handle="ada")[0]
    assert 0 < marked[..., 1].max() < 255


def test_watermark_leaves_the_input_frames_alone():
    frames = grey_frames(2, 64, 64)
    watermark_frames(frames, handle="@ada", mark="reel")
    assert all((frame == 128).all() for frame in frames)


def test_long_handle_still_fits_a_tiny_frame():
    marked = watermark_frames(grey_frames(1, 64, 64), handle="a_very_long_creator_handle_indeed")[0]
    assert changed(grey_frames(1, 64, 64)[0], marked).any()


def test_watermark_refuses_a_missing_handle_and_bad_frames():
    with pytest.raises(ValueError):
        watermark_frames(grey_frames(1, 64, 64), handle=" @ ")
    with pytest.raises(ValueError):
        watermark_frames([np.zeros((64, 64), np.uint8)], handle="ada")
    assert watermark_frames([], handle="ada") == []
