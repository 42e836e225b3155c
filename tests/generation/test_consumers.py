"""The websocket of a job's progress: only its owner listens, and hears every change."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from config.routing import websocket_urlpatterns
from generation.consumers import JobProgressConsumer
from generation.models import GenerationJob
from generation.progress import job_snapshot, progress_group
from tests.factories import UserFactory

# The consumer reads the database from its own threads.
pytestmark = pytest.mark.django_db(transaction=True)

State = GenerationJob.State


@pytest.fixture(autouse=True)
def _fast_polling(monkeypatch):
    monkeypatch.setattr(JobProgressConsumer, "POLL_INTERVAL", 0.05)


def run(scenario):
    """Run an async scenario on a loop of its own thread.

    The browser tests' Playwright keeps an event loop in the main thread for the whole
    session, where async_to_sync refuses to start another.
    """
    async def scenario_then_close():
        try:
            return await scenario()
        finally:
            # The consumer's database thread outlives the loop: close its connection.
            await database_sync_to_async(connections.close_all)()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, scenario_then_close()).result()


def make_job(owner, **fields) -> GenerationJob:
    defaults = {"prompt": "a lantern in the fog", "duration": 2.0, "aspect_ratio": "9:16", "seed": 5,
                "width": 64, "height": 112, "state": State.QUEUED, "phase": "queued"}
    defaults.update(fields)
    return GenerationJob.objects.create(owner=owner, **defaults)


def communicator(job_id: int, user) -> WebsocketCommunicator:
    connection = WebsocketCommunicator(URLRouter(websocket_urlpatterns), f"/ws/generation/jobs/{job_id}/")
    connection.scope["user"] = user
    return connection


async def _update(job_id: int, **fields) -> None:
    await database_sync_to_async(GenerationJob.objects.filter(pk=job_id).update)(**fields)


async def _no_message(connection: WebsocketCommunicator, timeout: float = 0.3) -> bool:
    return await connection.receive_nothing(timeout=timeout)


def test_owner_gets_the_snapshot_then_pushed_events():
    owner = UserFactory()
    ahead = make_job(UserFactory())
    job = make_job(owner)
    # Queued jobs are ordered by creation time: `ahead` came first.
    assert ahead.created_at <= job.created_at

    async def scenario():
        connection = communicator(job.pk, owner)
        connected, _ = await connection.connect()
        assert connected
        first = await connection.receive_json_from(timeout=2)
        assert first == {
            "type": "job.progress",
            "job": {"id": job.pk, "state": "queued", "phase": "queued", "progress": 0.0, "step": 0,
                    "step_total": 0, "error": "", "queue_position": 1},
        }
        # The worker pushes over the channel layer; the page hears it.
        pushed = job_snapshot({"id": job.pk, "state": "running", "phase": "rendering", "progress": 0.25,
                               "step": 2, "step_total": 8, "error": ""})
        await get_channel_layer().group_send(progress_group(job.pk), {"type": "job.progress", "job": pushed})
        message = await connection.receive_json_from(timeout=2)
        assert message["job"] == {**pushed, "queue_position": 0}
        await connection.disconnect()

    run(scenario)


def test_changes_to_the_row_are_sent_without_any_push():
    owner = UserFactory()
    job = make_job(owner, state=State.RUNNING, phase="rendering", step=1, step_total=4, progress=0.2)

    async def scenario():
        connection = communicator(job.pk, owner)
        assert (await connection.connect())[0]
        assert (await connection.receive_json_from(timeout=2))["job"]["step"] == 1
        # Nothing changed: nothing is sent.
        assert await _no_message(connection)
        await _update(job.pk, step=3, progress=0.6)
        message = await connection.receive_json_from(timeout=2)
        assert (message["job"]["step"], message["job"]["progress"]) == (3, 0.6)
        await _update(job.pk, state=State.ENCODING, phase="encoding", progress=0.9)
        assert (await connection.receive_json_from(timeout=2))["job"]["phase"] == "encoding"
        await _update(job.pk, state=State.READY, phase="ready", progress=1.0)
        assert (await connection.receive_json_from(timeout=2))["job"]["state"] == "ready"
        # Finished: the consumer stops reading the row, and keeps the socket for the page to close.
        await _update(job.pk, state=State.FAILED, phase="failed")
        assert await _no_message(connection)
        await connection.send_json_to({"type": "ping"})
        assert await connection.receive_json_from(timeout=2) == {"type": "pong"}
        await connection.disconnect()

    run(scenario)


def test_a_finished_job_is_told_once_and_not_polled():
    owner = UserFactory()
    job = make_job(owner, state=State.CANCELLED, phase="cancelled")

    async def scenario():
        connection = communicator(job.pk, owner)
        assert (await connection.connect())[0]
        assert (await connection.receive_json_from(timeout=2))["job"]["state"] == "cancelled"
        await _update(job.pk, phase="something else")
        assert await _no_message(connection)
        await connection.disconnect()

    run(scenario)


def test_someone_else_is_closed_with_4403():
    job = make_job(UserFactory())
    stranger = UserFactory()

    async def scenario():
        connection = communicator(job.pk, stranger)
        assert (await connection.connect())[0]
        assert await connection.receive_output(timeout=2) == {"type": "websocket.close", "code": 4403}
        await connection.wait()

    run(scenario)


def test_a_visitor_is_closed_with_4401():
    from django.contrib.auth.models import AnonymousUser

    job = make_job(UserFactory())

    async def scenario():
        connection = communicator(job.pk, AnonymousUser())
        assert (await connection.connect())[0]
        assert await connection.receive_output(timeout=2) == {"type": "websocket.close", "code": 4401}
        await connection.wait()

    run(scenario)


def test_a_missing_job_is_closed_with_4403():
    owner = UserFactory()

    async def scenario():
        connection = communicator(987654, owner)
        assert (await connection.connect())[0]
        assert (await connection.receive_output(timeout=2))["code"] == 4403
        await connection.wait()

    run(scenario)


def test_the_site_routes_the_socket_and_knows_the_user_from_the_session():
    from config.asgi import application

    owner = UserFactory()
    job = make_job(owner, state=State.RUNNING, phase="decoding", progress=0.88)
    client = Client()
    client.force_login(owner)
    cookie = f"sessionid={client.cookies['sessionid'].value}".encode()

    async def scenario():
        connection = WebsocketCommunicator(
            application, f"/ws/generation/jobs/{job.pk}/",
            headers=[(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)],
        )
        assert (await connection.connect(timeout=5))[0]
        message = await connection.receive_json_from(timeout=2)
        assert message["job"]["phase"] == "decoding" and message["job"]["progress"] == 0.88
        await connection.disconnect()
        # Without the session, the same address is refused.
        anonymous = WebsocketCommunicator(
            application, f"/ws/generation/jobs/{job.pk}/", headers=[(b"origin", b"http://localhost")],
        )
        assert (await anonymous.connect(timeout=5))[0]
        assert (await anonymous.receive_output(timeout=2))["code"] == 4401
        await anonymous.wait()

    run(scenario)


def test_disconnecting_stops_the_polling():
    owner = UserFactory()
    job = make_job(owner, state=State.RUNNING, phase="rendering")

    async def scenario():
        before = len(asyncio.all_tasks())
        connection = communicator(job.pk, owner)
        assert (await connection.connect())[0]
        await connection.receive_json_from(timeout=2)
        await connection.disconnect()
        await asyncio.sleep(0.2)
        return before, len(asyncio.all_tasks())

    before, after = run(scenario)
    assert after <= before
