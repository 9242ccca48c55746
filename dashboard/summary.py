"""Maintenance of the dashboard's summary tables: refresh, rebuild and consistency check.

PostgreSQL keeps them current with statement triggers (``dashboard.triggers``); SQLite with
row triggers that list stale workers and a refresh before every read
(``dashboard.sqlite_summary``). Other databases aggregate live.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

from . import sqlite_summary, triggers
from .facts import CELL_KEY, FACT_COLUMNS, T_CUBE, T_FACT, cells_sql, fact_select_sql

_KEY = ", ".join(CELL_KEY)
VENDORS = ("postgresql", "sqlite")


def has_summary_tables() -> bool:
    return connection.vendor in VENDORS


def _execute(cursor, statements: list[str]) -> None:
    for statement in statements:
        # SQLite: empty params so Django turns the fact SQL's "%%" into "%"; PostgreSQL: none.
        cursor.execute(statement, [] if connection.vendor == "sqlite" else None)


def _module():
    return triggers if connection.vendor == "postgresql" else sqlite_summary


def refresh_stale() -> None:
    """SQLite: bring the workers the triggers listed as stale up to date (see
    ``dashboard.sqlite_summary``). Elsewhere nothing to do: PostgreSQL refreshes in the
    writing transaction."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {sqlite_summary.T_STALE})")
        if not cursor.fetchone()[0]:
            return
    with transaction.atomic(), connection.cursor() as cursor:
        _execute(cursor, sqlite_summary.refresh_sql())


def summary_rebuild() -> None:
    """Reinstall the triggers (current rules and settings) and recompute both tables."""
    if not has_summary_tables():
        return
    module = _module()
    with transaction.atomic(), connection.cursor() as cursor:
        _execute(cursor, [*module.install_sql(), *module.rebuild_sql()])


@contextmanager
def summary_deferred() -> Iterator[None]:
    """Skip the per-statement refreshes inside the block and rebuild once at its end.

    For bulk loads (demo data, a very large import): a refresh costs about a millisecond per
    affected worker, so reloading a million rows statement by statement would take hours;
    the rebuild takes minutes. Runs in one transaction, so readers never see the stale
    summary. On SQLite the triggers only list stale workers; the rebuild at the end empties
    the list. Elsewhere it only opens the transaction.
    """
    with transaction.atomic():
        if connection.vendor == "sqlite":
            yield
            with connection.cursor() as cursor:
                _execute(cursor, sqlite_summary.rebuild_sql())
            return
        if connection.vendor != "postgresql":
            yield
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', true)", [triggers.DEFER_SETTING])
        yield
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'off', true)", [triggers.DEFER_SETTING])
            _execute(cursor, triggers.rebuild_sql())


def summary_differences(limit: int = 20) -> list[tuple]:
    """Cells where the maintained cube differs from a fresh computation (empty = correct).

    Also compares the fact table with freshly derived facts, reported as ``("fact", id)``.
    On SQLite the stale workers are refreshed first, as the dashboard does before reading.
    """
    refresh_stale()
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
            # SQLite does not take parenthesised operands of EXCEPT: select from each instead.
            cursor.execute(
                f"SELECT * FROM ({a}) AS a EXCEPT SELECT * FROM ({b}) AS b LIMIT {int(limit)}",
                [] if vendor == "sqlite" else None,
            )
            found += [(tag, *row) for row in cursor.fetchall()]
    return found
