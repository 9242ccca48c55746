"""PostgreSQL triggers that keep the dashboard's fact and cube tables correct after every
write, in the writing transaction (see docs/dashboard.md, "Summary tables").

Every trigger is a statement trigger with transition tables, so a bulk insert of 10,000
enrollments refreshes their workers once, not 10,000 times. The unit of refresh is the
worker: all of a worker's enrollments are recomputed, because one enrollment's "renewed"
flag depends on the worker's enrollment in the next year. A refresh deletes the worker's
fact rows (subtracting them from the cube) and inserts freshly computed ones (adding them).
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

VENDOR = "postgresql"
DEFER_SETTING = "siaga.dashboard_deferred"
_KEY = ", ".join(CELL_KEY)
_CONFLICT = "(program_year_id, dim, status, worker_type, segment_id, kelurahan_id, value)"


def _upsert_cells(source_cte: str, sign: str) -> str:
    return f"""
        INSERT INTO {T_CUBE} ({_KEY}, dim, value, n, amount)
        SELECT {_KEY}, dim, value, {sign}SUM(n), {sign}SUM(amount)
        FROM ({cells_sql(VENDOR, source_cte)}) AS c
        GROUP BY {_KEY}, dim, value
        ORDER BY program_year_id, dim, status, worker_type, segment_id, kelurahan_id, value
        ON CONFLICT {_CONFLICT} DO UPDATE
        SET n = {T_CUBE}.n + EXCLUDED.n, amount = {T_CUBE}.amount + EXCLUDED.amount
    """


def refresh_function_sql() -> str:
    columns = ", ".join(FACT_COLUMNS)
    return f"""
CREATE OR REPLACE FUNCTION dashboard_refresh_workers(ids bigint[]) RETURNS void
LANGUAGE plpgsql
-- The fact query's estimated cost passes jit_above_cost even for a handful of workers, and
-- compiling it took about 1.2 s per statement: every enrollment save paid that twice.
SET jit = off
AS $fn$
BEGIN
    IF ids IS NULL OR cardinality(ids) = 0 THEN
        RETURN;
    END IF;
    -- Serialise refreshes of the same worker: a concurrent refresh waits here, then sees
    -- the first one's committed facts instead of inserting duplicates.
    -- "IN (SELECT unnest(ids))" plans as a join; "= ANY(ids)" would test every row against
    -- the whole array, quadratic for a bulk insert of many thousand rows.
    PERFORM 1 FROM {T_WORKER} WHERE id IN (SELECT unnest(ids)) ORDER BY id FOR NO KEY UPDATE;
    -- EXECUTE plans each refresh afresh: a plan cached while the tables were small (the
    -- first rows of a bulk load) would keep scanning them whole as they grow.
    EXECUTE $q$
        WITH old AS (
            DELETE FROM {T_FACT} WHERE worker_id IN (SELECT unnest($1::bigint[])) RETURNING *
        )
        {_upsert_cells("old", "-")}
    $q$ USING ids;
    EXECUTE $q$
        WITH new AS (
            INSERT INTO {T_FACT} ({columns})
            {fact_select_sql(VENDOR, "e.worker_id IN (SELECT unnest($1::bigint[]))")}
            RETURNING *
        )
        {_upsert_cells("new", "")}
    $q$ USING ids;
END
$fn$;
"""


def _trigger_function(name: str, workers_of: str) -> str:
    """A trigger function refreshing the workers selected by ``workers_of`` (SQL over the
    transition table named ``{rows}``)."""
    new = workers_of.format(rows="new_rows")
    old = workers_of.format(rows="old_rows")
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    -- A bulk load inside dashboard.summary.summary_deferred() rebuilds once at the end.
    IF current_setting('{DEFER_SETTING}', true) = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM dashboard_refresh_workers(ARRAY({new}));
    ELSIF TG_OP = 'UPDATE' THEN
        PERFORM dashboard_refresh_workers(ARRAY({new} UNION {old}));
    ELSE
        PERFORM dashboard_refresh_workers(ARRAY({old}));
    END IF;
    RETURN NULL;
END
$fn$;
"""


# (table, trigger function, how to find the affected workers, events)
TRIGGERS = [
    (
        T_ENROLLMENT,
        "dashboard_on_enrollment",
        "SELECT worker_id FROM {rows}",
        ("INSERT", "UPDATE", "DELETE"),
    ),
    (
        T_HEIR,
        "dashboard_on_heir",
        "SELECT worker_id FROM {rows}",
        ("INSERT", "UPDATE", "DELETE"),
    ),
    (
        T_EVENT,
        "dashboard_on_event",
        f"SELECT e.worker_id FROM {{rows}} r JOIN {T_ENROLLMENT} e ON e.id = r.enrollment_id",
        ("INSERT", "UPDATE", "DELETE"),
    ),
    # A new worker has no enrollments, and a worker with enrollments cannot be deleted.
    (T_WORKER, "dashboard_on_worker", "SELECT id FROM {rows}", ("UPDATE",)),
    # Only a change of the year number changes facts (age and school age are taken on
    # 1 July of it); budget or status edits do not.
    (
        T_YEAR,
        "dashboard_on_program_year",
        f"SELECT e.worker_id FROM new_rows n JOIN old_rows o ON o.id = n.id"
        f" JOIN {T_ENROLLMENT} e ON e.program_year_id = n.id WHERE n.year <> o.year",
        ("UPDATE",),
    ),
]


def install_sql() -> list[str]:
    statements = [refresh_function_sql()]
    for table, function, workers_of, events in TRIGGERS:
        statements.append(_trigger_function(function, workers_of))
        for event in events:
            trigger = f"{function}_{event.lower()}"
            referencing = {
                "INSERT": "REFERENCING NEW TABLE AS new_rows",
                "UPDATE": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                "DELETE": "REFERENCING OLD TABLE AS old_rows",
            }[event]
            statements.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            statements.append(
                f"CREATE TRIGGER {trigger} AFTER {event} ON {table} {referencing}"
                f" FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
            )
    return statements


def fact_table_is_current(connection) -> bool:
    """Whether ``dashboard_enrollmentfact`` has every column the current SQL writes.

    The migrations that install the triggers take their SQL from this module, so on a new
    database they run it before later migrations have added the newest fact columns (such
    as ``heirs_tk``, migration 0004). Those early migrations skip their work when this is
    false; the migration adding the newest column installs and rebuilds.
    """
    with connection.cursor() as cursor:
        found = connection.introspection.get_table_description(cursor, T_FACT)
    return set(FACT_COLUMNS) <= {column.name for column in found}


def uninstall_sql() -> list[str]:
    statements = []
    for table, function, _workers_of, events in TRIGGERS:
        for event in events:
            statements.append(f"DROP TRIGGER IF EXISTS {function}_{event.lower()} ON {table}")
        statements.append(f"DROP FUNCTION IF EXISTS {function}()")
    statements.append("DROP FUNCTION IF EXISTS dashboard_refresh_workers(bigint[])")
    return statements


def rebuild_sql() -> list[str]:
    """Recompute both tables from scratch (after install, or with ``dashboard_rebuild``)."""
    columns = ", ".join(FACT_COLUMNS)
    return [
        f"TRUNCATE {T_FACT}, {T_CUBE}",
        f"INSERT INTO {T_FACT} ({columns}) {fact_select_sql(VENDOR, 'true')}",
        f"""INSERT INTO {T_CUBE} ({_KEY}, dim, value, n, amount)
            SELECT {_KEY}, dim, value, SUM(n), SUM(amount)
            FROM ({cells_sql(VENDOR, T_FACT)}) AS c GROUP BY {_KEY}, dim, value""",
        f"ANALYZE {T_FACT}",
        f"ANALYZE {T_CUBE}",
    ]
