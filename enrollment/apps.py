from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnrollmentConfig(AppConfig):
    name = "enrollment"
    verbose_name = _("Enrollment")

    def ready(self) -> None:
        # A death or deactivation recorded anywhere in the registry ends the worker's cover.
        from participants.services import DEPARTURE_HOOKS

        from .departures import end_cover_hook

        if end_cover_hook not in DEPARTURE_HOOKS:
            DEPARTURE_HOOKS.append(end_cover_hook)
