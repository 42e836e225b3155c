"""Forms of the cameo pages. They only carry what a person typed or chose: the services check
the values and raise ValidationError keyed by field, which `service_errors_add` shows."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .limits import MAX_LENGTH as LIMITS_MAX_LENGTH
from .models import Cameo


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input that takes several files and cleans to the list of them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files and self.required:
            raise ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


class BaseForm(forms.Form):
    def service_errors_add(self, exc: ValidationError) -> None:
        """Show a service's errors: on the field they name when the form has it, else on top."""
        if not hasattr(exc, "error_dict"):
            self.add_error(None, exc)
            return
        for field, messages in exc.message_dict.items():
            self.add_error(field if field in self.fields else None, messages)


class CameoCreateForm(BaseForm):
    photos = MultipleFileField(
        label=_("Photos of your face"),
        error_messages={"required": _("Add at least one photo of your face.")},
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["photos"].help_text = _(
            "1 to %(n)d clear photos of you alone, facing the camera, in good light (JPEG, PNG or WebP)."
        ) % {"n": settings.CAMEO_MAX_PHOTOS}


class ClipForm(BaseForm):
    clip = forms.FileField(
        label=_("Your recording"),
        error_messages={"required": _("Choose or record the video clip of the challenge.")},
        widget=forms.ClearableFileInput(attrs={"accept": "video/*", "capture": "user"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clip"].help_text = _(
            "A short video (MP4, MOV or WebM, at most %(s)d seconds) of you doing the challenge above."
        ) % {"s": int(settings.CAMEO_CLIP_MAX_SECONDS)}


class RulesForm(BaseForm):
    audience = forms.ChoiceField(
        label=_("Who may use your cameo"),
        choices=Cameo.Audience.choices,
        widget=forms.RadioSelect,
    )
    limits = forms.CharField(
        label=_("Limits"),
        required=False,
        strip=False,
        help_text=_(
            "In your own words, one per line: what videos with you must never show. "
            "Uses that cross a limit are refused, and taken down when you add one."
        ),
        widget=forms.Textarea(
            attrs={
                "rows": 4,
                "maxlength": LIMITS_MAX_LENGTH,
                "placeholder": _("no violence\nnothing political"),
            }
        ),
    )
    approve_each_use = forms.BooleanField(
        label=_("Approve every use"),
        required=False,
        help_text=_("Videos with you cannot be posted until you approve them."),
    )


class GrantForm(BaseForm):
    handle = forms.CharField(
        label=_("Handle"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "placeholder": "@handle",
                "autocapitalize": "none",
                "autocomplete": "off",
                "spellcheck": "false",
            }
        ),
    )
