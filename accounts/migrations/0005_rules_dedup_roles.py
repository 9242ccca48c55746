"""Operator and Verifikator get the possible-duplicates and other-payers' permissions."""

from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_approvals_signature"),
        ("dedup", "0003_other_cover"),
        # Run after the approvals roles, so that neither sync forgets the other's permissions.
        ("approvals", "0002_approvals_roles"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
