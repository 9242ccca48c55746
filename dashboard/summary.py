"""Maintenance of the PostgreSQL summary tables: rebuild and consistency check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from .facts import CELL_KEY, FACT_COLUMNS, T_CUBE, T_FACT, cells_sql, fact_select_sql
from .triggers import DEFER_SETTING, install_sql, rebuild_sql

_KEY = ", ".join(CELL_KEY)


def summary_rebuild() -> None:
    """Reinstall the triggers (current rules and settings) and recompute both tables."""
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in [*install_sql(), *rebuild_sql()]:
            cursor.execute(statement)


@contextmanager
def summary_deferred() -> Iterator[None]:
    """Skip the per-statement refreshes inside the block and rebuild once at its end.

    For bulk loads (demo data, a very large import): a refresh costs about a millisecond per
    affected worker, so reloading a million rows statement by statement would take hours;
    the rebuild takes minutes. Runs in one transaction, so readers never see the stale
    summary. Elsewhere than PostgreSQL it only opens the transaction.
    """
    with transaction.atomic():
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [DEFER_SETTING])
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'off', true)", [DEFER_SETTING])
            for statement in rebuild_sql():
                cursor.execute(statement)


def summary_differences(limit: int = 20) -> list[tuple]:
    """Cells where the maintained cube differs from a fresh computation (empty = correct).

    Also compares the fact table with freshly derived facts, reported as ``("fact", id)``.
    """
    vendor = connection.vendor
    columns = ", ".join(FACT_COLUMNS)
    fresh_cells = f"""
        SELECT {_KEY}, dim, value, SUM(n) AS n, SUM(amount) AS amount
        FROM ({cells_sql(vendor, f"({fact_select_sql(vendor, 'true')})")}) AS c
        GROUP BY {_KEY}, dim, value"""
    stored_cells = f"SELECT {_KEY}, dim, value, n, amount FROM {T_CUBE} WHERE n <> 0 OR amount <> 0"
    fresh_facts = f"SELECT {columns} FROM ({fact_select_sql(vendor, 'true')}) AS f"
    stored_facts = f"SELECT {columns} FROM {T_FACT}"
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for a, b, tag in (
            (stored_cells, fresh_cells, "stored"),
            (fresh_cells, stored_cells, "fresh"),
            (stored_facts, fresh_facts, "stored fact"),
            (fresh_facts, stored_facts, "fresh fact"),
        ):
            cursor.execute(f"({a}) EXCEPT ({b}) LIMIT {int(limit)}")
            found += [(tag, *row) for row in cursor.fetchall()]
    return found
