"""Count school-age heirs in kindergarten (TK/PAUD, participants 0006) in their own fact
column, and on PostgreSQL reinstall the triggers and rebuild the summary: the trigger SQL
names the new column, and a TK child without a birth date now counts as school-age.

On a new database this is where the triggers are first installed (0002 and 0003 skip while
the fact table lacks ``heirs_tk``; see ``dashboard.triggers.fact_table_is_current``).
"""

from django.db import migrations, models


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboard.triggers import fact_table_is_current, install_sql, rebuild_sql

    if not fact_table_is_current(schema_editor.connection):
        return  # a later migration adds a newer fact column and installs the triggers
    for statement in [*install_sql(), *rebuild_sql()]:
        schema_editor.execute(statement)


def uninstall(apps, schema_editor):
    # The installed SQL writes heirs_tk, which the reversal drops: remove the triggers rather
    # than fail every write. The older code's ``manage.py dashboard_rebuild`` reinstalls its own.
    if schema_editor.connection.vendor != "postgresql":
        return
    from dashboard.triggers import uninstall_sql

    for statement in uninstall_sql():
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0003_refresh_without_jit"),
        ("enrollment", "0004_year_committed_index"),
        ("participants", "0006_heir_school_level_tk"),
    ]

    operations = [
        migrations.AddField(
            model_name="enrollmentfact",
            name="heirs_tk",
            field=models.PositiveIntegerField(default=0),
            preserve_default=False,
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
