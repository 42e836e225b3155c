"""Media files are served with byte ranges, so a browser can seek in a video."""

import pytest


@pytest.fixture
def video_file(settings):
    folder = settings.MEDIA_ROOT / "videos"
    folder.mkdir(parents=True)
    path = folder / "sample.mp4"
    path.write_bytes(bytes(range(256)) * 40)  # 10,240 bytes
    return path


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_whole_file_announces_range_support(client, video_file):
    response = client.get("/media/videos/sample.mp4")
    assert response.status_code == 200
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Type"] == "video/mp4"
    assert _body(response) == video_file.read_bytes()


def test_byte_range_gives_206_with_exactly_those_bytes(client, video_file):
    response = client.get("/media/videos/sample.mp4", HTTP_RANGE="bytes=100-299")
    assert response.status_code == 206
    assert response["Content-Range"] == "bytes 100-299/10240"
    assert response["Content-Length"] == "200"
    assert _body(response) == video_file.read_bytes()[100:300]


def test_open_ended_and_suffix_ranges(client, video_file):
    data = video_file.read_bytes()
    tail = client.get("/media/videos/sample.mp4", HTTP_RANGE="bytes=10000-")
    assert tail.status_code == 206 and _body(tail) == data[10000:]
    suffix = client.get("/media/videos/sample.mp4", HTTP_RANGE="bytes=-40")
    assert suffix.status_code == 206 and _body(suffix) == data[-40:]


@pytest.mark.parametrize("header", ["bytes=20000-", "bytes=50-10", "items=0-1", "bytes=-"])
def test_unsatisfiable_or_malformed_range_is_416(client, video_file, header):
    response = client.get("/media/videos/sample.mp4", HTTP_RANGE=header)
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10240"


def test_private_folders_and_path_escapes_are_not_served(client, settings, video_file):
    (settings.MEDIA_ROOT / "drafts").mkdir()
    (settings.MEDIA_ROOT / "drafts" / "secret.mp4").write_bytes(b"x")
    assert client.get("/media/drafts/secret.mp4").status_code == 404
    assert client.get("/media/videos/../drafts/secret.mp4").status_code == 404
    assert client.get("/media/videos/missing.mp4").status_code == 404


def test_writes_are_refused(client, video_file):
    assert client.post("/media/videos/sample.mp4").status_code == 405


def test_a_path_with_a_null_byte_is_a_404_not_a_server_error(client, video_file):
    assert client.get("/media/videos/%00").status_code == 404
    assert client.get("/media/videos/x%00.mp4").status_code == 404


# --- Behind nginx: Django decides, nginx sends the bytes (MEDIA_ACCEL_REDIRECT_PREFIX)


def test_behind_a_proxy_a_private_file_is_handed_over_with_x_accel_redirect(settings, rf):
    from pathlib import Path

    from config.media import file_response

    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/_protected/"
    folder = settings.MEDIA_ROOT / "drafts" / "2026"
    folder.mkdir(parents=True)
    clip = folder / "clip one.mp4"
    clip.write_bytes(b"\x00" * 4096)
    response = file_response(rf.get("/x", HTTP_RANGE="bytes=0-9"), clip, private=True, download_name="mine.mp4")
    # No bytes from Django, whatever the range: nginx answers it from the internal location.
    assert response.status_code == 200 and response.content == b""
    assert response["X-Accel-Redirect"] == "/_protected/drafts/2026/clip%20one.mp4"
    assert response["Content-Type"] == "video/mp4"
    assert response["Cache-Control"] == "private, no-store"
    assert response["Content-Disposition"] == 'attachment; filename="mine.mp4"'
    assert response["X-Content-Type-Options"] == "nosniff"
    # A file outside MEDIA_ROOT is not nginx's to serve: Django streams it as before.
    outside = Path(settings.MEDIA_ROOT).parent / "elsewhere.mp4"
    outside.write_bytes(b"x" * 10)
    streamed = file_response(rf.get("/x"), outside, private=True)
    assert "X-Accel-Redirect" not in streamed and b"".join(streamed.streaming_content) == b"x" * 10


@pytest.mark.django_db
def test_behind_a_proxy_only_those_allowed_get_the_redirect_to_a_withheld_post(client, settings, django_capture_on_commit_callbacks):
    from django.urls import reverse

    from feed.models import Post
    from feed.services import post_unpublish
    from tests.factories import PostFactory

    settings.MEDIA_ACCEL_REDIRECT_PREFIX = "/_protected/"
    post = PostFactory()
    with django_capture_on_commit_callbacks(execute=True):
        post_unpublish(post=post, state=Post.State.PENDING_REVIEW)
    post.refresh_from_db()
    checked = reverse("feed:post-media", args=[post.pk, "video"])
    refused = client.get(checked)
    assert refused.status_code == 404 and "X-Accel-Redirect" not in refused
    client.force_login(post.author)
    mine = client.get(checked)
    assert mine.status_code == 200
    assert mine["X-Accel-Redirect"] == f"/_protected/{post.video.name}"
    assert mine["X-Accel-Redirect"].startswith("/_protected/withheld/")
    assert mine["Cache-Control"] == "private, no-store"


def test_public_media_is_left_to_the_proxy_once_one_is_in_front():
    """With MEDIA_ACCEL_REDIRECT_PREFIX set, /media/ is not routed to Django at all (nginx
    serves the public folders); MEDIA_SERVE_PUBLIC=true brings the route back."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = (
        "import django; django.setup()\n"
        "from django.urls import Resolver404, resolve\n"
        "try:\n    resolve('/media/videos/a.mp4'); print('routed')\n"
        "except Resolver404:\n    print('not routed')\n"
    )

    def routed(**env: str) -> str:
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{root / 'platform'}:{root}",
                 "DJANGO_SETTINGS_MODULE": "config.settings.test", **env},
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert routed() == "routed"
    assert routed(MEDIA_ACCEL_REDIRECT_PREFIX="/_protected/") == "not routed"
    assert routed(MEDIA_ACCEL_REDIRECT_PREFIX="/_protected/", MEDIA_SERVE_PUBLIC="true") == "routed"
