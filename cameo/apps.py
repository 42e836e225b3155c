from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CameoConfig(AppConfig):
    name = "cameo"
    verbose_name = _("Cameos")
