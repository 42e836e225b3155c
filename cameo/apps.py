from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CameoConfig(AppConfig):
    name = "cameo"
    verbose_name = _("Cameos")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from accounts.models import Block, Follow
        from moderation.signals import case_decided

        from .receivers import block_saved_receiver, case_decided_receiver, follow_deleted_receiver

        case_decided.connect(case_decided_receiver, dispatch_uid="cameo.case_decided")
        post_delete.connect(follow_deleted_receiver, sender=Follow, dispatch_uid="cameo.follow_deleted")
        post_save.connect(block_saved_receiver, sender=Block, dispatch_uid="cameo.block_saved")
