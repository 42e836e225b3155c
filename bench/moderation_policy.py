#!/usr/bin/env python
"""Latency of the text policy per prompt, and its two quality figures on the development set.

    .venv/bin/python bench/moderation_policy.py [--repeat N] [--context prompt|caption|comment]

Calls moderation.checks.text_check (validation, normalisation, matching, decision) on every
line of moderation/policy/data/devset.tsv, N times over, and prints p50 / p99 / max per call,
then the share of harmful texts caught (review or block) and of harmless ones not allowed.
The lexicon and its indexes are built once before timing, as in a running site.
Targets: p99 under 2 ms on a 2-core machine, at least 99% caught, under 2% friction; the exit
status is 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for folder in (ROOT, ROOT / "platform"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

TARGET_P99_MS = 2.0
TARGET_CAUGHT = 0.99
TARGET_FRICTION = 0.02


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--repeat", type=int, default=20, help="passes over the development set (default 20)"
    )
    parser.add_argument("--context", default="prompt", choices=("prompt", "caption", "comment"))
    return parser.parse_args()


def setup_django() -> None:
    """Load the test settings: the service needs Django's translation machinery, not a database."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()


def percentile(sorted_values: list[float], share: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * share))]


def main() -> int:
    args = parse_args()
    setup_django()
    from moderation.checks import text_check
    from moderation.policy import default_engine
    from moderation.policy.devset import load_devset, score

    started = time.perf_counter()
    engine = default_engine()
    build_s = time.perf_counter() - started
    examples = load_devset()
    texts = [e.text for e in examples]
    for text in texts:  # warm the per-character caches, as a site does after a few requests
        text_check(text=text, context=args.context)

    gc.collect()
    timings: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(args.repeat):
        for text in texts:
            begin = clock()
            text_check(text=text, context=args.context)
            timings.append((clock() - begin) / 1e6)
    timings.sort()
    p50, p99 = percentile(timings, 0.50), percentile(timings, 0.99)

    result = score(lambda text: text_check(text=text, context=args.context), examples)
    print(
        f"policy {engine.version}: {len(engine.lexicon.entries)} entries, "
        f"{len(engine.lexicon.aliases)} aliases, built in {build_s:.2f} s"
    )
    print(f"{len(timings)} checks ({len(texts)} texts x {args.repeat}), context={args.context}")
    print(
        f"latency per text: p50 {p50:.3f} ms  p99 {p99:.3f} ms  "
        f"mean {statistics.fmean(timings):.3f} ms  max {timings[-1]:.3f} ms"
    )
    print(
        f"caught:   {result.caught_rate:.2%} of {result.harmful} harmful texts "
        f"({len(result.missed)} allowed)"
    )
    print(
        f"friction: {result.friction_rate:.2%} of {result.harmless} harmless texts "
        f"({len(result.friction)} held or refused)"
    )
    for example in result.missed:
        print(f"  missed: {example.text!r} [{example.note}]")
    for example, verdict in result.friction:
        print(f"  friction: {example.text!r} -> {verdict.decision} {list(verdict.rule_ids)}")

    if args.context != "prompt":
        return 0  # the targets are for prompts; comments are reviewed rather than blocked
    failed = [
        name
        for name, ok in (
            (f"p99 < {TARGET_P99_MS} ms", p99 < TARGET_P99_MS),
            (f"caught >= {TARGET_CAUGHT:.0%}", result.caught_rate >= TARGET_CAUGHT),
            (f"friction < {TARGET_FRICTION:.0%}", result.friction_rate < TARGET_FRICTION),
        )
        if not ok
    ]
    print("targets met" if not failed else "targets missed: " + ", ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
