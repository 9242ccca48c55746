"""The dashboard's summary tables on SQLite too, and breakdown cells split into active and
other participants (so every breakdown shows its "Aktif" figure).

- SQLite: a table of stale workers, filled by row triggers and drained by the dashboard
  before it reads (``dashboard.sqlite_summary``), then a first rebuild.
- PostgreSQL: the cells changed shape (breakdown cells keyed "aktif" / "participant"), so the
  triggers are reinstalled and both tables rebuilt from the current code.

Reversing drops the SQLite triggers; on PostgreSQL run ``manage.py dashboard_rebuild`` with
the older code afterwards, since its selectors expect the older cells.
"""

from django.db import migrations, models


def install(apps, schema_editor):
    connection = schema_editor.connection
    from dashboard.triggers import fact_table_is_current

    if not fact_table_is_current(connection):
        return  # a later migration adds a newer fact column and installs the triggers
    if connection.vendor == "postgresql":
        from dashboard.triggers import install_sql, rebuild_sql
    elif connection.vendor == "sqlite":
        from dashboard.sqlite_summary import install_sql, rebuild_sql
    else:
        return
    with connection.cursor() as cursor:
        for statement in [*install_sql(), *rebuild_sql()]:
            # SQLite: empty params so Django turns the fact SQL's "%%" into "%".
            cursor.execute(statement, [] if connection.vendor == "sqlite" else None)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from dashboard.sqlite_summary import uninstall_sql

    with schema_editor.connection.cursor() as cursor:
        for statement in uninstall_sql():
            cursor.execute(statement, [])


class Migration(migrations.Migration):
    dependencies = [
        ("dashboard", "0004_heirs_tk"),
        # The summary SQL reads the enrollment's place as verified and its exact cost.
        ("enrollment", "0007_money_exact_premium_wage_base"),
        ("participants", "0008_money_segment_risk_class"),
    ]

    operations = [
        migrations.CreateModel(
            name="StaleWorker",
            fields=[("worker_id", models.BigIntegerField(primary_key=True, serialize=False))],
            options={
                "verbose_name": "worker awaiting a dashboard refresh",
                "verbose_name_plural": "workers awaiting a dashboard refresh",
                "default_permissions": (),
            },
        ),
        migrations.RunPython(install, uninstall, elidable=False),
    ]
