"""Every dashboard figure equals an independent query over the tables.

The expected values are computed here with plain SQL over enrollment, worker, kelurahan and
heir rows (date arithmetic in Python with the models' own rules), never with the
dashboard's fact SQL. On PostgreSQL the dashboard reads the trigger-maintained summary
tables, on SQLite it aggregates live: the same assertions cover both.
"""

from __future__ import annotations

import datetime
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection

from dashboard.facts import HEIR_COLUMNS, HEIR_LEVELS
from dashboard.models import EnrollmentFact
from dashboard.selectors import Filters, dashboard_figures
from enrollment.selectors import year_figures
from participants.models import Heir, Kecamatan, Kelurahan, SchoolLevel, Segment, years_between
from tests.factories import HeirFactory

pytestmark = pytest.mark.django_db

PARTICIPANT = ("diverifikasi", "didaftarkan", "aktif", "berakhir")


def sql(query: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(query, list(params))
        return cursor.fetchall()


def scope(year_id: int, f: Filters, *, participants: bool = True) -> tuple[str, list]:
    where = ["e.program_year_id = %s"]
    params: list = [year_id]
    if participants:
        where.append(f"e.status IN ({', '.join(['%s'] * len(PARTICIPANT))})")
        params += PARTICIPANT
    if f.worker_type:
        where.append("e.worker_type = %s")
        params.append(f.worker_type)
    # Segment and kelurahan as verified: the enrollment's (issue 11.3).
    if f.segment:
        where.append("e.segment_id = %s")
        params.append(f.segment.pk)
    if f.kelurahan:
        where.append("e.kelurahan_id = %s")
        params.append(f.kelurahan.pk)
    if f.kecamatan:
        where.append("k.kecamatan_id = %s")
        params.append(f.kecamatan.pk)
    base = (
        " FROM enrollment_enrollment e JOIN participants_worker w ON w.id = e.worker_id"
        " JOIN participants_kelurahan k ON k.id = e.kelurahan_id WHERE " + " AND ".join(where)
    )
    return base, params


def grouped(column: str, year_id: int, f: Filters, **kw) -> dict:
    base, params = scope(year_id, f, **kw)
    return {str(key): n for key, n in sql(f"SELECT {column}, COUNT(*){base} GROUP BY 1", params)}


def nonzero(rows) -> dict:
    return {r.key: r.participants for r in rows if r.participants}


def band(age: int) -> str:
    for label, low in (("55+", 55), ("45-54", 45), ("35-44", 35), ("25-34", 25)):
        if age >= low:
            return label
    return "<25"


def local_month_index(moment, year: int) -> int:
    local = moment.astimezone(ZoneInfo(settings.TIME_ZONE))
    index = (local.year - year) * 12 + local.month
    return 0 if index < 1 else 13 if index > 12 else index


def assert_matches(program, year, f: Filters) -> None:
    d = dashboard_figures(year, f)
    y = year.pk
    reference = datetime.date(year.year, 7, 1)

    by_type = grouped("e.worker_type", y, f)
    assert d.participants == sum(by_type.values())
    assert {r.key: r.participants for r in d.by_worker_type if r.participants} == by_type
    assert {k: v for k, v in d.by_status.items() if v} == grouped(
        "e.status", y, f, participants=False
    )
    base, params = scope(y, f, participants=False)
    assert (
        d.committed_selection
        == sql(f"SELECT COALESCE(SUM(e.committed_amount), 0){base}", params)[0][0]
    )

    assert nonzero(d.segments) == grouped("e.segment_id", y, f)
    assert nonzero(d.kelurahan) == grouped("e.kelurahan_id", y, f)
    assert nonzero(d.kecamatan) == grouped("k.kecamatan_id", y, f)
    base, params = scope(y, f, participants=False)
    active = {
        str(k): n
        for k, n in sql(
            f"SELECT e.kelurahan_id, COUNT(*){base} AND e.status = 'aktif' GROUP BY 1", params
        )
    }
    assert {r.key: r.active for r in d.kelurahan if r.active} == active
    assert nonzero(d.dtks) == grouped("w.dtks_status", y, f)
    assert nonzero(d.desil) == grouped("COALESCE(w.dtks_desil, 0)", y, f)
    assert nonzero(d.sex) == grouped("w.sex", y, f)

    base, params = scope(y, f)
    births = sql(f"SELECT w.birth_date{base}", params)
    ages = Counter(band(years_between(_date(b), reference)) for (b,) in births)
    assert nonzero(d.age) == dict(ages)

    worker_ids = [w for (w,) in sql(f"SELECT e.worker_id{base}", params)]
    heirs = Heir.objects.filter(worker_id__in=worker_ids)
    with_heirs = set(heirs.values_list("worker_id", flat=True))
    assert nonzero(d.heirs) == {
        k: v
        for k, v in {"yes": len(with_heirs), "no": len(worker_ids) - len(with_heirs)}.items()
        if v
    }
    school = [h for h in heirs if h.is_school_age_on(reference)]
    with_school = {h.worker_id for h in school}
    assert nonzero(d.school_age_any) == {
        k: v
        for k, v in {"yes": len(with_school), "no": len(worker_ids) - len(with_school)}.items()
        if v
    }
    assert nonzero(d.school_levels) == dict(Counter(h.school_level or "unknown" for h in school))

    # Trend: first verification / activation event of every enrollment of the year, by month.
    for dim, status in (("verified", "diverifikasi"), ("activated", "aktif")):
        expected = Counter()
        for year_obj, slot in ((year, 0), (d.previous_year, 1)):
            if year_obj is None:
                continue
            base, params = scope(year_obj.pk, f, participants=False)
            events = " JOIN enrollment_enrollmentevent ev ON ev.enrollment_id = e.id WHERE "
            rows = sql(
                f"SELECT MIN(ev.at){base.replace(' WHERE ', events, 1)}"
                " AND ev.to_status = %s GROUP BY e.id",
                [*params, status],
            )
            for (moment,) in rows:
                expected[(local_month_index(_aware(moment), year_obj.year), slot)] += 1
        got = Counter()
        for month, counts in d.trend[dim].items():
            for slot in (0, 1):
                if counts[slot]:
                    got[(month, slot)] = counts[slot]
        assert got == expected, dim

    # Renewals: last year's active/ended participants, and those with a (not rejected)
    # enrollment this year.
    if d.previous_year:
        base, params = scope(d.previous_year.pk, f, participants=False)
        due = sql(f"SELECT e.worker_id{base} AND e.status IN ('aktif', 'berakhir')", params)
        due_ids = [w for (w,) in due]
        ids = ", ".join(["%s"] * len(due_ids)) or "NULL"
        done = sql(
            "SELECT COUNT(DISTINCT worker_id) FROM enrollment_enrollment WHERE"
            f" program_year_id = %s AND status <> 'ditolak' AND worker_id IN ({ids})",
            [y, *due_ids],
        )[0][0]
        assert (d.renewals_due, d.renewals_done) == (len(due_ids), done)

    # Money: the enrollment app's own selector is the reference.
    money = year_figures(year)
    assert (d.budget.allocated, d.budget.committed, d.budget.realised, d.budget.remaining) == (
        money.allocated,
        money.committed,
        money.realised,
        money.remaining,
    )


def _date(value):
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _aware(value):
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value


def test_every_figure_matches_sql_for_every_filter(program):
    workers = program["workers"]
    kelurahan = workers[0].kelurahan
    filter_sets = [
        Filters(),
        Filters(worker_type="BPU"),
        Filters(worker_type="PU"),
        Filters(segment=workers[1].segment),
        Filters(kecamatan=kelurahan.kecamatan),
        Filters(kelurahan=kelurahan),
        Filters(kecamatan=Kecamatan.objects.exclude(pk=kelurahan.kecamatan_id).first()),
        Filters(segment=workers[0].segment, worker_type="BPU", kecamatan=kelurahan.kecamatan),
    ]
    for year in (program["y2025"], program["y2024"]):
        for f in filter_sets:
            assert_matches(program, year, f)


def test_school_age_heirs_are_counted_per_level_with_kindergarten_before_primary(program):
    d = dashboard_figures(program["y2024"])
    keys = [r.key for r in d.school_levels]
    assert keys[:3] == [SchoolLevel.NOT_YET, SchoolLevel.TK, SchoolLevel.SD]
    tk = next(r for r in d.school_levels if r.key == SchoolLevel.TK)
    assert tk.label == SchoolLevel.TK.label
    assert tk.participants >= 1  # workers[1]'s kindergarten child without birth date

    year = program["y2025"]
    worker = year.enrollments.filter(status="aktif").order_by("pk").first().worker
    f = Filters(kelurahan=worker.kelurahan)
    before = nonzero(dashboard_figures(year, f).school_levels)
    HeirFactory(worker=worker, relationship="child", birth_date=None, school_level="tk")
    HeirFactory(worker=worker, relationship="child", birth_date=None, school_level="belum_sekolah")
    after = nonzero(dashboard_figures(year, f).school_levels)
    assert after["tk"] == before.get("tk", 0) + 1
    assert after.get("belum_sekolah") == before.get("belum_sekolah")  # not school-age
    assert_matches(program, year, f)


def test_every_school_level_has_its_fact_column():
    assert [level for level, _column in HEIR_LEVELS] == [*SchoolLevel.values, ""]
    fact_fields = {f.name for f in EnrollmentFact._meta.get_fields()}
    assert set(HEIR_COLUMNS) <= fact_fields


def test_edge_cases_are_counted_by_the_documented_rule(program):
    d2024 = dashboard_figures(program["y2024"])
    # Terminated mid-year (moved) and deceased (JKM claim) are no longer participants.
    assert d2024.by_status["dihentikan"] == 2
    assert d2024.by_status["berakhir"] == 25
    assert d2024.participants == 25 + 1  # ended + one still submitted
    d2025 = dashboard_figures(program["y2025"])
    # The supervisor's override filled the BPU quota beyond its target (one participant
    # withdrew later); the overridden enrollment counts like any other.
    overridden = program["overridden"]
    overridden.refresh_from_db()
    assert overridden.quota_override and overridden.status == "diverifikasi"
    bpu = next(r for r in d2025.by_worker_type if r.key == "BPU")
    assert bpu.participants >= bpu.target
    # Renewals due are 2024's 25 ended participants; the full PU quota stopped some.
    assert d2025.renewals_due == 25
    assert 0 < d2025.renewals_done < 25


def test_progress_past_the_target_is_shown_but_the_bar_stops_at_full():
    from dashboard.selectors import Row

    row = Row(key="BPU", label="BPU", participants=103, target=100, share_of=200)
    assert row.progress == pytest.approx(103)
    assert row.bar == 100


def test_targets_follow_the_quota_shapes(program):
    y2025 = program["y2025"]
    workers = program["workers"]
    assert dashboard_figures(y2025).target == 18 + 4
    assert dashboard_figures(y2025, Filters(worker_type="PU")).target == 4
    segment = workers[0].segment
    # A segment quota exists for BPU only: with both worker types there is no target.
    assert dashboard_figures(y2025, Filters(segment=segment)).target is None
    assert dashboard_figures(y2025, Filters(segment=segment, worker_type="BPU")).target == 9
    kecamatan = workers[0].kelurahan.kecamatan
    assert dashboard_figures(y2025, Filters(kecamatan=kecamatan, worker_type="BPU")).target == 30
    assert dashboard_figures(y2025, Filters(kelurahan=workers[0].kelurahan)).target is None


def test_an_empty_year_shows_zeroes(db):
    from tests.enrollment.factories import ProgramYearFactory

    d = dashboard_figures(ProgramYearFactory(year=2026, budget=5_000_000))
    assert d.participants == 0
    assert d.budget.remaining == 5_000_000
    assert len(d.kelurahan) == Kelurahan.objects.count()
    assert all(r.participants == 0 for r in d.segments)
    assert Segment.objects.exists()
