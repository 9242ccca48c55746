"""PostgreSQL only: a trigram index so the admin's name search (icontains) stays indexed.

Django's icontains on PostgreSQL compiles to UPPER(col::text) LIKE UPPER(%s), so the index is
on that expression. SQLite (the development default) has no trigram indexes and skips this.
"""

from django.db import migrations

INDEXES = [
    ("participants_worker", "worker_name_trgm_idx", "full_name"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} "
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("participants", "0002_reference_data")]

    operations = [migrations.RunPython(create, drop)]
