"""SQLite upkeep of the dashboard's summary tables (the PostgreSQL one is ``triggers.py``).

SQLite has row triggers only, and no functions to call from them, so its triggers do the
least they can in the writing transaction: they add the affected worker to
``dashboard_staleworker``. Before the dashboard reads the cube, ``refresh_stale`` brings
the stale workers' facts and cells up to date in one set-based pass (the same SQL as the
PostgreSQL refresh: ``facts.fact_select_sql`` and ``facts.cells_sql``) and empties the list.
A bulk write of 15,000 rows costs 15,000 tiny inserts, and the next dashboard request one
refresh of those workers (about a second), instead of 15,000 refreshes.

The figures are the ones PostgreSQL gives: same facts, same cells, same queries.
"""

from __future__ import annotations

from .facts import (
    CELL_KEY,
    FACT_COLUMNS,
    T_CUBE,
    T_ENROLLMENT,
    T_EVENT,
    T_FACT,
    T_HEIR,
    T_WORKER,
    T_YEAR,
    cells_sql,
    fact_select_sql,
)

VENDOR = "sqlite"
T_STALE = "dashboard_staleworker"
_KEY = ", ".join(CELL_KEY)
_CONFLICT = "(program_year_id, dim, status, worker_type, segment_id, kelurahan_id, value)"
_STALE_IDS = f"SELECT worker_id FROM {T_STALE}"

# (table, event, SQL selecting the affected worker ids from NEW/OLD, optional WHEN)
_MARKS = [
    (T_ENROLLMENT, "INSERT", ["SELECT NEW.worker_id"], ""),
    (T_ENROLLMENT, "UPDATE", ["SELECT NEW.worker_id", "SELECT OLD.worker_id"], ""),
    (T_ENROLLMENT, "DELETE", ["SELECT OLD.worker_id"], ""),
    (T_HEIR, "INSERT", ["SELECT NEW.worker_id"], ""),
    (T_HEIR, "UPDATE", ["SELECT NEW.worker_id", "SELECT OLD.worker_id"], ""),
    (T_HEIR, "DELETE", ["SELECT OLD.worker_id"], ""),
    (
        T_EVENT,
        "INSERT",
        [f"SELECT worker_id FROM {T_ENROLLMENT} WHERE id = NEW.enrollment_id"],
        "",
    ),
    (
        T_EVENT,
        "UPDATE",
        [
            f"SELECT worker_id FROM {T_ENROLLMENT} WHERE id = NEW.enrollment_id",
            f"SELECT worker_id FROM {T_ENROLLMENT} WHERE id = OLD.enrollment_id",
        ],
        "",
    ),
    (
        T_EVENT,
        "DELETE",
        [f"SELECT worker_id FROM {T_ENROLLMENT} WHERE id = OLD.enrollment_id"],
        "",
    ),
    # A new worker has no enrollments yet; a worker with enrollments cannot be deleted.
    (T_WORKER, "UPDATE", ["SELECT NEW.id"], ""),
    # Only a change of the year number changes facts (ages are taken on 1 July of it).
    (
        T_YEAR,
        "UPDATE",
        [f"SELECT worker_id FROM {T_ENROLLMENT} WHERE program_year_id = NEW.id"],
        "NEW.year <> OLD.year",
    ),
]


def _trigger_name(table: str, event: str) -> str:
    return f"dashboard_stale_{table}_{event.lower()}"


def install_sql() -> list[str]:
    statements = []
    for table, event, selects, when in _MARKS:
        name = _trigger_name(table, event)
        body = " ".join(f"INSERT OR IGNORE INTO {T_STALE} (worker_id) {s};" for s in selects)
        condition = f" WHEN {when}" if when else ""
        statements.append(f"DROP TRIGGER IF EXISTS {name}")
        statements.append(
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition}"
            f" BEGIN {body} END"
        )
    return statements


def uninstall_sql() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {_trigger_name(t, e)}" for t, e, _s, _w in _MARKS]


def _upsert_cells(facts: str, sign: str) -> str:
    # "WHERE true" and the GROUP BY keep SQLite from reading ON CONFLICT as a join's ON.
    return f"""
        INSERT INTO {T_CUBE} ({_KEY}, dim, value, n, amount)
        SELECT {_KEY}, dim, value, {sign}SUM(n), {sign}SUM(amount)
        FROM ({cells_sql(VENDOR, facts)}) AS c
        WHERE true
        GROUP BY {_KEY}, dim, value
        ON CONFLICT {_CONFLICT} DO UPDATE
        SET n = n + excluded.n, amount = amount + excluded.amount
    """


def refresh_sql() -> list[str]:
    """Bring the stale workers' facts and cells up to date and empty the stale list.

    The first statement writes, so SQLite takes the write lock before reading anything (a
    deferred transaction that read first could not upgrade while another connection writes).
    """
    columns = ", ".join(FACT_COLUMNS)
    stale_facts = f"(SELECT * FROM {T_FACT} WHERE worker_id IN ({_STALE_IDS}))"
    return [
        _upsert_cells(stale_facts, "-"),
        f"DELETE FROM {T_FACT} WHERE worker_id IN ({_STALE_IDS})",
        f"INSERT INTO {T_FACT} ({columns}) "
        + fact_select_sql(VENDOR, f"e.worker_id IN ({_STALE_IDS})"),
        _upsert_cells(stale_facts, ""),
        f"DELETE FROM {T_CUBE} WHERE n = 0 AND amount = 0",
        f"DELETE FROM {T_STALE}",
    ]


def rebuild_sql() -> list[str]:
    columns = ", ".join(FACT_COLUMNS)
    return [
        f"DELETE FROM {T_STALE}",
        f"DELETE FROM {T_FACT}",
        f"DELETE FROM {T_CUBE}",
        f"INSERT INTO {T_FACT} ({columns}) {fact_select_sql(VENDOR, 'true')}",
        f"""INSERT INTO {T_CUBE} ({_KEY}, dim, value, n, amount)
            SELECT {_KEY}, dim, value, SUM(n), SUM(amount)
            FROM ({cells_sql(VENDOR, T_FACT)}) AS c GROUP BY {_KEY}, dim, value""",
        f"ANALYZE {T_FACT}",
        f"ANALYZE {T_CUBE}",
    ]
