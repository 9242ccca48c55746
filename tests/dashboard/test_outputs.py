"""Every figure of the dashboard is the same in its four outputs — the page, the JSON, the
xlsx and the printable report — and equals an independent SQL count (issue 11, req. 9).

The page and the report mark every figure with ``data-figure="<name>"``; the JSON and the
xlsx are read into the same names. The test then checks, for every breakdown (worker type,
segment, kecamatan, kelurahan, DTKS, desil, sex, age band, heirs, school-age heirs, school
level: participants *and* active), the headline, budget, pipeline, renewals, trend, the
targeting figures and the complaints per category (open, overdue, answered in 30 days):
page == report, page ⊆ JSON, xlsx ⊆ JSON, and JSON == SQL for every count. Runs on SQLite and
on PostgreSQL (each reading its trigger-maintained summary).
"""

from __future__ import annotations

import datetime
import io
import re
from collections import Counter, defaultdict
from decimal import Decimal
from html import unescape

import pytest
import time_machine
from django.utils import translation
from openpyxl import load_workbook

from dashboard.selectors import Filters
from enrollment.models import EnrollmentStatus
from enrollment.selectors import year_figures
from participants.models import Heir, Kecamatan, Kelurahan, Segment, years_between
from tests.dashboard.test_figures import (
    _aware,
    _date,
    band,
    local_month_index,
    scope,
    sql,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIGURE = re.compile(r'data-figure="([^"]+)"[^>]*>([^<]*)<')


def parse_text(text: str):
    """A figure as shown: 14.087 → 14087, Rp 1.000 → 1000, 72,7% → Decimal, – → None."""
    text = text.strip()
    if text == "–":
        return None
    if text.startswith("<"):
        return text
    negative = text.startswith("-")
    text = text.lstrip("-").removeprefix("Rp ").strip()
    if text.endswith("%"):
        return Decimal(text[:-1].replace(".", "").replace(",", "."))
    value = int(text.replace(".", ""))
    return -value if negative else value


def page_figures(html: str) -> dict:
    figures = {}
    for name, text in FIGURE.findall(html):
        name, value = unescape(name), parse_text(unescape(text))
        assert figures.setdefault(name, value) == value, f"{name} shown twice, differently"
    return figures


def _number(value):
    """JSON/xlsx value in the page's terms (shares as one-decimal Decimals)."""
    if isinstance(value, float):
        return Decimal(str(value)).quantize(Decimal("0.1"))
    return value


def json_figures(data: dict) -> dict:
    f = {"active": data["active"], "participants": data["participants"]}
    f["target"] = data["target"]
    for key, value in data["budget"].items():
        f[f"budget.{key}"] = value
    for status, n in data["pipeline"].items():
        f[f"pipeline.{status}"] = n
    f["renewals.due"] = data["renewals"]["due"]
    f["renewals.done"] = data["renewals"]["done"]
    for breakdown, rows in data["breakdowns"].items():
        for row in rows:
            for column in ("participants", "active", "target"):
                f[f"{breakdown}.{row['key']}.{column}"] = row[column]
    for row in data["trend"]:
        for column, value in row.items():
            if column != "month":
                f[f"trend.{row['month']}.{column}"] = value
    t = data["targeting"]
    areas = [("total", None, t["total"])]
    areas += [("kecamatan", r["key"], r) for r in t["kecamatan"]]
    areas += [("kelurahan", r["key"], r) for r in t["kelurahan"]]
    for level, key, row in areas:
        prefix = f"targeting.{level}" + (f".{key}" if key else "")
        for column, value in row.items():
            if column in ("by_desil", "by_desil_share"):
                name = "desil" if column == "by_desil" else "desil_share"
                for desil, n in value.items():
                    f[f"{prefix}.{name}.{desil}"] = _number(n)
            elif column not in ("key", "label", "code", "kecamatan"):
                f[f"{prefix}.{column}"] = _number(value)
    for row in data["complaints"]["by_category"]:
        for column in ("open", "overdue", "answered"):
            f[f"complaints.{row['key']}.{column}"] = row[column]
    return f


def xlsx_figures(content: bytes, data: dict) -> dict:
    """The workbook's figures under the page's names; rows are matched to keys by their
    labels in the JSON (the same translated labels)."""
    book = load_workbook(io.BytesIO(content))
    f = {}
    _ = translation.gettext  # the workbook is written in the active language (id)
    summary = {row[0]: row[1] for row in book[_("Summary")[:31]].iter_rows(values_only=True)}
    for name, label in (
        ("active", "Covered now (active)"),
        ("participants", "Places taken"),
        ("target", "Target"),
        ("budget.allocated", "Budget allocated (Rp)"),
        ("budget.committed", "Budget committed (Rp)"),
        ("budget.realised", "Budget realised (Rp)"),
        ("budget.remaining", "Budget remaining (Rp)"),
        ("budget.committed_by_selection", "Committed by the selection (Rp)"),
        ("renewals.due", "Renewals due"),
        ("renewals.done", "Renewals done"),
    ):
        f[name] = summary[_(label)]
    for status in EnrollmentStatus:
        f[f"pipeline.{status.value}"] = summary[str(status.label)]
    # One sheet per breakdown after the summary, in the JSON's order.
    for index, (breakdown, rows) in enumerate(data["breakdowns"].items(), 1):
        sheet = list(book.worksheets[index].iter_rows(values_only=True))[1:]
        assert len(sheet) == len(rows), breakdown
        key_of = {r["label"]: r["key"] for r in rows}
        for label, participants, active, target, _share in sheet:
            key = key_of[label]
            f[f"{breakdown}.{key}.participants"] = participants
            f[f"{breakdown}.{key}.active"] = active
            f[f"{breakdown}.{key}.target"] = target
    trend = list(book[_("Trend")[:31]].iter_rows(values_only=True))[1:]
    assert len(trend) == len(data["trend"])
    for row, values in zip(data["trend"], trend, strict=True):
        for column, value in zip(
            ("verified", "verified_previous_year", "activated", "activated_previous_year"),
            values[1:],
            strict=True,
        ):
            f[f"trend.{row['month']}.{column}"] = value
    sheet = list(book[_("Targeting")[:31]].iter_rows(values_only=True))
    header, lines = sheet[0], sheet[1:]
    t = data["targeting"]
    areas = [("total", None)] + [("kecamatan", r["key"]) for r in t["kecamatan"]]
    areas += [("kelurahan", r["key"]) for r in t["kelurahan"]]
    assert len(lines) == len(areas)
    columns = {
        "participants": 3,
        "checked": 4,
        "checked_share": 5,
        "registered": 6,
        "registered_share": 7,
        "not_registered": 8,
        "not_registered_share": 9,
        "unchecked": 10,
        "unchecked_share": 11,
        "with_school_age_heirs": 32,
        "school_age_heirs_share": 33,
    }
    assert header[32].startswith(_("With school-age heirs"))
    for (level, key), line in zip(areas, lines, strict=True):
        prefix = f"targeting.{level}" + (f".{key}" if key else "")
        for column, index in columns.items():
            f[f"{prefix}.{column}"] = _number(line[index])
        for desil in range(1, 11):
            f[f"{prefix}.desil.{desil}"] = line[11 + desil]
            f[f"{prefix}.desil_share.{desil}"] = _number(line[21 + desil])
    complaints = list(book[_("Complaints")[:31]].iter_rows(values_only=True))[1:]
    rows = data["complaints"]["by_category"]
    assert [line[0] for line in complaints] == [r["label"] for r in rows]
    for row, (_label, *values) in zip(rows, complaints, strict=True):
        for column, value in zip(("open", "overdue", "answered"), values, strict=True):
            f[f"complaints.{row['key']}.{column}"] = value
    return f


def sql_complaints() -> dict:
    """Complaints per category from the ticket table: open (baru, diproses, menunggu), overdue
    (open, deadline before today), answered (selesai/ditutup in the last 30 days)."""
    from django.utils import timezone

    today, since = timezone.localdate(), timezone.now() - datetime.timedelta(days=30)
    out: dict = defaultdict(int)
    for category, status, deadline, resolved_at in sql(
        "SELECT category, status, deadline, resolved_at FROM complaints_ticket", []
    ):
        if status in ("baru", "diproses", "menunggu"):
            out[f"complaints.{category}.open"] += 1
            out[f"complaints.{category}.overdue"] += _date(deadline) < today
        elif resolved_at is not None and _aware(resolved_at) >= since:
            out[f"complaints.{category}.answered"] += 1
    return out


def make_complaints(program) -> None:
    """Open complaints (overdue: received in 2024), one answered today, one long ago."""
    from complaints import services as complaints

    staff = UserFactory(username="pengaduan")
    workers = program["workers"]
    with time_machine.travel(datetime.datetime(2024, 3, 4, 2, 0, tzinfo=datetime.UTC)):
        for worker, category in zip(
            workers, ["tidak_aktif", "tidak_aktif", "klaim", "data_salah"], strict=False
        ):
            complaints.ticket_open(
                worker=worker, category=category, channel="whatsapp", description="-", user=staff
            )
        old = complaints.ticket_open(
            worker=workers[4], category="klaim", channel="datang", description="-", user=staff
        )
        complaints.ticket_resolve(ticket=old, resolution="Dijawab", user=staff)
    recent = complaints.ticket_open(
        worker=workers[5], category="lainnya", channel="datang", description="-", user=staff
    )
    complaints.ticket_resolve(ticket=recent, resolution="Dijawab", user=staff)
    complaints.ticket_open(
        worker=workers[6], category="lainnya", channel="datang", description="-", user=staff
    )


def sql_figures(year, previous, f: Filters) -> dict:
    """Every count from the enrollment, worker, kelurahan and heir tables, independently of
    the dashboard's fact SQL (same rules: participants = verified … ended; age and school
    age on 1 July)."""
    y = year.pk
    reference = datetime.date(year.year, 7, 1)
    out: dict = defaultdict(int)
    base, params = scope(y, f)
    rows = sql(
        "SELECT e.id, e.status, e.worker_type, w.id, w.segment_id, w.kelurahan_id,"
        f" k.kecamatan_id, w.dtks_status, COALESCE(w.dtks_desil, 0), w.sex, w.birth_date{base}",
        params,
    )
    worker_ids = [r[3] for r in rows]
    heirs_by_worker = defaultdict(list)
    for heir in Heir.objects.filter(worker_id__in=worker_ids):
        heirs_by_worker[heir.worker_id].append(heir)
    for _id, status, wtype, wid, seg, kel, kec, dtks, desil, sex, birth in rows:
        active = status == "aktif"
        school = [h for h in heirs_by_worker[wid] if h.is_school_age_on(reference)]
        keys = [
            ("worker_type", wtype),
            ("segment", seg),
            ("kecamatan", kec),
            ("kelurahan", kel),
            ("dtks", dtks),
            ("desil", desil),
            ("sex", sex),
            ("age", band(years_between(_date(birth), reference))),
            ("heirs", "yes" if heirs_by_worker[wid] else "no"),
            ("school_age_heirs", "yes" if school else "no"),
        ]
        for breakdown, key in keys:
            out[f"{breakdown}.{key}.participants"] += 1
            out[f"{breakdown}.{key}.active"] += active
        for heir in school:
            out[f"school_level.{heir.school_level or 'unknown'}.participants"] += 1
            out[f"school_level.{heir.school_level or 'unknown'}.active"] += active
        out["participants"] += 1
        out["active"] += active
        # Targeting per area (counts; shares are checked against these below).
        for prefix in (
            "targeting.total",
            f"targeting.kecamatan.{kec}",
            f"targeting.kelurahan.{kel}",
        ):
            out[f"{prefix}.participants"] += 1
            out[f"{prefix}.{dtks}"] += 1
            if dtks in ("registered", "not_registered"):
                out[f"{prefix}.checked"] += 1
            if desil:
                out[f"{prefix}.desil.{desil}"] += 1
            out[f"{prefix}.with_school_age_heirs"] += bool(school)

    base, params = scope(y, f, participants=False)
    for status, n in sql(f"SELECT e.status, COUNT(*){base} GROUP BY 1", params):
        out[f"pipeline.{status}"] = n
    out["budget.committed_by_selection"] = sql(
        f"SELECT COALESCE(SUM(e.committed_amount), 0){base}", params
    )[0][0]
    money = year_figures(year)
    out["budget.allocated"] = money.allocated
    out["budget.committed"] = money.committed
    out["budget.realised"] = money.realised
    out["budget.remaining"] = money.remaining

    for column, status in (("verified", "diverifikasi"), ("activated", "aktif")):
        for year_obj, suffix in ((year, ""), (previous, "_previous_year")):
            if year_obj is None:
                continue
            base, params = scope(year_obj.pk, f, participants=False)
            events = " JOIN enrollment_enrollmentevent ev ON ev.enrollment_id = e.id WHERE "
            for (moment,) in sql(
                f"SELECT MIN(ev.at){base.replace(' WHERE ', events, 1)}"
                " AND ev.to_status = %s GROUP BY e.id",
                [*params, status],
            ):
                month = local_month_index(_aware(moment), year_obj.year)
                out[f"trend.{month}.{column}{suffix}"] += 1

    if previous:
        base, params = scope(previous.pk, f, participants=False)
        due = [
            w
            for (w,) in sql(
                f"SELECT e.worker_id{base} AND e.status IN ('aktif', 'berakhir')", params
            )
        ]
        out["renewals.due"] = len(due)
        ids = ", ".join(["%s"] * len(due)) or "NULL"
        out["renewals.done"] = sql(
            "SELECT COUNT(DISTINCT worker_id) FROM enrollment_enrollment WHERE"
            f" program_year_id = %s AND status <> 'ditolak' AND worker_id IN ({ids})",
            [y, *due],
        )[0][0]
    return out


def count_of_share(name: str) -> tuple[str, str]:
    """The names of the count and of the whole behind a targeting share."""
    prefix, column = name.rsplit(".", 1)
    if column.isdigit():  # ….desil_share.<d>
        prefix, count = prefix.rsplit(".", 1)[0], f"desil.{column}"
    else:
        count = {"school_age_heirs_share": "with_school_age_heirs"}.get(
            column, column.removesuffix("_share")
        )
    return f"{prefix}.{count}", f"{prefix}.participants"


def share(part: int, whole: int) -> Decimal:
    from dashboard.selectors import share as dashboard_share

    return dashboard_share(part, whole)


def is_count(name: str) -> bool:
    """Names of figures that count people (or heirs), as opposed to targets, money, shares."""
    money_or_target = name.startswith(("budget.", "target")) or name.endswith(".target")
    return not (money_or_target or "share" in name)


def outputs(client, year: int, query: dict) -> tuple[dict, dict, dict, dict, dict]:
    page = client.get("/dashboard/", {"year": year, **query})
    assert page.status_code == 200
    report = client.get(f"/dashboard/{year}/report/", query)
    data = client.get(f"/dashboard/{year}.json", query).json()
    xlsx = client.get(f"/dashboard/{year}.xlsx", query).content
    return (
        page_figures(page.content.decode()),
        page_figures(report.content.decode()),
        json_figures(data),
        xlsx_figures(xlsx, data),
        data,
    )


def assert_outputs_agree(page, report, from_json, from_xlsx) -> None:
    assert report == page
    missing = {name for name in page if name not in from_json}
    assert not missing, f"figures on the page but not in the JSON: {sorted(missing)[:10]}"
    for name, value in page.items():
        assert value == from_json[name], (name, value, from_json[name])
    for name, value in from_xlsx.items():
        assert value == from_json[name], (name, value, from_json[name])
    # Every JSON figure is on the page (targets where there are some; the shares of empty
    # areas are shown as "–" and have no figure).
    for name in from_json:
        if name.endswith(".target") or name == "target" or name.startswith("trend."):
            continue
        if "share" in name and name.split(".")[1] in ("kecamatan", "kelurahan"):
            continue
        per_area = name.startswith("targeting.") and name.split(".")[1] in (
            "kecamatan",
            "kelurahan",
        )
        if per_area and not name.endswith(".participants"):
            continue  # per-area counts are in the JSON and xlsx; the page shows shares
        if name == "budget.committed_by_selection" and name not in page:
            continue  # shown under a filter only
        if name == "targeting.total.participants":
            # in the section's sentence; the same number as the headline's places taken
            assert from_json[name] == page["participants"]
            continue
        assert name in page, f"{name} is in the JSON but not on the page"


FILTER_SETS = [
    lambda w: {},
    lambda w: {"worker_type": "BPU"},
    lambda w: {"kelurahan": w.kelurahan.pk},
    lambda w: {"kecamatan": w.kelurahan.kecamatan.pk, "worker_type": "PU"},
    lambda w: {"segment": w.segment.pk},
]


def _filters(query: dict) -> Filters:
    return Filters(
        kecamatan=Kecamatan.objects.get(pk=query["kecamatan"]) if "kecamatan" in query else None,
        kelurahan=Kelurahan.objects.get(pk=query["kelurahan"]) if "kelurahan" in query else None,
        segment=Segment.objects.get(pk=query["segment"]) if "segment" in query else None,
        worker_type=query.get("worker_type"),
    )


def test_every_figure_is_the_same_in_page_json_xlsx_report_and_sql(client, official_exact, program):
    client.force_login(official_exact)
    worker = program["workers"][0]
    make_complaints(program)
    complaints = sql_complaints()
    assert complaints["complaints.tidak_aktif.overdue"] == 2
    assert complaints["complaints.lainnya.answered"] == 1
    checked = Counter()
    for year in (program["y2025"], program["y2024"]):
        previous = program["y2024"] if year == program["y2025"] else None
        for make_query in FILTER_SETS:
            query = make_query(worker)
            page, report, from_json, from_xlsx, data = outputs(client, year.year, query)
            assert_outputs_agree(page, report, from_json, from_xlsx)
            expected = {**sql_figures(year, previous, _filters(query)), **complaints}
            for name, value in from_json.items():
                if "share" in name or name.endswith(".target") or name == "target":
                    continue
                assert value == expected.get(name, 0), (year.year, query, name)
                checked[name.split(".")[0]] += 1
            # Shares against the SQL counts (targeting: of the area's participants).
            for name, value in from_json.items():
                if not name.startswith("targeting.") or "share" not in name:
                    continue
                count, whole = count_of_share(name)
                assert value == share(expected.get(count, 0), expected.get(whole, 0)), (
                    year.year,
                    query,
                    name,
                )
    # Every breakdown was compared, with its active column.
    for breakdown in (
        "worker_type",
        "segment",
        "kecamatan",
        "kelurahan",
        "dtks",
        "desil",
        "sex",
        "age",
        "heirs",
        "school_age_heirs",
        "school_level",
        "pipeline",
        "trend",
        "targeting",
        "renewals",
        "budget",
        "complaints",
    ):
        assert checked[breakdown], breakdown


def test_active_is_counted_in_every_breakdown(client, official_exact, program):
    """The regression of issue 11: "Aktif" was 0 in the breakdowns other than segment and
    region in the JSON and xlsx."""
    client.force_login(official_exact)
    data = client.get("/dashboard/2025.json").json()
    active = data["active"]
    assert active > 0
    for breakdown, rows in data["breakdowns"].items():
        if breakdown == "school_level":
            continue  # counts heirs, not participants
        assert sum(r["active"] for r in rows) == active, breakdown
