"""The `generate` command: the same job as the site, from a terminal."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import av
import pytest
from django.core.management import CommandError, call_command

from generation.models import GenerationJob

pytestmark = pytest.mark.django_db


def test_generate_prints_the_path_of_a_playable_mp4(user):
    out, err = StringIO(), StringIO()
    call_command("generate", "a lighthouse at night, wide shot", "--user", user.handle, "--duration", "1",
                 "--tier", "low", "--seed", "3", stdout=out, stderr=err)
    path = Path(out.getvalue().strip())
    assert path.is_file() and path.suffix == ".mp4"
    with av.open(str(path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == 9
    assert "100%" in err.getvalue() and "Rendering" in err.getvalue()
    job = GenerationJob.objects.get()
    assert job.state == "ready" and job.seed == 3 and job.owner == user


def test_generate_storyboard_from_shots(user):
    out = StringIO()
    call_command("generate", "", "--user", user.handle, "--shot", "a seed:1", "--shot", "a tree:1",
                 "--tier", "low", stdout=out, stderr=StringIO())
    assert GenerationJob.objects.get().mode == "storyboard"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["Darth Vader on a beach"], "prompt"),
        (["a cat", "--duration", "99"], "duration"),
        (["a cat", "--user", "nobody-here"], "nobody-here"),
    ],
)
def test_generate_explains_what_is_wrong(user, arguments, message):
    if "--user" not in arguments:
        arguments = [*arguments, "--user", user.handle]
    with pytest.raises(CommandError, match=message):
        call_command("generate", *arguments, stdout=StringIO(), stderr=StringIO())
    assert not GenerationJob.objects.exclude(state="blocked").exists()
