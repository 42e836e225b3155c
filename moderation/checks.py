"""What other apps call to check a text, and to act on any verdict: refuse, explain, keep evidence.

The policy itself (`moderation.policy` for texts, `moderation.media` for images and videos)
runs without Django; this module is its face for the apps: it validates the text, names
the category and the rule of a refusal in the reader's language, and turns verdicts into
the evidence a moderator reads.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .media import MediaVerdict
from .policy import CONTEXTS, Decision, Verdict, default_engine

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


# --- What people are told about a category


CATEGORY_LABELS = {
    "public_figure": gettext_lazy("a real public figure"),
    "minor": gettext_lazy("a minor"),
    "copyright": gettext_lazy("a copyrighted work"),
    "trademark": gettext_lazy("a trademark"),
    "nudity": gettext_lazy("nudity"),
    "face": gettext_lazy("a face"),
    "harassment": gettext_lazy("harassment"),
    "violence": gettext_lazy("violence"),
    "spam": gettext_lazy("spam"),
    "other": gettext_lazy("something against the rules"),
}


class TextRefused(ValidationError):
    """The text policy blocked a text: the error names the field, the category and the rule."""

    def __init__(self, *, field: str, message: str, verdict: Verdict) -> None:
        super().__init__({field: [message]}, code="blocked")
        self.field, self.message_text, self.verdict = field, message, verdict


def text_check_or_refuse(*, text: str, context: str, field: str, what: str, then: str = "") -> Verdict:
    """Return the text policy's verdict on `text`, or raise TextRefused if it blocks it.

    Bad text (empty, too long, control characters) raises ValidationError on `field`. The
    refusal names `what` was refused, the category and the rule, followed by `then`.
    """
    try:
        verdict = text_check(text=text, context=context)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from None
    message = refusal_for(verdict, what=what)
    if message is not None:
        raise TextRefused(field=field, message=" ".join(filter(None, [message, then])), verdict=verdict)
    return verdict


def category_label(category: str) -> str:
    """Return the category as the person concerned reads it, in their language."""
    label = CATEGORY_LABELS.get(str(category))
    return str(label) if label is not None else str(category)


def refusal_message(*, what: str, category: str, rule: str) -> str:
    """Return the sentence that tells someone why `what` was refused: the category and the rule."""
    return _("%(what)s was refused: it shows or names %(category)s (rule %(rule)s).") % {
        "what": what, "category": category_label(category), "rule": rule,
    }


class _Blocking(Protocol):
    """A rule hit of a text verdict or a finding of a media verdict (read-only)."""

    @property
    def category(self) -> Any: ...
    @property
    def rule(self) -> str: ...
    @property
    def action(self) -> Decision: ...


def refusal_for(
    verdict: Verdict | MediaVerdict, *, what: str, blocking_categories: Iterable[str] = ()
) -> str | None:
    """Return the sentence refusing `what` for the first item of `verdict` that blocks it, or
    None when nothing does.

    An item blocks when its action is block, or when it asks for anything more than allow
    and its category is one of `blocking_categories` (a stricter use, such as a likeness).
    """
    strict = {str(category) for category in blocking_categories}
    items: Iterable[_Blocking] = verdict.rules if isinstance(verdict, Verdict) else verdict.findings
    for item in items:
        if item.action == Decision.BLOCK or (str(item.category) in strict and item.action != Decision.ALLOW):
            return refusal_message(what=what, category=str(item.category), rule=item.rule)
    return None


def media_refuse(
    verdict: MediaVerdict, *, what: str, field: str, blocking_categories: Iterable[str] = ()
) -> None:
    """Raise ValidationError on `field` refusing `what` if `verdict` blocks it (see `refusal_for`)."""
    message = refusal_for(verdict, what=what, blocking_categories=blocking_categories)
    if message is not None:
        raise ValidationError({field: [message]}, code="blocked")


def evidence_from_verdicts(
    *, text: Verdict | None = None, media: MediaVerdict | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Return the evidence of a text verdict and a media verdict, and the categories they name."""
    evidence: dict[str, Any] = {}
    categories: set[str] = set()
    versions: list[str] = []
    if text is not None:
        evidence["text"] = text.to_dict()
        categories.update(str(c) for c in text.categories)
        versions.append(text.policy_version)
    if media is not None:
        evidence["media"] = media.as_dict()
        categories.update(f.category for f in media.findings if f.action.severity > 0)
        versions.append(media.policy_version)
        if media.checks_failed:
            evidence["media_unchecked"] = True
    evidence["categories"] = sorted(categories)
    evidence["policy_version"] = " ".join(versions)
    return json.loads(json.dumps(evidence, default=_jsonable)), sorted(categories)


def _jsonable(value: Any) -> Any:
    # Detectors hand back numpy numbers and arrays; the evidence is stored as plain JSON.
    for method in ("tolist", "item"):
        if hasattr(value, method):
            return getattr(value, method)()
    return str(value)


def recorded_categories(verdict: Mapping[str, Any] | None) -> list[str]:
    """Return the categories of a verdict kept as JSON (a media verdict's `as_dict()`) whose
    findings asked for more than allow."""
    findings = (verdict or {}).get("findings") or []
    return sorted({str(f.get("category")) for f in findings if f.get("action") != Decision.ALLOW})
