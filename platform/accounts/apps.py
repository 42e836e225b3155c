from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed
        from django.db.models.signals import post_delete, post_save

        from .models import User
        from .receivers import login_failed_receiver, user_changed_receiver

        user_login_failed.connect(login_failed_receiver, dispatch_uid="accounts.login_failed")
        post_save.connect(user_changed_receiver, sender=User, dispatch_uid="accounts.user_saved")
        post_delete.connect(user_changed_receiver, sender=User, dispatch_uid="accounts.user_deleted")
