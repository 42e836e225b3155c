"""Add files to the bank of protected media."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from moderation.media.bank import BankError, protected_media_add
from moderation.models import ProtectedMedia


class Command(BaseCommand):
    help = (
        "Fingerprint images or videos (PDQ hashes; a face descriptor for a public figure's photo) "
        "and add each one to the bank of protected media."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, help="Image or video files, one bank entry each.")
        parser.add_argument("--label", required=True, help="Who or what the files show, as reviewers will see it.")
        parser.add_argument("--category", required=True, choices=ProtectedMedia.Category.values)
        parser.add_argument("--source", default="", help="Where the files came from (rights holder, request).")
        parser.add_argument("--by", dest="handle", default="", help="Handle of the staff member adding them.")

    def handle(self, *args, paths: list[Path], label: str, category: str, source: str, handle: str, **options) -> None:
        created_by = None
        if handle:
            try:
                created_by = get_user_model().objects.get_by_natural_key(handle)
            except get_user_model().DoesNotExist as exc:
                raise CommandError(f"Nobody has the handle {handle!r}.") from exc
        failed = 0
        for path in paths:
            if not path.is_file():
                self.stderr.write(self.style.ERROR(f"{path}: no such file"))
                failed += 1
                continue
            try:
                added = protected_media_add(label=label, category=category, file=path, created_by=created_by, source=source)
            except BankError as exc:
                self.stderr.write(self.style.ERROR(f"{path}: {exc}"))
                failed += 1
                continue
            entry = added.entry
            face = ", face descriptor" if entry.has_face else ""
            self.stdout.write(self.style.SUCCESS(
                f"{path}: added #{entry.pk} {entry.label!r} ({entry.category}, {entry.kind}, "
                f"{entry.frame_count} hash{'es' if entry.frame_count != 1 else ''}{face})"
            ))
            for note in added.notes:
                self.stdout.write(f"  note: {note}")
        if failed:
            raise CommandError(f"{failed} of {len(paths)} file(s) were not added.")
