"""Moderation actions other apps call: for now, checking a text against the policy."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from .policy import CONTEXTS, Verdict, default_engine

MAX_TEXT_LENGTH = 5000
# Newlines and tabs are ordinary in a caption or a comment; every other control character is
# either a mistake or an attempt to hide words from the people reading the text.
ALLOWED_CONTROL_CHARACTERS = frozenset("\n\t")


def text_clean(*, text: str) -> str:
    """Return `text` ready to check, or raise ValidationError saying what is wrong with it."""
    if not isinstance(text, str):
        raise ValidationError(_("The text must be a string."), code="invalid")
    # Browsers send line breaks in form fields as CRLF; a lone CR is still refused below.
    text = text.replace("\r\n", "\n")
    if not text.strip():
        raise ValidationError(_("Enter some text to check."), code="empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValidationError(
            _("The text is too long: %(length)d characters, at most %(limit)d.")
            % {"length": len(text), "limit": MAX_TEXT_LENGTH},
            code="too_long",
        )
    for position, char in enumerate(text):
        category = unicodedata.category(char)
        if (category == "Cc" and char not in ALLOWED_CONTROL_CHARACTERS) or category == "Cs":
            raise ValidationError(
                _("The text contains a control character (U+%(code)04X) at position %(position)d.")
                % {"code": ord(char), "position": position},
                code="control_character",
            )
    return text


def text_check(*, text: str, context: str) -> Verdict:
    """Check a prompt, a caption or a comment against the text policy and return the verdict.

    Raise ValidationError for an empty text, one longer than MAX_TEXT_LENGTH characters, or one
    containing control characters other than newline and tab.
    """
    if context not in CONTEXTS:
        raise ValueError(f"context must be one of {CONTEXTS}, not {context!r}")
    return default_engine().check(text_clean(text=text), context=context)
