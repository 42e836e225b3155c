"""Forms of the create page: the request for a video, and its storyboard cards."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .models import GenerationJob

DEFAULT_DURATION = 4
MIN_SHOTS = 2
DEFAULT_SHOT_DURATION = 3


class RangeInput(forms.NumberInput):
    input_type = "range"


class JobCreateForm(forms.Form):
    """What the create page asks; the service checks the values, this form only carries them."""

    mode = forms.ChoiceField(
        label=_("Mode"), choices=GenerationJob.Mode.choices, initial=GenerationJob.Mode.TEXT,
        widget=forms.RadioSelect,
    )
    prompt = forms.CharField(
        label=_("Prompt"), required=False, strip=False,
        widget=forms.Textarea(attrs={
            "rows": 4, "autocapitalize": "sentences", "spellcheck": "true",
            "aria-describedby": "prompt-help prompt-count",
            "placeholder": _("A red fox running through fresh snow at sunrise, slow motion"),
        }),
    )
    duration = forms.FloatField(
        label=_("Duration"), required=False, initial=DEFAULT_DURATION,
        widget=RangeInput(attrs={"min": 1, "step": 1, "data-duration": ""}),
    )
    aspect_ratio = forms.ChoiceField(
        label=_("Aspect ratio"), choices=GenerationJob.AspectRatio.choices,
        initial=GenerationJob.AspectRatio.PORTRAIT, widget=forms.RadioSelect,
    )
    tier = forms.ChoiceField(
        label=_("Resolution"), choices=GenerationJob.Tier.choices, initial=GenerationJob.Tier.STANDARD,
        widget=forms.RadioSelect,
    )
    style = forms.ChoiceField(
        label=_("Style"), choices=GenerationJob.Style.choices, initial=GenerationJob.Style.NONE,
    )
    seed = forms.CharField(
        label=_("Seed"), required=False, max_length=12,
        help_text=_("Leave empty for a new random seed; the same seed and prompt make the same video."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}),
    )
    negative_prompt = forms.CharField(
        label=_("Avoid"), required=False, max_length=500,
        help_text=_("What the video should not show, e.g. “text, blur”."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    image = forms.FileField(
        label=_("Photo to animate"), required=False,
        help_text=_("A JPEG, PNG or WebP photo of at most 10 MB."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    source_post = forms.IntegerField(required=False, widget=forms.HiddenInput)
    source_job = forms.TypedChoiceField(label=_("Video to continue"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, drafts: Iterable[GenerationJob] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = settings.GENERATION_PROMPT_MAX_LENGTH
        self.fields["prompt"].widget.attrs["maxlength"] = limit
        self.fields["duration"].widget.attrs["max"] = int(settings.GENERATION_MAX_DURATION)
        source_job = self.fields["source_job"]
        assert isinstance(source_job, forms.ChoiceField)
        source_job.choices = [("", _("Choose one of your drafts"))] + [
            (str(draft.pk), _("%(prompt)s (%(seconds)s s)") % {
                "prompt": draft.prompt if len(draft.prompt) <= 60 else draft.prompt[:59] + "…",
                "seconds": f"{draft.video_duration:g}",
            })
            for draft in drafts
        ]

    def add_service_errors(self, error: ValidationError) -> dict[int, list[str]]:
        """Show a service's errors on their fields; return the errors of storyboard cards by index."""
        shot_errors: dict[int, list[str]] = {}
        if not hasattr(error, "error_dict"):
            self.add_error(None, error.messages)
            return shot_errors
        for name, errors in error.message_dict.items():
            if name.startswith("shots[") and name.endswith("]") and name[6:-1].isdigit():
                shot_errors.setdefault(int(name[6:-1]), []).extend(errors)
            elif name in self.fields and not self.fields[name].widget.is_hidden:
                self.add_error(name, errors)
            else:  # "non_field_errors", "shots", or a field this page does not show
                self.add_error(None, errors)
        return shot_errors


@dataclass
class ShotCard:
    """One card of the storyboard editor as the page shows it."""

    prompt: str = ""
    duration: Any = DEFAULT_SHOT_DURATION
    errors: list[str] = field(default_factory=list)

    def as_shot(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "duration": self.duration}


def shot_cards(data: Mapping[str, Any] | None = None, *, shots: Iterable[Mapping[str, Any]] = ()) -> list[ShotCard]:
    """Return the cards posted in `data` (`shot_prompt` and `shot_duration` lists), or made
    from `shots`; there are always at least two, so the editor works without a script."""
    cards: list[ShotCard] = []
    if data is not None and hasattr(data, "getlist"):
        prompts = data.getlist("shot_prompt")
        durations = data.getlist("shot_duration")
        for index, prompt in enumerate(prompts):
            duration = durations[index] if index < len(durations) else DEFAULT_SHOT_DURATION
            cards.append(ShotCard(prompt=prompt, duration=duration))
    else:
        cards = [ShotCard(prompt=str(shot.get("prompt", "")), duration=shot.get("duration", DEFAULT_SHOT_DURATION))
                 for shot in shots]
    while len(cards) < MIN_SHOTS:
        cards.append(ShotCard())
    return cards
