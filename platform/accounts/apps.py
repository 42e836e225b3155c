from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed
        from django.db.models.signals import post_delete, post_save

        from .auth_backends import on_login_failed, on_user_changed
        from .models import User

        user_login_failed.connect(on_login_failed, dispatch_uid="accounts.login_failed")
        post_save.connect(on_user_changed, sender=User, dispatch_uid="accounts.user_saved")
        post_delete.connect(on_user_changed, sender=User, dispatch_uid="accounts.user_deleted")
