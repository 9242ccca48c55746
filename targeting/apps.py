from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TargetingConfig(AppConfig):
    name = "targeting"
    verbose_name = _("Targeting (DTKS, heirs, priority)")
