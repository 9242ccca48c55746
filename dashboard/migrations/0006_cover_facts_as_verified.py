"""The dashboard counts segment and kelurahan as each enrollment was verified (enrollment
0005): on PostgreSQL reinstall the trigger SQL that reads them and rebuild the summary."""

from django.db import migrations


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboard.triggers import fact_table_is_current, install_sql, rebuild_sql

    if not fact_table_is_current(schema_editor.connection):
        return  # a later migration adds a newer fact column and installs the triggers
    for statement in [*install_sql(), *rebuild_sql()]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0005_dash_sqlite_summary"),
        ("enrollment", "0006_cover_enrollment_place_exports_limits"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop, elidable=False)]
