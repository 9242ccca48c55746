from django.contrib.admin.apps import AdminConfig


class SiagaAdminConfig(AdminConfig):
    """django.contrib.admin with Siaga's site: a home page organised by the office's work."""

    default_site = "siaga.admin_site.SiagaAdminSite"
