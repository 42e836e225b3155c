"""Media on a real S3 server: moto's server mode, as a process of its own.

CI starts one for the whole run and names it in `TEST_S3_ENDPOINT_URL` (.ci/run); without it
the first test that needs S3 starts its own on a free port and stops it after the session,
so these tests always run. Each session makes a bucket of its own whose policy lets anyone
read the public folders (videos/, posters/, avatars/) and nobody the others, as
docs/security.md asks of a deployment; `s3_media` points the default storage at it, built as
config.settings.base builds it when S3_BUCKET is set.

A test or conftest imports the fixtures to use them (tests/conftest.py does, for the suite).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from typing import Any

import pytest

from .worker import free_port, wait_for

ENDPOINT_ENV = "TEST_S3_ENDPOINT_URL"
# Credentials moto accepts (it checks no signature); real ones come the same way, from the
# environment, never from the settings.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}
PUBLIC_FOLDERS = ("videos/", "posters/", "avatars/")


@contextlib.contextmanager
def moto_server(*, timeout: float = 30.0) -> Iterator[str]:
    """Run moto's S3 server on a free port of 127.0.0.1; yield its URL; stop it by its pid."""
    port = free_port()
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:

        def accepting() -> bool:
            with socket.socket() as probe:
                return process.poll() is not None or probe.connect_ex(("127.0.0.1", port)) == 0

        wait_for(accepting, timeout=timeout, interval=0.05, log=log)
        if process.poll() is not None:
            log.seek(0)
            raise AssertionError(f"moto's server exited with {process.returncode}:\n{log.read()[-4000:]}")
        yield f"http://127.0.0.1:{port}"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        log.close()


@dataclass(frozen=True)
class Bucket:
    name: str
    endpoint: str
    client: Any  # a boto3 S3 client

    def keys(self, prefix: str = "") -> set[str]:
        """Return the keys of every object in the bucket under `prefix`."""
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name, Prefix=prefix)
        return {item["Key"] for page in pages for item in page.get("Contents", [])}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def unsigned_url(self, key: str) -> str:
        """The object's address with no signature, as anyone could type it."""
        return f"{self.endpoint}/{self.name}/{key}"

    def empty(self) -> None:
        keys = sorted(self.keys())
        for start in range(0, len(keys), 1000):
            self.client.delete_objects(
                Bucket=self.name, Delete={"Objects": [{"Key": key} for key in keys[start:start + 1000]]}
            )

    def storages(self) -> dict[str, dict[str, Any]]:
        """STORAGES as config.settings.base builds them with S3_BUCKET set (signed URLs on)."""
        return {
            "default": {
                "BACKEND": "storages.backends.s3.S3Storage",
                "OPTIONS": {
                    "bucket_name": self.name,
                    "endpoint_url": self.endpoint,
                    "region_name": None,
                    "querystring_auth": True,
                    "file_overwrite": False,
                },
            },
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }

    def worker_env(self) -> dict[str, str]:
        """The environment that puts another process of the site on this bucket."""
        return {**CREDENTIALS, "S3_BUCKET": self.name, "S3_ENDPOINT_URL": self.endpoint}


def http_get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    """GET `url` as a browser would follow a redirect there: status, headers (looked up in
    any case), body."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """The URL of an S3 server: CI's, or one started here for the session."""
    given = os.environ.get(ENDPOINT_ENV)
    if given:
        yield given.rstrip("/")
        return
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def s3_bucket(s3_endpoint) -> Bucket:
    """A bucket for this session; anyone may read its public folders, nobody the others."""
    import boto3

    name = f"reel-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    client = boto3.client(
        "s3", endpoint_url=s3_endpoint, aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"], region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
    )
    client.create_bucket(Bucket=name)
    policy = {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "PublicFolders", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
            "Resource": [f"arn:aws:s3:::{name}/{folder}*" for folder in PUBLIC_FOLDERS],
        }],
    }
    client.put_bucket_policy(Bucket=name, Policy=json.dumps(policy))
    return Bucket(name=name, endpoint=s3_endpoint, client=client)


@pytest.fixture
def s3_media(settings, monkeypatch, s3_bucket) -> Iterator[Bucket]:
    """Store this test's media in the session's bucket, emptied after the test."""
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    settings.STORAGES = s3_bucket.storages()
    try:
        yield s3_bucket
    finally:
        s3_bucket.empty()
