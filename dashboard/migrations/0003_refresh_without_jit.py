"""Re-create the summary refresh function with JIT compilation off (see dashboard.triggers).

On PostgreSQL with JIT enabled (the default since 11) each refresh spent ~1.2 s compiling
its query before running it for a few milliseconds: 2.5 s on every enrollment save, and
56 s for a renewal of 14,087 workers. The function's body is unchanged.
"""

from django.db import migrations


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboard.triggers import fact_table_is_current, refresh_function_sql

    if not fact_table_is_current(schema_editor.connection):
        return  # a new database: a later migration installs the triggers

    schema_editor.execute(refresh_function_sql())


class Migration(migrations.Migration):
    dependencies = [("dashboard", "0002_postgres_summary_triggers")]

    operations = [migrations.RunPython(install, migrations.RunPython.noop, elidable=False)]
