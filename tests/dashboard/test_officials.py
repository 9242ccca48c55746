"""What an official meets on the dashboard: the year it opens on, the headline (covered now
against places taken), small counts suppressed without personal-data access, the filters
(kecamatan narrows kelurahan, applied on change, no inline script), and a warning when the
year is over-committed."""

from __future__ import annotations

import datetime
import re
from html import unescape

import pytest
import time_machine
from django.contrib.auth.models import Permission

from dashboard.privacy import suppressed_keys
from dashboard.selectors import dashboard_figures, default_program_year
from enrollment.models import ProgramYear, ProgramYearStatus, QuotaTarget
from participants.models import Kelurahan, WorkerType
from tests.dashboard.test_outputs import assert_outputs_agree, count_of_share, is_count, outputs
from tests.enrollment.factories import ProgramYearFactory

pytestmark = pytest.mark.django_db


# -- small-cell suppression --------------------------------------------------------------


def test_the_rule_hides_small_cells_and_one_more_when_a_single_one_is_hidden():
    assert suppressed_keys({"a": 1, "b": 10, "c": 20}, 31, 3) == {"a", "b"}
    assert suppressed_keys({"a": 1, "b": 2, "c": 20}, 23, 3) == {"a", "b"}
    assert suppressed_keys({"a": 0, "b": 5, "c": 7}, 12, 3) == set()
    # Zeros are never the complementary cell; the smallest non-zero other one is.
    assert suppressed_keys({"a": 2, "b": 0, "c": 9, "d": 4}, 15, 3) == {"a", "d"}
    # A small hidden remainder (total minus the shown cells) counts as a hidden cell.
    assert suppressed_keys({"a": 5, "b": 7}, 13, 3) == {"a"}
    assert suppressed_keys({"a": 5, "b": 7}, 20, 3) == set()


def _groups(data: dict) -> dict[str, list]:
    """Cells of each group whose total the JSON shows."""
    groups = {
        f"{k}.participants": [r["participants"] for r in rows]
        for k, rows in data["breakdowns"].items()
    }
    groups |= {f"{k}.active": [r["active"] for r in rows] for k, rows in data["breakdowns"].items()}
    groups["pipeline"] = list(data["pipeline"].values())
    for area in [data["targeting"]["total"], *data["targeting"]["kelurahan"]]:
        key = area["key"]
        groups[f"targeting.{key}.dtks"] = [
            area["registered"],
            area["not_registered"],
            area["unchecked"],
        ]
        groups[f"targeting.{key}.desil"] = list(area["by_desil"].values())
    return groups


def test_officials_without_personal_data_access_see_small_counts_as_less_than_three(
    client, official, program
):
    client.force_login(official)
    kelurahan = program["workers"][0].kelurahan
    query = {"kelurahan": kelurahan.pk}
    page, report, from_json, from_xlsx, data = outputs(client, 2025, query)
    # The four outputs still agree, "<3" included.
    assert_outputs_agree(page, report, from_json, from_xlsx)
    shown = [
        (name, v)
        for source in (page, from_json, from_xlsx)
        for name, v in source.items()
        if is_count(name)
    ]
    assert any(v == "<3" for _n, v in shown), "the kelurahan has small cells"
    for name, value in shown:
        assert value in ("<3", 0, None) or value >= 3, (name, value)
    # A share of a hidden count is not shown either.
    for name, value in from_json.items():
        if name.startswith("targeting.") and "share" in name and value is not None:
            count, whole = count_of_share(name)
            assert "<3" not in (from_json[count], from_json[whole]), name
    # Totals stay exact; a group never hides exactly one cell (it could be subtracted).
    exact = dashboard_figures(program["y2025"], program_filters(query))
    assert data["participants"] == exact.participants >= 3
    for group, cells in _groups(data).items():
        hidden = sum(1 for c in cells if c == "<3")
        # One hidden cell alone only when it is the whole group (its total is small too).
        assert hidden != 1 or all(c in ("<3", 0) for c in cells), (group, cells)
    page_html = client.get("/dashboard/", {"year": 2025, **query}).content.decode()
    assert "&lt;3" in page_html and "melindungi privasi" in page_html


def test_kelurahan_are_hidden_alike_in_every_table_and_within_their_kecamatan(
    client, official, program
):
    """A kecamatan's total bounds its kelurahan, and kelurahan counts appear both in the
    breakdown and in the targeting table: one hidden kelurahan per kecamatan could be
    subtracted, and one table must not show what the other hides."""
    client.force_login(official)
    for query in ({"worker_type": "PU"}, {"segment": program["workers"][0].segment_id}, {}):
        data = client.get("/dashboard/2025.json", query).json()
        breakdown = {r["key"]: r for r in data["breakdowns"]["kelurahan"]}
        targeting = {r["key"]: r for r in data["targeting"]["kelurahan"]}
        assert {k: r["participants"] for k, r in breakdown.items()} == {
            k: r["participants"] for k, r in targeting.items()
        }
        kecamatan = {r["key"]: r for r in data["breakdowns"]["kecamatan"]}
        assert {k: r["participants"] for k, r in kecamatan.items()} == {
            r["key"]: r["participants"] for r in data["targeting"]["kecamatan"]
        }
        for kec in kecamatan.values():
            cells = [
                r["participants"] for r in breakdown.values() if r["kecamatan"] == kec["label"]
            ]
            hidden = cells.count("<3")
            assert hidden != 1 or all(c in ("<3", 0) for c in cells), (query, kec["label"], cells)
        for row in targeting.values():
            if row["participants"] == "<3":
                counts = [row["registered"], row["not_registered"], row["unchecked"]]
                assert all(c in ("<3", 0) for c in counts), row


def program_filters(query):
    from dashboard.selectors import Filters

    return Filters(kelurahan=Kelurahan.objects.get(pk=query["kelurahan"]))


@pytest.mark.parametrize("codename", ["view_full_nik", "export_personal_data"])
def test_staff_with_personal_data_access_see_exact_counts(client, official, program, codename):
    official.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(official)
    query = {"kelurahan": program["workers"][0].kelurahan.pk}
    page, _report, from_json, from_xlsx, data = outputs(client, 2025, query)
    assert data["suppressed_below"] is None
    assert "<3" not in [*page.values(), *from_json.values(), *from_xlsx.values()]
    assert any(v in (1, 2) for name, v in from_json.items() if is_count(name))


def test_the_threshold_is_a_setting(client, official, program, settings):
    client.force_login(official)
    query = {"kelurahan": program["workers"][0].kelurahan.pk}
    settings.SIAGA_DASHBOARD_MIN_CELL = 1
    assert "<3" not in client.get("/dashboard/2025.json", query).content.decode()
    settings.SIAGA_DASHBOARD_MIN_CELL = 5
    data = client.get("/dashboard/2025.json", query).json()
    assert data["suppressed_below"] == 5
    assert "<5" in str(data["breakdowns"])


# -- the year it opens on, and the headline ------------------------------------------------


def test_the_dashboard_opens_on_the_running_year_with_participants(program):
    y2025 = program["y2025"]
    ProgramYearFactory(year=2026, status=ProgramYearStatus.PLANNING)
    with time_machine.travel(datetime.datetime(2026, 2, 1, 3, tzinfo=datetime.UTC)):
        # 2026 is this calendar year and the latest, but in planning and empty.
        assert default_program_year() == y2025
    ProgramYear.objects.filter(pk=y2025.pk).update(status=ProgramYearStatus.CLOSED)
    ProgramYear.objects.filter(pk=program["y2024"].pk).update(status=ProgramYearStatus.CLOSED)
    # No running year with participants: the latest year with any.
    assert default_program_year() == y2025


def test_an_empty_database_opens_on_the_latest_year(db):
    ProgramYearFactory(year=2030, status=ProgramYearStatus.PLANNING)
    assert default_program_year().year == 2030


def test_the_headline_separates_covered_now_from_places_taken(client, official_exact, program):
    client.force_login(official_exact)
    y2025 = program["y2025"]
    ProgramYearFactory(year=2026, status=ProgramYearStatus.PLANNING)
    response = client.get("/dashboard/")
    assert response.context["d"].program_year == y2025
    html = response.content.decode()
    active = y2025.enrollments.filter(status="aktif").count()
    places = y2025.enrollments.filter(
        status__in=["diverifikasi", "didaftarkan", "aktif", "berakhir"]
    ).count()
    assert 0 < active < places
    headline = html[html.index('class="headline"') : html.index("kpi-budget")]
    assert re.search(
        r"Terlindungi sekarang \(aktif\)</h2>\s*<p[^>]*data-figure=\"active\">" + str(active),
        headline,
    )
    assert re.search(
        r"Tempat terisi</h2>\s*<p[^>]*><span data-figure=\"participants\">" + str(places), headline
    )


# -- filters ----------------------------------------------------------------------------------


def _options(html: str, name: str) -> list[tuple[str, str]]:
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r'<option value="([^"]*)"([^>]*)>', select.group(1))


def test_the_kecamatan_narrows_the_kelurahan_list_and_filters_apply_on_change(
    client, official, program
):
    client.force_login(official)
    html = client.get("/dashboard/", {"year": 2025}).content.decode()
    every = _options(html, "kelurahan")
    assert len(every) == Kelurahan.objects.count() + 1
    for value, attrs in every[1:]:
        kecamatan = Kelurahan.objects.get(pk=value).kecamatan_id
        assert f'data-kecamatan="{kecamatan}"' in attrs  # for static/dashboard/dashboard.js
    kecamatan = program["workers"][0].kelurahan.kecamatan
    narrowed = client.get("/dashboard/", {"year": 2025, "kecamatan": kecamatan.pk}).content.decode()
    values = {v for v, _a in _options(narrowed, "kelurahan") if v}
    assert values == {str(pk) for pk in kecamatan.kelurahan_set.values_list("pk", flat=True)}
    # Auto-submit on change by the static script; the "Show" button stays for no-JS use.
    for name in ("kecamatan", "kelurahan", "segment", "worker_type"):
        assert re.search(rf'<select name="{name}"[^>]*data-autosubmit', html), name
    assert 'type="submit"' in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    # A kelurahan outside the chosen kecamatan is refused, not silently empty.
    other = Kelurahan.objects.exclude(kecamatan=kecamatan).first()
    response = client.get(
        "/dashboard/2025.json", {"kecamatan": kecamatan.pk, "kelurahan": other.pk}
    )
    assert response.status_code == 400
    assert other.name in unescape(str(response.json()["errors"]))


# -- over-commitment --------------------------------------------------------------------------


def test_an_over_committed_year_is_shown_on_the_dashboard(client, official, program):
    client.force_login(official)
    y2025 = program["y2025"]
    assert not client.get("/dashboard/2025.json").json()["over_commitment"]
    committed = dashboard_figures(y2025).budget.committed
    # Limits lowered below what is already used (as an administrator can).
    ProgramYear.objects.filter(pk=y2025.pk).update(budget=committed - 1000)
    quota = QuotaTarget.objects.get(
        program_year=y2025, worker_type="PU", segment=None, kecamatan=None
    )
    QuotaTarget.objects.filter(pk=quota.pk).update(target=1)
    lines = client.get("/dashboard/2025.json").json()["over_commitment"]
    assert len(lines) == 2
    assert "melebihi anggaran" in lines[0] and "Rp 1.000" in lines[0]
    assert lines[1].startswith(f"Kuota {WorkerType.PU.label}") and "target 1" in lines[1]
    html = client.get("/dashboard/", {"year": 2025}).content.decode()
    assert 'id="over-committed"' in html and "Tahun program ini melampaui batasnya" in html


def test_money_committed_by_a_tiny_selection_is_suppressed_too(client, official, program):
    """Rp committed by a selection of one or two people tells their head count."""
    client.force_login(official)
    tiny = None
    for worker in program["workers"]:
        query = {"kelurahan": worker.kelurahan_id, "worker_type": worker.worker_type}
        data = client.get("/dashboard/2025.json", query).json()
        if data["participants"] == "<3":
            tiny = (query, data)
            break
    assert tiny, "the generated data have a kelurahan with one or two participants of a type"
    query, data = tiny
    assert data["budget"]["committed_by_selection"] == "<3"
    assert data["budget"]["committed"] > 0  # the year's budget stays exact
    html = client.get("/dashboard/", {"year": 2025, **query}).content.decode()
    assert 'data-figure="budget.committed_by_selection">&lt;3<' in html
