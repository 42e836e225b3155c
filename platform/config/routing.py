"""Websocket routes; each app adds its consumers here."""

from django.urls import path

from generation.consumers import JobProgressConsumer

websocket_urlpatterns: list = [
    path("ws/generation/jobs/<int:job_id>/", JobProgressConsumer.as_asgi(), name="generation-job-progress"),
]
