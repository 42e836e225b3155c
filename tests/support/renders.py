"""Fixtures of the tests that submit or render jobs: jobs captured instead of sent, a
toy-sized model.

A conftest or a test module imports them to use them: tests/generation/conftest.py for every
generation test, and the few feed and cameo tests that render or check a job's output.
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _small_renders(settings, tmp_path):
    """Render at the toy model's smallest size with few steps, and sign with test keys."""
    settings.GENERATION_TIERS = {"low": 32, "standard": 48, "high": 64}
    settings.GENERATION_STEPS = 2
    settings.GENERATION_FPS = 8
    settings.GENERATION_SEGMENT_FRAMES = 17
    settings.GENERATION_PROGRESS_INTERVAL = 0.0
    settings.GENERATION_SIGNING_DIR = tmp_path / "signing"


@pytest.fixture
def sent_jobs(monkeypatch):
    """Record the jobs sent to the `gpu` queue instead of sending them to a broker."""
    from config.celery_app import app
    from generation.services import JOB_RENDER_TASK

    sent: list[int] = []

    def send_task(name, args=(), kwargs=None, **options):
        assert name == JOB_RENDER_TASK
        assert options.get("queue") == "gpu"  # the GPU workers' queue
        sent.append(args[0])

    monkeypatch.setattr(app, "send_task", send_task)
    return sent
