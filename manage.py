#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys
from pathlib import Path

# platform/ is a source root, not a package (it would shadow the standard library's
# `platform` module): put it on the path so `config` and `accounts` import.
sys.path.insert(0, str(Path(__file__).resolve().parent / "platform"))


def main() -> None:
    """Run administrative tasks."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
