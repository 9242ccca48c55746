"""On PostgreSQL, install the triggers that keep the dashboard's summary tables current and
fill them from the existing data. Other databases aggregate live (docs/dashboard.md).

The SQL comes from dashboard.triggers so that ``manage.py dashboard_rebuild`` can reinstall
exactly the same definition after a change of the rules or of SIAGA_SCHOOL_AGE_*.
"""

from django.db import migrations


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboard.triggers import fact_table_is_current, install_sql, rebuild_sql

    # A new database: a later migration adds fact columns this SQL already names, and
    # installs the triggers itself (see fact_table_is_current).
    if not fact_table_is_current(schema_editor.connection):
        return

    for statement in [*install_sql(), *rebuild_sql()]:
        schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboard.triggers import uninstall_sql

    for statement in uninstall_sql():
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0001_initial"),
        ("enrollment", "0002_default_rates"),
        ("participants", "0003_postgres_search_indexes"),
    ]

    operations = [migrations.RunPython(install, uninstall, elidable=False)]
