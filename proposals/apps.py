from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = _("Proposals and yearly updates")

    def ready(self) -> None:
        from dashboard.views import EXTRA_SECTIONS
        from enrollment.renewal import RENEWAL_CHECKS

        from .selectors import dashboard_section, unconfirmed_for_renewal

        if unconfirmed_for_renewal not in RENEWAL_CHECKS:
            RENEWAL_CHECKS.append(unconfirmed_for_renewal)
        if dashboard_section not in EXTRA_SECTIONS:
            EXTRA_SECTIONS.append(dashboard_section)
