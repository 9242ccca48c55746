from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # enrollment (a lower floor) calls these after its transactions commit.
        from enrollment import hooks

        from . import services

        for hook_list, callback in (
            (hooks.ACTIVATED, services.queue_activations),
            (hooks.RENEWED, services.queue_renewals),
            (hooks.CLAIM_STATUS, services.queue_claim_statuses),
        ):
            if callback not in hook_list:
                hook_list.append(callback)
