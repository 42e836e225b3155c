from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = _("Generation")

    def ready(self) -> None:
        from cameo.signals import consent_withdrawn, likeness_removed
        from moderation.signals import case_decided

        from . import tasks  # noqa: F401  (registers the worker's tasks)
        from .receivers import (
            case_decided_receiver,
            consent_withdrawn_receiver,
            likeness_removed_receiver,
        )

        case_decided.connect(case_decided_receiver, dispatch_uid="generation.case_decided")
        consent_withdrawn.connect(consent_withdrawn_receiver, dispatch_uid="generation.consent_withdrawn")
        likeness_removed.connect(likeness_removed_receiver, dispatch_uid="generation.likeness_removed")
