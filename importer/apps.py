from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ImporterConfig(AppConfig):
    """Reusable spreadsheet import machinery: reading, header matching, parsing, audit."""

    name = "importer"
    verbose_name = _("Spreadsheet imports")
    default_auto_field = "django.db.models.BigAutoField"
