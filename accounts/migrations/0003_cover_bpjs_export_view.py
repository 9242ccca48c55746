"""Verifikator may look at the record of the BPJS registration files (enrollment.BpjsExport)."""

from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_staff_profile"),
        ("enrollment", "0006_cover_enrollment_place_exports_limits"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
