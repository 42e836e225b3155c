"""Subjects: the objects of other apps that people can report and appeal.

Moderation does not import the apps that own posts, comments or videos. Each of them
registers, in its `ready()`, how to find a subject of its kind as a given person may see it
(`subject_types`, a registry: see `config.registry`); reports and appeals look subjects up
there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models
from django.utils.translation import gettext as _

from accounts.models import User
from config.registry import Registry

# `resolve(subject_id=..., viewer=...)` returns the object if `viewer` may see it, else None.
SubjectResolver = Callable[..., models.Model | None]

# Keyed by the name people use in report URLs and the API ("post", "comment", "user").
subject_types: Registry[SubjectResolver] = Registry("moderation.subject_types")


class SubjectNotFound(ObjectDoesNotExist):
    """The subject does not exist, or the person asking may not see it."""


def subject_resolve(*, subject_type: str, subject_id: Any, viewer: User) -> models.Model:
    """Return the subject `viewer` names, or raise SubjectNotFound."""
    resolve = subject_types.get(subject_type)
    if resolve is None:
        raise ValidationError({"subject_type": [_("This cannot be reported.")]})
    try:
        subject = resolve(subject_id=subject_id, viewer=viewer)
    except (TypeError, ValueError):
        subject = None
    if subject is None:
        raise SubjectNotFound(_("This does not exist or is not available."))
    return subject


def subject_owner(subject: models.Model) -> User | None:
    """Return the person a subject belongs to: a person is their own subject, else its author."""
    if isinstance(subject, User):
        return subject
    owner = getattr(subject, "author", None) or getattr(subject, "user", None)
    return owner if isinstance(owner, User) else None
