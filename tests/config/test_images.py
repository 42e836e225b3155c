"""Uploaded images (`config.images.image_clean`): checked before decoding, and decoded no
larger than the caller keeps, so a 36 MP photo under the 40 MP cap does not cost hundreds of
megabytes as a cameo photo or a generation's source image."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageOps

from config.images import image_clean

ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
# A phone's 36 MP photo (7200 × 5000), under the 40 MP cap.
BIG = (7200, 5000)


def _jpeg(size: tuple[int, int], *, orientation: int | None = None, progressive: bool = False) -> bytes:
    gradient = Image.linear_gradient("L").resize(size)
    image = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                gradient.transpose(Image.Transpose.FLIP_TOP_BOTTOM)))
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85, exif=exif.tobytes(), progressive=progressive)
    return out.getvalue()


def _upload(data: bytes, name: str = "photo.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


@pytest.fixture(scope="module")
def big_jpeg(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("images") / "36mp.jpg"
    path.write_bytes(_jpeg(BIG))
    return path


def test_a_large_jpeg_is_decoded_at_most_max_side_with_its_shape_kept():
    image = image_clean(_upload(_jpeg((4000, 3000))), max_bytes=10 * MB, max_pixels=40_000_000, max_side=1024)
    assert image.size == (1024, 768)
    assert image.mode == "RGB"


def test_the_bound_is_the_size_thumbnail_would_give_from_the_full_image():
    data = _jpeg((4001, 2999))
    full = Image.open(io.BytesIO(data))
    full.load()
    full.thumbnail((1000, 1000))
    bounded = image_clean(_upload(data), max_bytes=10 * MB, max_pixels=40_000_000, max_side=1000)
    assert abs(bounded.width - full.width) <= 1 and abs(bounded.height - full.height) <= 1
    assert max(bounded.size) == 1000


def test_a_smaller_image_is_left_as_it_is():
    image = image_clean(_upload(_jpeg((800, 600))), max_bytes=10 * MB, max_pixels=40_000_000, max_side=2048)
    assert image.size == (800, 600)


def test_other_formats_are_bounded_too():
    out = io.BytesIO()
    Image.new("P", (3000, 1000), 3).save(out, "PNG")
    image = image_clean(_upload(out.getvalue(), "p.png"), max_bytes=10 * MB, max_pixels=40_000_000, max_side=600)
    assert image.size == (600, 200)
    assert image.mode == "RGB"  # a palette is not resized by nearest neighbour


def test_the_orientation_survives_the_reduced_decode():
    data = _jpeg((3000, 2000), orientation=6)  # rotated 90°: shown 2000 wide, 3000 high
    image = ImageOps.exif_transpose(image_clean(_upload(data), max_bytes=10 * MB, max_pixels=40_000_000,
                                                max_side=1500))
    assert image.size == (1000, 1500)


def test_the_checks_still_come_before_the_decode():
    with pytest.raises(ValidationError) as refused:
        image_clean(_upload(_jpeg((3000, 2000))), max_bytes=10 * MB, max_pixels=5_000_000, max_side=500)
    assert refused.value.code == "too_many_pixels"
    with pytest.raises(ValidationError) as refused:
        image_clean(_upload(b"GIF89a not really"), max_bytes=10 * MB, max_pixels=5_000_000, max_side=500)
    assert refused.value.code == "bad_image"


# The whole path of each caller, in a process of its own so that its peak memory can be read:
# the upload validated, turned and converted, handed to the (stubbed) media checks and face
# detector, and re-encoded as it is kept.
_CALLER = textwrap.dedent("""
    import json, os, re, sys
    from types import SimpleNamespace
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    import django
    django.setup()
    import numpy as np
    from django.core.files.uploadedfile import SimpleUploadedFile
    from moderation.media import MediaVerdict
    from moderation.media.types import Decision
    import cameo.likeness as likeness
    import generation.submission as submission

    allow = MediaVerdict(decision=Decision.ALLOW, findings=(), checks_run=(), checks_failed=(), policy_version="t")
    likeness.media_check = submission.media_check = lambda **kwargs: allow
    likeness.face_embeddings = lambda frame: [SimpleNamespace(vector=np.zeros(128))]
    owner = SimpleNamespace(pk=1)

    def run(data):
        upload = SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg")
        if sys.argv[1] == "cameo":
            return likeness.photo_clean(upload, owner=owner).file
        return submission._source_image(upload, owner=owner)[0]

    def status(field):
        return int(re.search(field + r":\\s+(\\d+) kB", open("/proc/self/status").read()).group(1))

    small = open(sys.argv[3], "rb").read()
    run(small)  # every lazy import and codec loaded before measuring
    data = open(sys.argv[2], "rb").read()
    # Reset the peak (VmHWM): ru_maxrss would still hold the test process's, inherited at fork.
    with open("/proc/self/clear_refs", "w") as clear:
        clear.write("5")
    before = status("VmRSS")
    kept = run(data)
    peak = status("VmHWM") - before
    from PIL import Image
    print(json.dumps({"peak_kib": peak, "kept": Image.open(kept).size}))
""")


@pytest.mark.skipif(not os.access("/proc/self/clear_refs", os.W_OK), reason="needs Linux's peak-RSS reset")
@pytest.mark.parametrize("caller", ["cameo", "generation"])
def test_a_36_mp_jpeg_costs_tens_of_megabytes_not_hundreds(caller, big_jpeg, tmp_path):
    small = tmp_path / "small.jpg"
    small.write_bytes(_jpeg((640, 480)))
    result = subprocess.run(
        [sys.executable, "-c", _CALLER, caller, str(big_jpeg), str(small)], cwd=ROOT, capture_output=True,
        text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert tuple(measured["kept"]) == (2048, 1422)  # the callers' bound, the shape kept
    assert measured["peak_kib"] < 150 * 1024, f"{measured['peak_kib'] // 1024} MB"
