from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from enrollment.services import BULK_WRITE_WRAPPERS

        from .summary import summary_deferred

        # Renewal of a whole registry: one summary rebuild at the end (docs/dashboard.md).
        if summary_deferred not in BULK_WRITE_WRAPPERS:
            BULK_WRITE_WRAPPERS.append(summary_deferred)
