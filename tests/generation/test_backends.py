import numpy as np
import pytest

from generation.backends import (
    BackendConfigurationError,
    RenderCancelled,
    RenderMode,
    RenderRequest,
    VideoBackend,
    backend_get,
    backend_reset,
    frames_for_duration,
    is_valid_frame_count,
)
from generation.backends.wan import WanBackend, WanOptions
from generation.encoding import encode_mp4, probe_mp4

WIDTH, HEIGHT, FRAMES, STEPS, FPS = 80, 48, 9, 3, 8


@pytest.fixture(scope="module")
def backend():
    backend = WanBackend()
    backend.load()
    return backend


@pytest.fixture(scope="module")
def source_video():
    rng = np.random.default_rng(7)
    return [rng.integers(0, 256, (HEIGHT, WIDTH, 3), dtype=np.uint8) for _ in range(FRAMES)]


def make_request(mode, source_video, **changes):
    fields = {
        "mode": mode,
        "prompt": "a red fox running through snow",
        "negative_prompt": "blurry",
        "width": WIDTH,
        "height": HEIGHT,
        "num_frames": FRAMES,
        "fps": FPS,
        "steps": STEPS,
        "guidance": 5.0,
        "seed": 11,
        "source_image": source_video[0],
        "source_video": source_video,
    }
    fields.update(changes)
    return RenderRequest(**fields)


@pytest.mark.parametrize("mode", ["text", "image", "remix", "extend"])
def test_each_mode_renders_frames_that_encode_to_a_playable_mp4(
    backend, source_video, mode, tmp_path
):
    result = backend.render(request=make_request(mode, source_video))

    assert len(result.frames) == FRAMES
    assert all(f.shape == (HEIGHT, WIDTH, 3) and f.dtype == np.uint8 for f in result.frames)
    assert result.fps == FPS and result.seed == 11
    assert result.model_id and result.model_version
    assert result.parameters["mode"] == mode and result.parameters["steps"] == STEPS
    path = tmp_path / f"{mode}.mp4"
    encode_mp4(result.frames, path, fps=result.fps)
    probed = probe_mp4(path)
    assert (probed.width, probed.height, probed.frame_count) == (WIDTH, HEIGHT, FRAMES)
    assert probed.codec == "h264"
    assert probed.fps == pytest.approx(FPS)


def test_same_seed_and_parameters_give_identical_frames(backend, source_video):
    first = backend.render(request=make_request("text", source_video))
    again = backend.render(request=make_request("text", source_video))
    other = backend.render(request=make_request("text", source_video, seed=12))

    assert all(np.array_equal(a, b) for a, b in zip(first.frames, again.frames, strict=True))
    assert first.parameters == again.parameters
    assert not all(np.array_equal(a, b) for a, b in zip(first.frames, other.frames, strict=True))


def test_progress_is_reported_once_per_step(backend, source_video):
    calls = []
    backend.render(
        request=make_request("text", source_video), on_step=lambda i, n: calls.append((i, n))
    )
    assert calls == [(i, STEPS) for i in range(1, STEPS + 1)]


def test_cancel_stops_the_render_early(backend, source_video):
    calls = []
    with pytest.raises(RenderCancelled) as caught:
        backend.render(
            request=make_request("text", source_video, steps=4),
            on_step=lambda i, n: calls.append(i),
            should_cancel=lambda: len(calls) >= 1,
        )
    assert calls == [1]
    assert (caught.value.steps_done, caught.value.steps_total) == (1, 4)


def test_saved_toy_pipelines_load_back_through_the_checkpoint_path(backend, source_video, tmp_path):
    backend.save_pretrained(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "text" / "model_index.json").exists()
    loaded = WanBackend(
        options=WanOptions(model_dir=tmp_path / "ckpt", device="cpu", dtype="float32")
    )

    for mode in ("text", "extend"):
        original = backend.render(request=make_request(mode, source_video))
        reloaded = loaded.render(request=make_request(mode, source_video))
        # Loaded weights are bit-identical; kernels may round differently by one level.
        diff = max(
            np.abs(a.astype(int) - b.astype(int)).max()
            for a, b in zip(original.frames, reloaded.frames, strict=True)
        )
        assert diff <= 1
        assert original.parameters["scheduler"] == reloaded.parameters["scheduler"]
    assert reloaded.model_id == "ckpt" and len(reloaded.model_version) == 16


def test_durations_map_to_frame_counts_the_vae_accepts():
    assert frames_for_duration(seconds=2, fps=16) == 33
    assert frames_for_duration(seconds=5, fps=16) == 81
    assert frames_for_duration(seconds=0.01, fps=16) == 1
    assert all(
        is_valid_frame_count(frames_for_duration(seconds=s / 10, fps=24)) for s in range(1, 100)
    )
    with pytest.raises(ValueError, match="4k\\+1"):
        RenderRequest(mode="text", prompt="x", width=64, height=64, num_frames=8)
    with pytest.raises(ValueError, match="multiples of 16"):
        RenderRequest(mode="text", prompt="x", width=60, height=64, num_frames=9)
    with pytest.raises(ValueError, match="source_video"):
        RenderRequest(mode="remix", prompt="x", width=64, height=64, num_frames=9)


class StubBackend(VideoBackend):
    def render(self, *, request, on_step=None, should_cancel=None):
        raise NotImplementedError


def test_the_setting_picks_the_backend_class_and_keeps_one_per_process(settings):
    settings.GENERATION_BACKEND = f"{__name__}.StubBackend"
    backend_reset()
    try:
        assert isinstance(backend_get(), StubBackend)
        assert backend_get() is backend_get()
    finally:
        backend_reset()


@pytest.mark.parametrize(
    "path", ["generation.backends.nope.Missing", "generation.backends.base.RenderRequest"]
)
def test_a_bad_backend_path_raises_a_clear_error(settings, path):
    settings.GENERATION_BACKEND = path
    backend_reset()
    try:
        with pytest.raises(BackendConfigurationError, match="GENERATION_BACKEND"):
            backend_get()
    finally:
        backend_reset()


def test_speed_options_apply_and_are_recorded(source_video):
    fast = WanBackend(options=WanOptions(attention_backend="native", cache="first_block", cache_threshold=0.2))
    result = fast.render(request=make_request("text", source_video))
    assert len(result.frames) == 9
    assert result.parameters["speed"] == {
        "attention_backend": "native", "compile": "none", "cache": "first_block", "cache_threshold": 0.2,
    }
    assert fast._loaded()[RenderMode.TEXT].transformer.is_cache_enabled


def test_an_unknown_speed_option_is_a_clear_error():
    with pytest.raises(ValueError, match="GENERATION_CACHE"):
        WanBackend(options=WanOptions(cache="turbo")).load()
