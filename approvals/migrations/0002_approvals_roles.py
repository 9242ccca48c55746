"""Give the roles their approvals permissions and create the Kepala Bidang role."""

from django.db import migrations


def sync(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("accounts", "0004_approvals_signature"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
