"""What a profile page shows beyond the person: sections that apps to the right add.

Accounts knows nothing of videos. The feed registers, in its `ready()`, a section that
returns the extra template context for one profile (`profile_sections`, a registry: see
`config.registry`); the profile view merges the sections in key order.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from config.registry import Registry

# `section(person=..., viewer=..., cursor=...)` returns extra template context: `person` is
# the User shown, `viewer` the request's user (maybe anonymous), `cursor` the page asked for.
ProfileSection = Callable[..., dict[str, Any]]

profile_sections: Registry[ProfileSection] = Registry("accounts.profile_sections")
