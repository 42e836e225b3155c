"""Check texts in bulk: one per line on standard input, one JSON verdict per line on standard output.

    .venv/bin/python manage.py moderate_prompts < prompts.txt > verdicts.jsonl
    echo "Darth Vader au ski" | .venv/bin/python manage.py moderate_prompts --context caption

A line that cannot be checked (empty, too long, control characters, not UTF-8) gives an object
with an "error" field instead of a verdict, and the run goes on.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from moderation.checks import text_check
from moderation.policy import CONTEXTS, default_engine


class Command(BaseCommand):
    help = "Check one text per line of standard input against the text policy; print one JSON object per line."
    # call_command(..., stdin=io.StringIO(...)) feeds the command without a real standard input.
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument(
            "--context",
            choices=CONTEXTS,
            default="prompt",
            help="what the lines are: prompt (default), caption or comment",
        )

    def handle(self, *args: Any, context: str, **options: Any) -> None:
        engine = default_engine()
        counts: Counter[str] = Counter()
        for number, line in enumerate(self._lines(options.get("stdin")), start=1):
            if isinstance(line, UnicodeDecodeError):
                record = {
                    "line": number,
                    "text": None,
                    "error": "The line is not valid UTF-8.",
                    "code": "invalid_utf8",
                    "policy_version": engine.version,
                }
                counts["error"] += 1
            else:
                record = self._check(line, context, engine.version)
                record = {"line": number, **record}
                counts[str(record.get("decision", "error"))] += 1
            self.stdout.write(json.dumps(record, ensure_ascii=False))
            self.stdout.flush()
        if options["verbosity"] >= 1:
            summary = ", ".join(f"{counts[k]} {k}" for k in ("allow", "review", "block", "error"))
            total = sum(counts.values())
            self.stderr.write(f"{total} line{'' if total == 1 else 's'}: {summary}")

    def _lines(self, stream) -> Iterator[str | UnicodeDecodeError]:
        """Yield each line without its line ending, or the decoding error of a line that is not UTF-8."""
        if stream is None:
            stream = getattr(sys.stdin, "buffer", sys.stdin)
        for raw in stream:
            if isinstance(raw, bytes):
                try:
                    raw = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield exc
                    continue
            yield raw.rstrip("\n").removesuffix("\r")

    def _check(self, text: str, context: str, version: str) -> dict[str, Any]:
        try:
            verdict = text_check(text=text, context=context)
        except ValidationError as exc:
            return {
                "text": text,
                "error": " ".join(exc.messages),
                "code": exc.code,
                "policy_version": version,
            }
        return {"text": text, **verdict.to_dict()}
