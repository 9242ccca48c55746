from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        # The admin registered every ModelAdmin (its ready() ran first): give the library ones
        # Siaga's shared behaviour too.
        from .admin_bases import adopt_library_admins
        from .roles import grant_administrator_everything

        adopt_library_admins()
        # The Administrator role has every permission, including those of apps (login records,
        # background tasks) and models added after the roles were created.
        post_migrate.connect(
            grant_administrator_everything, dispatch_uid="accounts_administrator_everything"
        )
