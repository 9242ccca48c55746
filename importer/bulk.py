"""Fast inserts of already-validated rows.

On PostgreSQL new rows go in with ``COPY … FROM STDIN``: for 100,000 workers Django's
``bulk_create`` spends most of its time building model instances and preparing parameters
(about 4x slower here, see docs/benchmarks.md). Values arrive clean from the importer's
parsers, so only their text form is needed. Other databases (SQLite in development) use
``bulk_create``. Both run inside the caller's transaction.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator, Sequence
from typing import Any

from django.db import connection, models
from django.db.models import BooleanField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

BATCH_SIZE = 2000
COPY_BATCH_ROWS = 10_000
# Values per lookup query: SQLite builds may cap bound parameters at 999; on PostgreSQL
# the values travel as one array parameter, so the chunk only bounds the result size.
SQLITE_CHUNK = 900
POSTGRES_CHUNK = 50_000


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def filter_in(queryset: QuerySet, field: str, values: Sequence[Any]) -> Iterator[QuerySet]:
    """``queryset`` narrowed to rows whose ``field`` is one of ``values``, one query per chunk.

    On PostgreSQL the chunk goes as a single array parameter (``field = ANY(%s)``, an index
    scan like ``IN``): Django's ``__in`` compiles one placeholder per value, which cost about
    3 s of CPU per 100,000 NIKs in the worker import.
    """
    values = sorted(set(values))
    if connection.vendor != "postgresql":
        for chunk in chunks(values, SQLITE_CHUNK):
            yield queryset.filter(**{f"{field}__in": chunk})
        return
    model_field = queryset.model._meta.get_field(field)
    column = (
        f"{connection.ops.quote_name(queryset.model._meta.db_table)}."
        f"{connection.ops.quote_name(model_field.column)}"
    )
    for chunk in chunks(values, POSTGRES_CHUNK):
        yield queryset.filter(
            RawSQL(f"{column} = ANY(%s)", (list(chunk),), output_field=BooleanField())
        )


def _copy_text(value: Any) -> str:
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            value = (
                value.replace("\\", "\\\\")
                .replace("\t", "\\t")
                .replace("\n", "\\n")
                .replace("\r", "\\r")
            )
        return value
    if isinstance(value, datetime.date):  # datetime too; aware datetimes keep their offset
        return value.isoformat()
    return str(value)


def _constant_values(model: type[models.Model], fields: Sequence[models.Field]) -> dict[str, Any]:
    """What Django would put in a column the row does not give: default or auto_now."""
    now = timezone.now()
    values: dict[str, Any] = {}
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values[field.attname] = now
        else:  # the default, or "" for text columns and None for nullable ones, as Django
            values[field.attname] = field.get_default()
    return values


def reserve_ids(model: type[models.Model], count: int) -> list[int]:
    """PostgreSQL: ``count`` new primary keys from the table's sequence, for rows about to be
    copied in with ``insert_rows(..., with_pk=True)`` (COPY returns no ids)."""
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [table, column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_rows(
    model: type[models.Model], rows: list[dict[str, Any]], *, with_pk: bool = False
) -> int:
    """Insert ``rows`` (attname -> clean value) into ``model``'s table; return the count.
    ``with_pk``: the rows carry their primary key (``reserve_ids``)."""
    if not rows:
        return 0
    fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**row) for row in rows], batch_size=BATCH_SIZE)
        return len(rows)
    constants = _constant_values(model, fields)
    names = [f.attname for f in fields]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({columns}) FROM STDIN"
    # copy_expert is psycopg2's own call: wrap it so failures are Django DatabaseErrors.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        for start in range(0, len(rows), COPY_BATCH_ROWS):  # bounded buffers, bounded memory
            lines = [
                "\t".join([_copy_text(row.get(n, constants[n])) for n in names])
                for row in rows[start : start + COPY_BATCH_ROWS]
            ]
            cursor.copy_expert(sql, io.BytesIO(("\n".join(lines) + "\n").encode()))
    return len(rows)
