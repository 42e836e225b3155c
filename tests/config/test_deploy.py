"""The production settings pass Django's deployment checklist without a single warning."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_check_deploy_with_production_settings_reports_no_issues():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"], cwd=ROOT, capture_output=True, text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
            "DJANGO_ALLOWED_HOSTS": "reel.example.org",
        },
    )
    assert result.returncode == 0, result.stderr
    output = result.stdout + result.stderr
    assert "System check identified no issues" in output, output


def test_production_sends_hsts_for_a_year_with_subdomains_and_preload():
    code = (
        "from config.settings import production as p\n"
        "print(p.SECURE_HSTS_SECONDS, p.SECURE_HSTS_INCLUDE_SUBDOMAINS, p.SECURE_HSTS_PRELOAD,"
        " p.SECURE_SSL_REDIRECT, p.SESSION_COOKIE_SECURE, p.CSRF_COOKIE_SECURE)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
             "DJANGO_SECRET_KEY": secrets.token_urlsafe(64)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["31536000", "True", "True", "True", "True", "True"]


# --- deploy/: the nginx configuration and the compose file


def _nginx_binary() -> str | None:
    import os
    import shutil

    return os.environ.get("NGINX_BIN") or shutil.which("nginx")


def test_nginx_refuses_the_same_bodies_as_django():
    import re

    from django.conf import settings

    conf = (ROOT / "deploy" / "nginx.conf").read_text()
    sizes = re.findall(r"^\s*client_max_body_size\s+(\d+)m;", conf, re.MULTILINE)
    assert sizes == [str(settings.REQUEST_BODY_MAX_BYTES // (1024 * 1024))]
    assert settings.REQUEST_BODY_MAX_BYTES % (1024 * 1024) == 0


def test_the_compose_file_runs_one_beat_and_a_worker_per_queue():
    import yaml

    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = compose["services"]
    commands = {name: " ".join(service.get("command") or []) for name, service in services.items()}
    assert sum("celery" in c and " beat" in c for c in commands.values()) == 1
    assert "config.gunicorn" in commands["web"]
    assert any("-Q gpu" in c for c in commands.values())
    assert any("-Q celery" in c for c in commands.values())
    environment = compose["x-reel-environment"]
    assert environment["MEDIA_ACCEL_REDIRECT_PREFIX"] == "/_protected/"
    assert environment["DJANGO_SETTINGS_MODULE"] == "config.settings.production"
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "location /_protected/ {\n            internal;" in nginx


@pytest.mark.django_db(transaction=True)
def test_nginx_serves_static_and_public_media_and_hands_over_private_files(tmp_path, settings):
    """deploy/nginx.conf run for real in front of Daphne: public files from the folders,
    private ones only after Django said yes (X-Accel-Redirect), websockets proxied, oversized
    bodies refused. Skipped where there is no nginx binary (NGINX_BIN or `nginx` on PATH)."""
    import os
    import signal
    import socket
    import urllib.error
    import urllib.request

    from django.test import Client
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    from feed.models import Post
    from feed.services import post_unpublish
    from tests.factories import PostFactory
    from tests.support.worker import asgi_server, free_port, wait_for

    binary = _nginx_binary()
    if binary is None:
        pytest.skip("needs nginx (set NGINX_BIN, or put nginx on PATH)")
    published = PostFactory()
    held = PostFactory()
    post_unpublish(post=held, state=Post.State.PENDING_REVIEW)  # its files move to withheld/
    held.refresh_from_db()
    assert held.video.name.startswith("withheld/")
    (tmp_path / "static" / "css").mkdir(parents=True)
    (tmp_path / "static" / "css" / "site.css").write_text("body { color: red }")
    author = Client()
    author.force_login(held.author)
    cookie = f"{settings.SESSION_COOKIE_NAME}={author.cookies[settings.SESSION_COOKIE_NAME].value}"

    env = {"MEDIA_ACCEL_REDIRECT_PREFIX": "/_protected/", "MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    with asgi_server(extra_env=env) as daphne:
        port = free_port()
        mime = next((p for p in (Path(binary).parents[2] / "etc/nginx/mime.types", Path("/etc/nginx/mime.types")) if p.exists()), None)
        conf = (ROOT / "deploy" / "nginx.conf").read_text()
        temp = tmp_path / "nginx"
        temp.mkdir()
        conf = (
            conf.replace("server web:8000;", f"server 127.0.0.1:{daphne['port']};")
            .replace("/srv/reel", str(tmp_path))
            .replace("listen 80 default_server", f"listen 127.0.0.1:{port} default_server")
            .replace("include /etc/nginx/mime.types;", f"include {mime};" if mime else "types { text/css css; }")
            .replace("http {\n", "http {\n" + "".join(
                f"    {kind}_temp_path {temp / kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
            ) + f"    access_log {temp / 'access.log'};\n", 1)
        )
        assert str(settings.MEDIA_ROOT) == str(tmp_path / "media")
        (temp / "nginx.conf").write_text(conf)
        nginx = subprocess.Popen(
            [binary, "-p", str(temp), "-c", str(temp / "nginx.conf"), "-e", str(temp / "error.log"),
             # As root, nginx's workers would run as `nobody`, who cannot read pytest's folders.
             "-g", f"daemon off; pid {temp / 'nginx.pid'};" + (" user root;" if os.geteuid() == 0 else "")],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
        )
        try:
            def listening() -> bool:
                assert nginx.poll() is None, (temp / "error.log").read_text()
                with socket.socket() as probe:
                    return probe.connect_ex(("127.0.0.1", port)) == 0

            wait_for(listening, timeout=20)
            base = f"http://127.0.0.1:{port}"

            def get(path: str, **headers: str) -> tuple[int, dict, bytes]:
                request = urllib.request.Request(base + path, headers=headers)
                try:
                    with urllib.request.urlopen(request, timeout=20) as response:
                        return response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
                except urllib.error.HTTPError as error:
                    return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()

            # Static files and public media come from the folders.
            assert get("/static/css/site.css")[0] == 200
            video = (settings.MEDIA_ROOT / published.video.name).read_bytes()
            status, headers, body = get(f"/media/{published.video.name}")
            assert (status, body) == (200, video)
            assert headers["content-type"] == "video/mp4" and headers["x-content-type-options"] == "nosniff"
            assert headers["cache-control"] == "public, max-age=60" and "sandbox" in headers["content-security-policy"]
            status, headers, body = get(f"/media/{published.video.name}", Range="bytes=0-9")
            assert (status, body, headers["content-range"]) == (206, video[:10], f"bytes 0-9/{len(video)}")
            # Private folders never, not even by the internal location's own address.
            for path in (f"/media/{held.video.name}", f"/_protected/{held.video.name}", "/media/drafts/x.mp4"):
                assert get(path)[0] == 404, path

            # A withheld post's video: Django decides, nginx sends it.
            checked = f"/v/{held.pk}/video"
            assert get(checked)[0] == 404  # anonymous
            withheld = (settings.MEDIA_ROOT / held.video.name).read_bytes()
            status, headers, body = get(checked, Cookie=cookie)
            assert (status, body) == (200, withheld)
            assert "x-accel-redirect" not in headers
            assert headers["content-type"] == "video/mp4"
            assert headers["cache-control"] == "private, no-store"
            assert headers["x-content-type-options"] == "nosniff" and "sandbox" in headers["content-security-policy"]
            status, headers, body = get(checked, Cookie=cookie, Range="bytes=4-11")
            assert (status, body) == (206, withheld[4:12])

            # The site and its API through the proxy; websockets too.
            assert get("/api/v1/feed/for-you/")[0] == 200
            with connect(f"ws://127.0.0.1:{port}/ws/generation/jobs/1/", origin=base, open_timeout=10) as ws:
                with pytest.raises(ConnectionClosed) as closed:
                    ws.recv(timeout=10)
                assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401
            # A body over client_max_body_size is refused by nginx at its headers.
            with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
                raw.sendall(b"POST /api/v1/generations/ HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n")
                assert raw.recv(64).startswith(b"HTTP/1.1 413")
        finally:
            nginx.send_signal(signal.SIGQUIT)
            try:
                nginx.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(nginx.pid, signal.SIGKILL)
                nginx.wait(timeout=10)
