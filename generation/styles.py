"""Style presets: words added to the end of a prompt.

Camera directions and everything else stay as the creator wrote them; a preset only appends
how the film should look. The worker applies them when it renders, so the job row keeps the
creator's own prompt.
"""

from __future__ import annotations

from .models import GenerationJob

Style = GenerationJob.Style

STYLE_SUFFIXES: dict[str, str] = {
    Style.NONE: "",
    Style.REALISTIC: "photorealistic, natural light, detailed",
    Style.CARTOON: "cartoon style, bold outlines, flat bright colours",
    Style.ANIMATION: "3D animated film style, soft lighting",
    Style.FILM: "cinematic film still, 35mm, shallow depth of field, film grain",
    Style.ANIME: "anime style, cel shading",
    Style.WATERCOLOR: "watercolour painting, soft washes of colour",
}


def prompt_styled(prompt: str, style: str) -> str:
    """Return `prompt` with the words of `style` appended (unchanged for "as written")."""
    suffix = STYLE_SUFFIXES.get(style, "")
    return f"{prompt}, {suffix}" if suffix else prompt
