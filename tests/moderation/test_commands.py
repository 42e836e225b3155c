"""manage.py moderate_prompts: one text per line in, one JSON object per line out."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command

ROOT = Path(__file__).resolve().parents[2]


def run(lines: str, *args: str) -> tuple[list[dict], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("moderate_prompts", *args, stdin=io.StringIO(lines), stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_each_line_gets_a_verdict_with_its_rules_and_the_policy_version():
    records, summary = run("Dark Vador au ski\nun chat qui dort\nune fille de 12 ans\n")
    assert [r["decision"] for r in records] == ["block", "allow", "block"]
    first = records[0]
    assert first["text"] == "Dark Vador au ski"
    assert first["categories"] == ["copyright"]
    assert first["rules"][0]["rule"] == "cr:darth-vader"
    assert first["rules"][0]["matched"] == "Dark Vador"
    assert all(r["policy_version"] for r in records)
    assert [r["line"] for r in records] == [1, 2, 3]
    assert summary.strip() == "3 lines: 1 allow, 0 review, 2 block, 0 error"


def test_bad_lines_give_an_error_object_and_the_run_goes_on():
    records, _ = run("\n" + "a" * 5001 + "\nbip\x07\nPikachu\n")
    assert [r.get("code") for r in records] == ["empty", "too_long", "control_character", None]
    assert all("error" in r for r in records[:3])
    assert records[3]["decision"] == "block"


def test_the_context_option_is_passed_on():
    records, _ = run("Macron a bien parlé\n", "--context", "comment")
    assert records[0]["decision"] == "review"


def test_the_command_reads_standard_input_and_survives_bad_utf8():
    result = subprocess.run(
        [sys.executable, "manage.py", "moderate_prompts", "--verbosity", "0"],
        input=b"Pikachu sous la pluie\n\xff\xfe oops\nun chat\n",
        cwd=ROOT,
        capture_output=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode == 0, result.stderr.decode()
    records = [json.loads(line) for line in result.stdout.decode().splitlines()]
    assert [r.get("decision") for r in records] == ["block", None, "allow"]
    assert records[1]["code"] == "invalid_utf8"
