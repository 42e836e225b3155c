"""Deleting stored files once the rows that pointed at them are gone for good.

A file is deleted only after the transaction that dropped its row commits: a rollback keeps
both. A storage that fails to delete (a network hiccup on S3) is logged and leaves an orphan
file, never an error for the person who asked, nor a stop to the other callbacks.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.files.storage import Storage
from django.db import transaction
from django.db.models.fields.files import FieldFile

logger = logging.getLogger(__name__)

StoredFile = tuple[Storage, str]


def stored(*files: FieldFile | None) -> list[StoredFile]:
    """Return (storage, name) for each of `files` that holds a file, to delete later."""
    return [(file.storage, file.name) for file in files if file and file.name]


def files_delete_on_commit(files: Iterable[StoredFile]) -> None:
    """Delete `files` once the current transaction commits."""
    pending = [(storage, name) for storage, name in files if name]
    if pending:
        transaction.on_commit(lambda: _delete(pending), robust=True)


def _delete(files: list[StoredFile]) -> None:
    for storage, name in files:
        try:
            storage.delete(name)
        except Exception:
            logger.exception("could not delete the stored file %s", name)
