"""Validation of handles, birth dates and images uploaded by people."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

HANDLE_RE = re.compile(r"^[A-Za-z0-9_](?:[A-Za-z0-9_.]{1,28}[A-Za-z0-9_])$")
RESERVED_HANDLES = frozenset(
    {
        "admin", "api", "about", "account", "accounts", "help", "login", "logout", "media",
        "moderation", "moderator", "root", "settings", "signup", "static", "staff", "support",
        "system", "feed", "following", "explore", "drafts", "cameo", "me", "null", "undefined",
    }
)


def validate_handle(value: str) -> None:
    """Refuse a handle that is not 3-30 letters, digits, `_` or inner dots, or is reserved."""
    if not HANDLE_RE.match(value or ""):
        raise ValidationError(
            _("A handle is 3 to 30 letters, digits or underscores (dots allowed inside)."),
            code="invalid_handle",
        )
    if ".." in value:
        raise ValidationError(_("A handle cannot contain two dots in a row."), code="invalid_handle")
    if value.lower() in RESERVED_HANDLES:
        raise ValidationError(_("This handle is reserved."), code="reserved_handle")


def age_on(birth: dt.date, today: dt.date) -> int:
    """Return the age in whole years on `today` of someone born on `birth`."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def validate_birth_date(value: dt.date) -> None:
    """Refuse a birth date in the future or of someone younger than the platform allows."""
    today = timezone.localdate()
    if value > today:
        raise ValidationError(_("The date of birth cannot be in the future."), code="future")
    if value.year < 1900:
        raise ValidationError(_("Enter a real date of birth."), code="too_old")
    if age_on(value, today) < settings.MINIMUM_AGE:
        raise ValidationError(
            _("You must be at least %(age)d years old to join.") % {"age": settings.MINIMUM_AGE},
            code="too_young",
        )
