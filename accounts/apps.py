from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        # The admin registered every ModelAdmin (its ready() ran first): give the library ones
        # Siaga's shared behaviour too.
        from .admin_bases import adopt_library_admins

        adopt_library_admins()
