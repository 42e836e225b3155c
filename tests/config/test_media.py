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
