"""The one definition of the dashboard's figures, as SQL.

``fact_select_sql`` derives, for each enrollment, every attribute the dashboard counts by
(status, worker type, segment, kelurahan, DTKS, desil, sex, age band, heirs, school-age heirs
by level, months of verification and activation, renewal, committed rupiah).
``cells_sql`` unpivots facts into (dimension, value, count, amount) cells.

PostgreSQL uses both inside triggers (``triggers_sql``) to keep ``dashboard_enrollmentfact``
and ``dashboard_cubecell`` current after every write; every other database runs the same
SQL live at request time. The few vendor differences (local month of a timestamp, completed
years, the heirs join) are isolated in ``_Dialect``.

Segment and kelurahan (so kecamatan) are the enrollment's, as verified (issue 11.3): the same
place the quotas count, not the worker's current record.

Reference date: ages and school age are taken on 1 July of the program year (the middle of
the year, and the start of the Indonesian school year); see docs/dashboard.md.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings

from enrollment.models import (
    QUOTA_STATUSES,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    ProgramYear,
)
from participants.models import ENROLLED_SCHOOL_LEVELS, Heir, Relationship, SchoolLevel, Worker

REFERENCE_MONTH_DAY = "07-01"

# Age bands: (label key, lowest completed years included).
AGE_BANDS = [("55+", 55), ("45-54", 45), ("35-44", 35), ("25-34", 25), ("<25", None)]

# School-age heirs are counted per recorded school level; "" (not recorded) is "unknown".
HEIR_LEVELS = [
    (SchoolLevel.NOT_YET.value, "heirs_belum_sekolah"),
    (SchoolLevel.TK.value, "heirs_tk"),
    (SchoolLevel.SD.value, "heirs_sd"),
    (SchoolLevel.SMP.value, "heirs_smp"),
    (SchoolLevel.SMA.value, "heirs_sma"),
    (SchoolLevel.UNIVERSITY.value, "heirs_pt"),
    (SchoolLevel.NONE.value, "heirs_tidak_sekolah"),
    ("", "heirs_unknown"),
]
HEIR_COLUMNS = [column for _level, column in HEIR_LEVELS]

FACT_COLUMNS = [
    "enrollment_id",
    "worker_id",
    "program_year_id",
    "year",
    "status",
    "worker_type",
    "segment_id",
    "kelurahan_id",
    "dtks_status",
    "desil",
    "sex",
    "age_band",
    "has_heirs",
    *HEIR_COLUMNS,
    "verified_month",
    "activated_month",
    "renewed",
    "committed_amount",
]
CELL_KEY = ["program_year_id", "status", "worker_type", "segment_id", "kelurahan_id"]

T_ENROLLMENT = Enrollment._meta.db_table
T_EVENT = EnrollmentEvent._meta.db_table
T_YEAR = ProgramYear._meta.db_table
T_WORKER = Worker._meta.db_table
T_HEIR = Heir._meta.db_table
T_FACT = "dashboard_enrollmentfact"
T_CUBE = "dashboard_cubecell"


def _quoted(values) -> str:
    return ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)


@dataclass(frozen=True)
class _Dialect:
    vendor: str

    @property
    def is_postgres(self) -> bool:
        return self.vendor == "postgresql"

    def month_index(self, ts: str, year: str) -> str:
        """Month of ``ts`` in local time, counted from January of ``year`` = 1."""
        if self.is_postgres:
            local = f"({ts} AT TIME ZONE '{settings.TIME_ZONE}')"
            return (
                f"((EXTRACT(YEAR FROM {local})::int - {year}) * 12"
                f" + EXTRACT(MONTH FROM {local})::int)"
            )
        # SQLite stores UTC text; the offset is fixed (Asia/Jakarta has no daylight saving).
        offset = ZoneInfo(settings.TIME_ZONE).utcoffset(datetime.datetime(2024, 1, 1))
        hours = f"'{int(offset.total_seconds() // 3600):+d} hours'"
        return (
            f"((CAST(strftime('%%Y', {ts}, {hours}) AS INTEGER) - {year}) * 12"
            f" + CAST(strftime('%%m', {ts}, {hours}) AS INTEGER))"
        )

    def month_day(self, day: str) -> str:
        if self.is_postgres:
            return f"to_char({day}, 'MM-DD')"
        return f"strftime('%%m-%%d', {day})"

    def year_of(self, day: str) -> str:
        if self.is_postgres:
            return f"EXTRACT(YEAR FROM {day})::int"
        return f"CAST(strftime('%%Y', {day}) AS INTEGER)"

    def reference_date(self, year: str, minus_years: int) -> str:
        """1 July of ``year`` - ``minus_years`` as a date (SQLite: ISO text)."""
        if self.is_postgres:
            return f"make_date({year} - {minus_years}, 7, 1)"
        return f"printf('%%04d-{REFERENCE_MONTH_DAY}', {year} - {minus_years})"

    def true(self, expr: str) -> str:
        return expr if self.is_postgres else f"({expr}) <> 0"


def _school_age(d: _Dialect, year: str) -> str:
    """``HeirQuerySet.school_age_on(1 July of year)`` written in SQL."""
    youngest = d.reference_date(year, settings.SIAGA_SCHOOL_AGE_MIN)
    oldest = d.reference_date(year, settings.SIAGA_SCHOOL_AGE_MAX)
    enrolled = _quoted(ENROLLED_SCHOOL_LEVELS)
    return (
        f"h.relationship = '{Relationship.CHILD.value}' AND ("
        f"(h.birth_date <= {youngest} AND h.birth_date > {oldest})"
        f" OR (h.birth_date IS NULL AND h.school_level IN ({enrolled})))"
    )


def _heir_columns(d: _Dialect) -> tuple[str, str]:
    """(select list, join clause) giving has_heirs and the heirs_* counts of ``w``."""
    school = _school_age(d, "p.year")
    if d.is_postgres:
        counts = ", ".join(
            f"count(*) FILTER (WHERE {school} AND h.school_level = '{level}') AS {column}"
            for level, column in HEIR_LEVELS
        )
        join = (
            f"LEFT JOIN LATERAL (SELECT count(*) AS heirs_all, {counts}"
            f" FROM {T_HEIR} h WHERE h.worker_id = w.id) hs ON true"
        )
        select = "hs.heirs_all > 0 AS has_heirs, " + ", ".join(
            f"hs.{column}" for column in HEIR_COLUMNS
        )
        return select, join
    parts = [f"EXISTS (SELECT 1 FROM {T_HEIR} h WHERE h.worker_id = w.id) AS has_heirs"]
    for level, column in HEIR_LEVELS:
        parts.append(
            f"(SELECT COUNT(*) FROM {T_HEIR} h WHERE h.worker_id = w.id AND {school}"
            f" AND h.school_level = '{level}') AS {column}"
        )
    return ", ".join(parts), ""


def _clamped_month(d: _Dialect, column: str) -> str:
    index = d.month_index(column, "year")
    return (
        f"CASE WHEN {column} IS NULL THEN NULL WHEN {index} < 1 THEN 0"
        f" WHEN {index} > 12 THEN 13 ELSE {index} END"
    )


def placement_sql() -> str:
    """Where an enrollment is counted: its worker type, segment and kelurahan as it was
    verified (the quotas' count; the kecamatan follows from the kelurahan), over ``e`` =
    enrollment and ``w`` = worker. The one place that decides it for every figure, the cube
    and the filters; changing it needs a migration that reinstalls and rebuilds (0005)."""
    return (
        "e.worker_type AS worker_type, e.segment_id AS segment_id, e.kelurahan_id AS kelurahan_id"
    )


def fact_select_sql(vendor: str, where: str) -> str:
    """SELECT of fact rows (columns ``FACT_COLUMNS``) for enrollments matching ``where``
    (a condition on ``e`` = enrollment, ``w`` = worker, ``p`` = program year)."""
    d = _Dialect(vendor)
    heir_select, heir_join = _heir_columns(d)
    age = (
        f"(p.year - {d.year_of('w.birth_date')}"
        f" - CASE WHEN {d.month_day('w.birth_date')} > '{REFERENCE_MONTH_DAY}' THEN 1 ELSE 0 END)"
    )
    bands = " ".join(
        f"WHEN age >= {low} THEN '{label}'" for label, low in AGE_BANDS if low is not None
    )
    renewal_blocking = EnrollmentStatus.REJECTED.value
    inner = f"""
        SELECT e.id AS enrollment_id, e.worker_id, e.program_year_id, p.year AS year,
            e.status, {placement_sql()}, w.dtks_status,
            COALESCE(w.dtks_desil, 0) AS desil, w.sex, {age} AS age, {heir_select},
            (SELECT MIN(ev.at) FROM {T_EVENT} ev WHERE ev.enrollment_id = e.id
                AND ev.to_status = '{EnrollmentStatus.VERIFIED.value}') AS verified_at,
            (SELECT MIN(ev.at) FROM {T_EVENT} ev WHERE ev.enrollment_id = e.id
                AND ev.to_status = '{EnrollmentStatus.ACTIVE.value}') AS activated_at,
            EXISTS (SELECT 1 FROM {T_ENROLLMENT} e2 JOIN {T_YEAR} p2 ON p2.id = e2.program_year_id
                WHERE e2.worker_id = e.worker_id AND p2.year = p.year + 1
                AND e2.status <> '{renewal_blocking}') AS renewed,
            e.committed_amount
        FROM {T_ENROLLMENT} e
        JOIN {T_WORKER} w ON w.id = e.worker_id
        JOIN {T_YEAR} p ON p.id = e.program_year_id
        {heir_join}
        WHERE {where}
    """
    return f"""
        SELECT enrollment_id, worker_id, program_year_id, year, status, worker_type,
            segment_id, kelurahan_id, dtks_status, desil, sex,
            CASE {bands} ELSE '<25' END AS age_band,
            has_heirs, {", ".join(HEIR_COLUMNS)},
            {_clamped_month(d, "verified_at")} AS verified_month,
            {_clamped_month(d, "activated_at")} AS activated_month,
            renewed, committed_amount
        FROM ({inner}) AS raw
    """


# Only the "total" cells keep the enrollment status; the other cells hold a status group,
# which keeps the cube small: breakdowns count participants only, split in two groups
# (active now, and the other participants) so that every breakdown can show both; the trend
# counts every enrollment, renewals count last year's active and ended ones.
PARTICIPANT_GROUP = "participant"
ACTIVE_GROUP = EnrollmentStatus.ACTIVE.value
ALL_GROUP = "all"
RENEWAL_GROUP = "renewal"
_PARTICIPANT_IN = _quoted(s.value for s in QUOTA_STATUSES)
_RENEWAL_IN = _quoted([EnrollmentStatus.ACTIVE.value, EnrollmentStatus.ENDED.value])


def _dims(d: _Dialect) -> list[tuple[str, str, str, str, str]]:
    """(dim, status expression, value expression, count expression, condition) per
    breakdown, over facts ``f``."""
    yes_no = "CASE WHEN {} THEN 'yes' ELSE 'no' END"
    any_school = " + ".join(f"f.{c}" for c in HEIR_COLUMNS)
    participant = (
        f"CASE WHEN f.status = '{ACTIVE_GROUP}' THEN '{ACTIVE_GROUP}'"
        f" ELSE '{PARTICIPANT_GROUP}' END",
        f"f.status IN ({_PARTICIPANT_IN})",
    )
    breakdowns = [
        ("dtks", "f.dtks_status", "1", ""),
        ("desil", "CAST(f.desil AS TEXT)", "1", ""),
        ("sex", "f.sex", "1", ""),
        ("age", "f.age_band", "1", ""),
        ("heirs", yes_no.format(d.true("f.has_heirs")), "1", ""),
        ("school_any", yes_no.format(f"({any_school}) > 0"), "1", ""),
    ]
    breakdowns += [
        ("school_level", f"'{level or 'unknown'}'", f"f.{column}", f"f.{column} > 0")
        for level, column in HEIR_LEVELS
    ]
    dims = [("total", "f.status", "''", "1", "")]
    for dim, value, count, condition in breakdowns:
        where = " AND ".join(c for c in (participant[1], condition) if c)
        dims.append((dim, participant[0], value, count, where))
    dims += [
        (
            "verified",
            f"'{ALL_GROUP}'",
            "CAST(f.verified_month AS TEXT)",
            "1",
            "f.verified_month IS NOT NULL",
        ),
        (
            "activated",
            f"'{ALL_GROUP}'",
            "CAST(f.activated_month AS TEXT)",
            "1",
            "f.activated_month IS NOT NULL",
        ),
        (
            "renewed",
            f"'{RENEWAL_GROUP}'",
            yes_no.format(d.true("f.renewed")),
            "1",
            f"f.status IN ({_RENEWAL_IN})",
        ),
    ]
    return dims


def cells_sql(vendor: str, facts: str) -> str:
    """Unpivot the fact rows of relation ``facts`` into cells: the ``CELL_KEY`` columns plus
    ``dim``, ``value``, ``n`` and ``amount`` (committed rupiah, on ``total`` cells only).
    ``status`` is the enrollment status on ``total`` cells and a status group elsewhere."""
    d = _Dialect(vendor)
    key = ", ".join(f"f.{c}" if c != "status" else "{status} AS status" for c in CELL_KEY)
    parts = []
    for dim, status, value, count, condition in _dims(d):
        amount = "f.committed_amount" if dim == "total" else "0"
        where = f" WHERE {condition}" if condition else ""
        parts.append(
            f"SELECT {key.format(status=status)}, '{dim}' AS dim, {value} AS value,"
            f" {count} AS n, {amount} AS amount FROM {facts} f{where}"
        )
    return "\nUNION ALL\n".join(parts)
