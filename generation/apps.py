from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GenerationConfig(AppConfig):
    name = "generation"
    verbose_name = _("Generation")

    def ready(self) -> None:
        from moderation.signals import case_decided

        from . import tasks  # noqa: F401  (registers the worker's signal handlers)
        from .services import case_decided_receiver

        case_decided.connect(case_decided_receiver, dispatch_uid="generation.case_decided")
