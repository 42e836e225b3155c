from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("People")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_login_failed

        from .auth_backends import on_login_failed

        user_login_failed.connect(on_login_failed, dispatch_uid="accounts.login_failed")
