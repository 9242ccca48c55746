"""Create the office's roles (Operator, Verifikator, Pimpinan, Administrator) as groups.

Depends on every app whose permissions the roles use; a later change to the roles adds a
migration that calls ``sync_roles`` again.
"""

from django.db import migrations


def create_roles(apps, schema_editor):
    from accounts.roles import sync_roles

    sync_roles(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("participants", "0005_worker_status_db_defaults"),
        ("importer", "0002_background_jobs"),
        ("enrollment", "0002_default_rates"),
        ("targeting", "0001_initial"),
        ("dashboard", "0002_postgres_summary_triggers"),
    ]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
