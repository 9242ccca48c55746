"""The dashboard's targeting ("tepat sasaran") figures: of the year's participants, the DTKS
check result, the desil and school-age heirs, for the selection, per kecamatan and per
kelurahan — against an independent query, under every filter, in JSON, xlsx and on the page.
"""

from __future__ import annotations

import datetime
import io
from collections import Counter, defaultdict
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from dashboard.selectors import Filters, dashboard_figures, targeting_breakdown
from dashboard.summary import VENDORS, refresh_stale
from participants.models import Heir, Kecamatan, Kelurahan
from siaga import formatting
from tests.dashboard.test_figures import scope, sql

pytestmark = pytest.mark.django_db


def pct(part: int, whole: int) -> Decimal:
    if not whole:
        return Decimal("0.0")
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def expected(year, f: Filters) -> tuple[dict[int, Counter], dict[int, int]]:
    """Counts per kelurahan from the enrollment, worker and heir rows, and each kelurahan's
    kecamatan. School age by ``Heir.is_school_age_on`` on 1 July of the year."""
    base, params = scope(year.pk, f)
    rows = sql(
        f"SELECT w.id, w.kelurahan_id, k.kecamatan_id, w.dtks_status, w.dtks_desil{base}", params
    )
    reference = datetime.date(year.year, 7, 1)
    heirs = Heir.objects.filter(worker_id__in=[r[0] for r in rows])
    with_school_age = {h.worker_id for h in heirs if h.is_school_age_on(reference)}
    counts: dict[int, Counter] = defaultdict(Counter)
    kecamatan_of = {}
    for worker_id, kelurahan_id, kecamatan_id, status, desil in rows:
        c = counts[kelurahan_id]
        c["participants"] += 1
        c[status] += 1
        if desil:
            c[f"desil_{desil}"] += 1
        if worker_id in with_school_age:
            c["school"] += 1
        kecamatan_of[kelurahan_id] = kecamatan_id
    return counts, kecamatan_of


def assert_figures(fig, c: Counter) -> None:
    n = c["participants"]
    assert fig.participants == n
    assert (fig.registered, fig.not_registered, fig.unchecked) == (
        c["registered"],
        c["not_registered"],
        c["unchecked"],
    )
    assert fig.checked == c["registered"] + c["not_registered"]
    assert fig.by_desil == {d: c[f"desil_{d}"] for d in range(1, 11)}
    assert fig.with_school_age_heirs == c["school"]
    assert fig.checked_share == pct(c["registered"] + c["not_registered"], n)
    assert fig.registered_share == pct(c["registered"], n)
    assert fig.not_registered_share == pct(c["not_registered"], n)
    assert fig.unchecked_share == pct(c["unchecked"], n)
    assert fig.school_age_heirs_share == pct(c["school"], n)
    assert fig.desil_shares == {d: pct(c[f"desil_{d}"], n) for d in range(1, 11)}


def kelurahan_in(f: Filters) -> set[str]:
    qs = Kelurahan.objects.all()
    if f.kecamatan:
        qs = qs.filter(kecamatan=f.kecamatan)
    if f.kelurahan:
        qs = qs.filter(pk=f.kelurahan.pk)
    return {str(pk) for pk in qs.values_list("pk", flat=True)}


def assert_matches(year, f: Filters) -> None:
    t = dashboard_figures(year, f).targeting
    counts, kecamatan_of = expected(year, f)

    assert_figures(t.total, sum(counts.values(), Counter()))
    assert {r.key for r in t.kelurahan} == kelurahan_in(f)
    for row in t.kelurahan:
        assert_figures(row, counts.get(int(row.key), Counter()))
    per_kecamatan: dict[int, Counter] = defaultdict(Counter)
    for kelurahan_id, c in counts.items():
        per_kecamatan[kecamatan_of[kelurahan_id]].update(c)
    kecamatan_keys = {
        str(pk)
        for pk in Kelurahan.objects.filter(pk__in=[int(k) for k in kelurahan_in(f)]).values_list(
            "kecamatan", flat=True
        )
    }
    assert {r.key for r in t.kecamatan} == kecamatan_keys
    for row in t.kecamatan:
        assert_figures(row, per_kecamatan.get(int(row.key), Counter()))


def test_targeting_figures_match_sql_for_every_filter(program):
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
            assert_matches(year, f)

    # The generated data exercises every part of the figures.
    total = targeting_breakdown(program["y2025"]).total
    assert total.registered and total.not_registered and total.unchecked
    assert sum(total.by_desil.values()) and total.with_school_age_heirs
    assert total.participants == dashboard_figures(program["y2025"]).participants


def test_filters_narrow_the_figures(program):
    year = program["y2025"]
    everything = targeting_breakdown(year)
    kelurahan = program["workers"][0].kelurahan

    by_kecamatan = targeting_breakdown(year, Filters(kecamatan=kelurahan.kecamatan))
    row = next(r for r in everything.kecamatan if r.key == str(kelurahan.kecamatan_id))
    assert (by_kecamatan.total.participants, by_kecamatan.total.by_desil) == (
        row.participants,
        row.by_desil,
    )
    assert [r.key for r in by_kecamatan.kecamatan] == [row.key]

    by_kelurahan = targeting_breakdown(year, Filters(kelurahan=kelurahan))
    row = next(r for r in everything.kelurahan if r.key == str(kelurahan.pk))
    assert [r.key for r in by_kelurahan.kelurahan] == [row.key]
    assert by_kelurahan.total.checked == row.checked < everything.total.checked

    bpu = targeting_breakdown(year, Filters(worker_type="BPU")).total
    pu = targeting_breakdown(year, Filters(worker_type="PU")).total
    for attr in ("participants", "registered", "not_registered", "with_school_age_heirs"):
        assert getattr(bpu, attr) + getattr(pu, attr) == getattr(everything.total, attr)


@pytest.mark.skipif(
    connection.vendor not in VENDORS, reason="the summary cube exists on PostgreSQL and SQLite"
)
def test_the_figures_come_from_the_summary_cube(program):
    refresh_stale()  # SQLite: the refresh before reading reads the registry, once
    with CaptureQueriesContext(connection) as queries:
        targeting_breakdown(program["y2025"], Filters(worker_type="BPU"))
    statements = [q["sql"] for q in queries.captured_queries]
    assert any("dashboard_cubecell" in s for s in statements)
    for statement in statements:
        for table in ("participants_worker", "participants_heir", "enrollment_enrollment"):
            assert table not in statement


ROW_KEYS = {
    "key",
    "label",
    "participants",
    "checked",
    "checked_share",
    "registered",
    "registered_share",
    "not_registered",
    "not_registered_share",
    "unchecked",
    "unchecked_share",
    "by_desil",
    "by_desil_share",
    "with_school_age_heirs",
    "school_age_heirs_share",
}


def test_json_has_the_targeting_section(client, official_exact, program):
    official = official_exact
    client.force_login(official)
    data = client.get("/dashboard/2025.json").json()["targeting"]
    d = dashboard_figures(program["y2025"])
    assert data["school_age_on"] == "2025-07-01"
    assert set(data["total"]) >= ROW_KEYS
    assert all(ROW_KEYS | {"code"} <= set(r) for r in data["kecamatan"])
    assert all(ROW_KEYS | {"code", "kecamatan"} <= set(r) for r in data["kelurahan"])
    assert data["total"]["participants"] == d.participants
    assert data["total"]["checked_share"] == float(d.targeting.total.checked_share)
    assert data["total"]["by_desil"] == {str(k): v for k, v in d.targeting.total.by_desil.items()}
    assert len(data["kelurahan"]) == Kelurahan.objects.count()

    kecamatan = program["workers"][0].kelurahan.kecamatan
    narrowed = client.get("/dashboard/2025.json", {"kecamatan": kecamatan.pk}).json()["targeting"]
    (only,) = narrowed["kecamatan"]
    assert only == next(r for r in data["kecamatan"] if r["key"] == str(kecamatan.pk))
    assert narrowed["total"]["participants"] == only["participants"]


def test_xlsx_has_a_targeting_sheet(client, official_exact, program):
    official = official_exact
    client.force_login(official)
    response = client.get("/dashboard/2025.xlsx", {"worker_type": "BPU"})
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["Tepat sasaran"]
    rows = list(sheet.iter_rows(values_only=True))
    header, total = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert "Peserta" in header and "Desil 10 (%)" in header
    t = dashboard_figures(program["y2025"], Filters(worker_type="BPU")).targeting
    assert total["Peserta"] == t.total.participants
    assert total["Terdaftar di DTKS"] == t.total.registered
    assert total["Dicek ke DTKS (%)"] == float(t.total.checked_share)
    assert len(rows) == 1 + 1 + len(t.kecamatan) + len(t.kelurahan)


def test_page_and_report_show_the_section_in_indonesian(client, official, program):
    client.force_login(official)
    t = dashboard_figures(program["y2025"]).targeting
    for url in ("/dashboard/?year=2025", "/dashboard/2025/report/"):
        page = client.get(url).content.decode()
        assert 'id="targeting"' in page and "Tepat sasaran" in page
        assert formatting.percent(t.total.checked_share) in page
        assert "1 Juli 2025" in page
        assert "Per kelurahan" in page
