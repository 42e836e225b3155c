"""The job row: state and phase move together."""

from __future__ import annotations

import pytest

from generation.models import GenerationJob

State, Phase = GenerationJob.State, GenerationJob.Phase


@pytest.mark.parametrize(
    ("state", "phase"),
    [
        (State.HELD, Phase.HELD), (State.QUEUED, Phase.QUEUED), (State.RUNNING, Phase.STARTING),
        (State.ENCODING, Phase.ENCODING), (State.CHECKING, Phase.CHECKING), (State.READY, Phase.READY),
        (State.FAILED, Phase.FAILED), (State.BLOCKED, Phase.BLOCKED), (State.CANCELLED, Phase.CANCELLED),
    ],
)
def test_every_state_has_its_own_phase(state, phase):
    assert GenerationJob.state_fields(state) == {"state": state, "phase": phase}


def test_a_phase_can_be_finer_than_its_state_and_must_be_known():
    assert GenerationJob.state_fields("running", "rendering") == {"state": State.RUNNING, "phase": Phase.RENDERING}
    with pytest.raises(ValueError):
        GenerationJob.state_fields("running", "dreaming")
    with pytest.raises(ValueError):
        GenerationJob.state_fields("sleeping")


def test_state_set_changes_the_job_in_memory_and_names_the_fields_to_save():
    job = GenerationJob(state=State.QUEUED, phase=Phase.QUEUED)
    assert job.state_set(State.CANCELLED) == ["state", "phase"]
    assert (job.state, job.phase) == (State.CANCELLED, Phase.CANCELLED)
