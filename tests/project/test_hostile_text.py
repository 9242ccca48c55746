"""Hostile text in worker names, birth places, addresses and heir names (issue #6, item 5).

HTML is stored verbatim and shown escaped on every page staff use; text that starts like a
spreadsheet formula is refused on the way in and defused (leading ``'``) on the way out; text
at the model's max_length round-trips through import, the database and export, one character
more is a row/column or form error (never a 500 or a DataError: run on PostgreSQL); any
Unicode comes back exactly as it went in; invisible control characters, which xlsx cannot
hold, are refused on the way in and never crash an export.
"""

from __future__ import annotations

import datetime
import io
import json

import pytest
import tablib
import time_machine
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils.html import escape
from openpyxl import Workbook, load_workbook

from accounts.roles import OPERATOR
from enrollment import bpjs
from enrollment.models import EnrollmentStatus
from importer.models import ImportJob
from participants.models import Heir, Segment, Worker
from participants.resources import TEMPLATE_SHEET, WORKER_COLUMNS, WorkerResource
from targeting.exports import dtks_request_export
from targeting.models import TargetingRule
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance
from tests.factories import (
    HeirFactory,
    UserFactory,
    WorkerFactory,
    cli_user_args,
    make_nik,
    worker_admin_form,
)

pytestmark = pytest.mark.django_db

HTML = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    'O\'Brien & "Sons"',
]
FORMULAS = ['=HYPERLINK("http://x","klik")', "+1", "-2", "@SUM(A1)"]
# What a page must never contain, whatever the value: a live tag.
LIVE_MARKUP = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>"]
# Free-text columns of the candidate list: (header, model field, max_length).
TEXT_COLUMNS = [
    ("Nama", "full_name", 150),
    ("Tempat Lahir", "birth_place", 100),
    ("Alamat", "address", 255),
    ("Nama Ahli Waris", "heir_name", 150),
]
UNICODE = [
    "Siti Nurhaliza ʼ",
    "Sri 👩🏽‍🌾 Lestari 🌾",
    "Nu\u0301r Re\u0301ne\u0301 A\u0308ni",  # combining accents, not precomposed
    "محمد عبد الله",
    "Ayu \u200fمريم\u200e Putri",  # right-to-left text with direction marks
    "Ñoño Çelik Øre 林",
]
ADD_URL = reverse("admin:participants_worker_add")
EXPORT_URL = reverse("admin:participants_worker_export")
IMPORT_URL = reverse("admin:participants_worker_import")


@pytest.fixture(autouse=True)
def private_staging_dir(settings, tmp_path):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"


def operator_user():
    """A user holding exactly the Operator role (the group accounts.roles creates)."""
    user = UserFactory(username="operator")
    user.groups.add(Group.objects.get(name=OPERATOR))
    return user


@pytest.fixture(params=["superuser", "operator"])
def staff_client(request, client):
    if request.param == "superuser":
        user = UserFactory(username="admin", is_superuser=True)
    else:
        user = operator_user()
    client.force_login(user)
    return client


def add_form(**overrides):
    # No school level: the worker stays on the heirs follow-up worklist.
    return worker_admin_form(**{"employer_name": "", "heirs-0-school_level": "", **overrides})


def change_form(worker: Worker, **overrides):
    heir = worker.heirs.get()
    data = add_form(
        nik=worker.nik,
        full_name=worker.full_name,
        birth_place=worker.birth_place,
        address=worker.address,
        **{"heirs-0-name": heir.name, "heirs-INITIAL_FORMS": "1"},
    )
    data.update({"heirs-0-id": heir.pk, "heirs-0-worker": worker.pk})
    data.update(overrides)
    return data


def assert_shown_escaped(page: str, value: str) -> None:
    for markup in LIVE_MARKUP:
        assert markup not in page
    assert value not in page
    assert escape(value) in page


def candidate_xlsx(*rows: dict, title: str = TEMPLATE_SHEET) -> bytes:
    """A candidate list on the official headers, every cell a text cell as typed into a
    Text-formatted column (openpyxl would otherwise store "=…" as a formula)."""
    headers = [c.label for c in WORKER_COLUMNS.columns]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    sheet.append(headers)
    for number, row in enumerate(rows, start=2):
        for column, header in enumerate(headers, start=1):
            if row.get(header) is not None:
                cell = sheet.cell(row=number, column=column, value=row[header])
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def candidate(serial: int = 1, **overrides) -> dict:
    born = datetime.date(1985, 3, 12)
    row = {
        "NIK": make_nik(birth_date=born, sex="P", serial=serial),
        "Nama": f"Siti Aminah {serial}",
        "Tempat Lahir": "Madiun",
        "Tanggal Lahir": "12-03-1985",
        "Jenis Kelamin": "P",
        "Alamat": "Jl. Salak 3",
        "RT": "001",
        "RW": "002",
        "Kelurahan": "Kelun",
        "Jenis Pekerja": "BPU",
        "Kategori": "PKL",
        "Nama Ahli Waris": "Andi",
        "Hubungan Ahli Waris": "Anak",
        "Tgl Lahir Ahli Waris": "01-06-2015",
    }
    row.update(overrides)
    return row


def import_command(tmp_path, content: bytes, capsys, name="daftar.xlsx"):
    path = tmp_path / name
    path.write_bytes(content)
    code = 0
    try:
        call_command("import_workers", str(path), "--json", *cli_user_args())
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(capsys.readouterr().out)


def sheet_of(content: bytes, name: str | None = None):
    workbook = load_workbook(io.BytesIO(content))
    return workbook[name] if name else workbook.active


def rows_by_header(sheet) -> list[dict]:
    rows = list(sheet.iter_rows())
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, row, strict=False)) for row in rows[1:]]


def export_workers_xlsx(client) -> bytes:
    """The admin's worker export (django-import-export), as xlsx."""
    page = client.get(EXPORT_URL)
    assert page.status_code == 200
    data = {"format": "0", "resource": "0"}  # XLSX is the first format
    for name, field in page.context["form"].fields.items():
        if name.startswith("workerresource_") or getattr(field, "is_selectable_field", False):
            data[name] = "on"
    response = client.post(EXPORT_URL, data)
    assert response.status_code == 200
    return response.content


def exporter_client(client):
    user = UserFactory(username="pengekspor")
    user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_worker", "export_personal_data", "view_full_nik"]
        )
    )
    client.force_login(user)
    return client, user


def assert_defused(cell, value: str) -> None:
    """A text cell a spreadsheet shows as ``value`` and never runs as a formula."""
    assert cell.data_type == "s"
    if value.lstrip("+-").isdigit():
        # "+1" / "-2" are plain numbers to a spreadsheet, never formulas: kept readable
        # (importer.exports.escape_formula), but still stored as text.
        assert cell.value in (value, "'" + value)
    else:
        assert cell.value == "'" + value


# --- 1. HTML is stored verbatim and shown escaped ---------------------------------------------


@pytest.mark.parametrize("value", HTML)
def test_html_saved_in_the_admin_is_stored_verbatim_and_shown_escaped(staff_client, value):
    response = staff_client.post(
        ADD_URL,
        add_form(full_name=value, birth_place=value, address=value, **{"heirs-0-name": value}),
    )
    assert response.status_code == 302, response.context["errors"]
    worker = Worker.objects.get()
    heir = worker.heirs.get()
    assert (worker.full_name, worker.birth_place, worker.address, heir.name) == (value,) * 4

    # The change form saves another hostile value verbatim too.
    changed = f"{value} 2"
    response = staff_client.post(
        reverse("admin:participants_worker_change", args=[worker.pk]),
        change_form(worker, address=changed, **{"heirs-0-name": changed}),
    )
    assert response.status_code == 302, response.context["errors"]
    worker.refresh_from_db()
    heir.refresh_from_db()
    assert (worker.full_name, worker.address, heir.name) == (value, changed, changed)

    pages = {
        "changelist": reverse("admin:participants_worker_changelist"),
        # The dashboard's drill-down link lands on the changelist filtered by kelurahan.
        "drill-down": reverse("admin:participants_worker_changelist")
        + f"?kelurahan__id__exact={worker.kelurahan_id}",
        "change form": reverse("admin:participants_worker_change", args=[worker.pk]),
        "history": reverse("admin:participants_worker_history", args=[worker.pk]),
        "heir list": reverse("admin:participants_heir_changelist"),
        "heir change form": reverse("admin:participants_heir_change", args=[heir.pk]),
        "heir history": reverse("admin:participants_heir_history", args=[heir.pk]),
        "heirs follow-up worklist": reverse("admin:targeting_heirfollowup_changelist"),
    }
    for name, url in pages.items():
        response = staff_client.get(url)
        assert response.status_code == 200, name
        page = response.content.decode()
        assert_shown_escaped(page, value)
    change_page = staff_client.get(pages["change form"]).content.decode()
    assert_shown_escaped(change_page, changed)  # the address and the heir inline
    worklist = staff_client.get(pages["heirs follow-up worklist"]).content.decode()
    assert_shown_escaped(worklist, changed)  # the address column


@pytest.mark.parametrize("value", HTML)
def test_html_is_shown_escaped_on_the_targeting_worklists(admin_client, value):
    year = ProgramYearFactory(year=2024)
    rule = TargetingRule.objects.create(program_year=year)
    WorkerFactory(full_name=value, address=value, birth_place=value)
    for url in [
        reverse("admin:targeting_dtkscheck_changelist"),
        reverse("admin:targeting_heirfollowup_changelist"),
        reverse("admin:targeting_targetingrule_priority", args=[rule.pk]),
    ]:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        assert_shown_escaped(response.content.decode(), value)


@pytest.mark.parametrize("value", HTML)
def test_html_in_an_import_file_is_previewed_escaped_and_stored_verbatim(admin_client, value):
    content = candidate_xlsx(candidate(1, Nama=value, Alamat=value, **{"Nama Ahli Waris": value}))
    admin_client.post(IMPORT_URL, {"import_file": SimpleUploadedFile("daftar.xlsx", content)})
    job = ImportJob.objects.get()
    preview = admin_client.get(reverse("admin:participants_worker_import_preview", args=[job.pk]))
    assert preview.status_code == 200
    assert_shown_escaped(preview.content.decode(), value)
    admin_client.post(reverse("admin:participants_worker_process_import"), {"job": job.pk})
    worker = Worker.objects.get()
    assert (worker.full_name, worker.address, worker.heirs.get().name) == (value,) * 3


@pytest.mark.parametrize("value", HTML)
def test_html_in_a_segment_name_is_escaped_on_the_dashboard(client, value):
    ProgramYearFactory(year=2024)
    Segment.objects.create(code="hostile", name=value)
    user = UserFactory(username="pimpinan")
    user.user_permissions.add(
        Permission.objects.get(codename="view_dashboard"),
        Permission.objects.get(codename="view_worker"),  # with the drill-down links
    )
    client.force_login(user)
    for url in ["/dashboard/?year=2024", "/dashboard/2024/report/"]:
        response = client.get(url)
        assert response.status_code == 200
        assert_shown_escaped(response.content.decode(), value)


# --- 2. Formula prefixes: refused on the way in, defused on the way out ----------------------


@pytest.mark.parametrize("value", FORMULAS)
def test_import_command_refuses_formula_prefixes_by_row_and_column(tmp_path, capsys, value):
    row = candidate(1, **{header: value for header, _field, _max in TEXT_COLUMNS})
    code, report = import_command(tmp_path, candidate_xlsx(candidate(2), row), capsys)
    assert code == 1
    assert report["invalid"] == 1
    errors = {(e["row"], e["column"]): e for e in report["errors"]}
    assert set(errors) == {(3, header) for header, _field, _max in TEXT_COLUMNS}
    for error in errors.values():
        assert error["code"] == "formula"
        assert error["message"] == (
            f"Teks tidak boleh diawali {value[0]}: spreadsheet akan menjalankannya sebagai rumus."
        )
    assert not Worker.objects.exists()


@pytest.mark.parametrize("value", FORMULAS)
def test_resource_import_refuses_formula_prefixes_by_column(value):
    headers = [c.label for c in WORKER_COLUMNS.columns]
    row = candidate(1, **{header: value for header, _field, _max in TEXT_COLUMNS})
    dataset = tablib.Dataset([row.get(h) for h in headers], headers=headers, title=TEMPLATE_SHEET)
    result = WorkerResource().import_data(dataset, dry_run=True)
    [invalid] = result.invalid_rows
    assert invalid.number == 2
    by_column = invalid.error_dict
    assert set(by_column) == {header for header, _field, _max in TEXT_COLUMNS}
    for messages in by_column.values():
        assert any("tidak boleh diawali" in str(m) for m in messages)
    assert not Worker.objects.exists()


@pytest.mark.parametrize("value", FORMULAS)
def test_the_admin_refuses_formula_prefixes_with_a_form_error(staff_client, value):
    response = staff_client.post(
        ADD_URL,
        add_form(full_name=value, birth_place=value, address=value, **{"heirs-0-name": value}),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    for field in ["full_name", "birth_place", "address"]:
        assert [e.code for e in form.errors.as_data()[field]] == ["formula"]
    heir_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert [e.code for e in heir_form.errors.as_data()["name"]] == ["formula"]
    assert "Teks tidak boleh diawali" in response.content.decode()
    assert not Worker.objects.exists()


def legacy_formula_worker(value: str) -> Worker:
    """Text the validators now refuse, as older records or a direct database write hold it."""
    worker = WorkerFactory(full_name=value, birth_place=value, address=value, employer_name=value)
    HeirFactory(worker=worker, name=value)
    return worker


@pytest.mark.parametrize("value", FORMULAS)
def test_the_worker_export_defuses_formula_text(client, value):
    legacy_formula_worker(value)
    client, _user = exporter_client(client)
    [row] = rows_by_header(sheet_of(export_workers_xlsx(client)))
    for header in ["Nama", "Tempat Lahir", "Alamat", "Nama Kelompok/Pemberi Kerja"]:
        assert_defused(row[header], value)


@pytest.mark.parametrize("value", FORMULAS)
def test_the_bpjs_export_defuses_formula_text(value):
    year = ProgramYearFactory(year=2024)
    worker = legacy_formula_worker(value.lower())
    with time_machine.travel(datetime.datetime(2024, 1, 15, 9, tzinfo=datetime.UTC), tick=False):
        advance(EnrollmentFactory(program_year=year, worker=worker), EnrollmentStatus.SUBMITTED)
    buffer = io.BytesIO()
    assert bpjs.export_submitted(year, buffer) == 1
    [row] = rows_by_header(sheet_of(buffer.getvalue()))
    for header in ["NAMA LENGKAP", "TEMPAT LAHIR", "ALAMAT"]:
        assert_defused(row[header], value.lower().upper())


@pytest.mark.parametrize("value", FORMULAS)
def test_the_dtks_request_export_defuses_formula_text(value):
    legacy_formula_worker(value)
    exported = dtks_request_export(
        user=UserFactory(username="admin", is_superuser=True),
        workers=Worker.objects.all(),
        selection="test",
    )
    [row] = rows_by_header(sheet_of(exported.content))
    assert_defused(row["Nama"], value)


@pytest.mark.parametrize("value", FORMULAS)
def test_the_invalid_rows_file_defuses_formula_text(admin_client, value):
    row = candidate(1, **{header: value for header, _field, _max in TEXT_COLUMNS})
    content = candidate_xlsx(row)
    admin_client.post(IMPORT_URL, {"import_file": SimpleUploadedFile("daftar.xlsx", content)})
    job = ImportJob.objects.get()
    response = admin_client.get(
        reverse("admin:participants_worker_import_invalid_rows", args=[job.pk])
    )
    assert response.status_code == 200
    [out] = rows_by_header(sheet_of(response.content, TEMPLATE_SHEET))
    for header, _field, _max in TEXT_COLUMNS:
        assert_defused(out[header], value)
    assert "tidak boleh diawali" in out["Keterangan kesalahan"].value


@pytest.mark.parametrize("value", FORMULAS)
def test_the_dashboard_xlsx_defuses_formula_text_in_segment_names(client, value):
    # Segment names are typed by staff in the admin and end up in the dashboard workbook.
    ProgramYearFactory(year=2024)
    Segment.objects.create(code="hostile", name=value)
    user = UserFactory(username="pimpinan")
    user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    client.force_login(user)
    response = client.get("/dashboard/2024.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    cells = [
        cell
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and cell.value.lstrip("'") == value
    ]
    assert cells
    for cell in cells:
        assert_defused(cell, value)
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            assert all(cell.data_type != "f" for cell in row)


# --- 3. Long text: the maximum round-trips, one more is a clear error ------------------------


def long_text(length: int, seed: str = "Nu\u0301r 👩🏽‍🌾 محمد ʼ ") -> str:
    """Exactly ``length`` characters (code points, as PostgreSQL counts them), mixed scripts."""
    text = (seed * (length // len(seed) + 1))[:length]
    return text.rstrip() + "x" * (length - len(text.rstrip()))


def test_text_at_max_length_round_trips_import_database_export(client, tmp_path, capsys):
    values = {header: long_text(limit) for header, _field, limit in TEXT_COLUMNS}
    assert all(len(values[h]) == limit for h, _f, limit in TEXT_COLUMNS)
    code, report = import_command(tmp_path, candidate_xlsx(candidate(1, **values)), capsys)
    assert (code, report["new"], report["invalid"]) == (0, 1, 0), report
    worker = Worker.objects.get()
    assert worker.full_name == values["Nama"]
    assert worker.birth_place == values["Tempat Lahir"]
    assert worker.address == values["Alamat"]
    assert worker.heirs.get().name == values["Nama Ahli Waris"]

    client, _user = exporter_client(client)
    exported = export_workers_xlsx(client)
    [row] = rows_by_header(sheet_of(exported))
    for header in ["Nama", "Tempat Lahir", "Alamat"]:
        assert row[header].value == values[header]
    # The exported file imports again as "unchanged".
    code, report = import_command(tmp_path, exported, capsys, name="ekspor.xlsx")
    assert (code, report["unchanged"], report["invalid"]) == (0, 1, 0), report


@pytest.mark.parametrize(("header", "field", "limit"), TEXT_COLUMNS)
def test_one_character_over_is_refused_on_import_by_row_and_column(
    tmp_path, capsys, header, field, limit
):
    row = candidate(1, **{header: long_text(limit + 1)})
    code, report = import_command(tmp_path, candidate_xlsx(candidate(2), row), capsys)
    assert code == 1
    assert report["errors"] == [
        {
            "row": 3,
            "column": header,
            "code": "too_long",
            "message": f"Teks terlalu panjang: paling banyak {limit} karakter, "
            f"ini {limit + 1} karakter.",
        }
    ]
    assert not Worker.objects.exists()


@pytest.mark.parametrize("header", ["Nama", "Alamat", "Nama Ahli Waris"])
def test_a_10000_character_cell_is_a_row_error_not_a_crash(admin_client, tmp_path, capsys, header):
    huge = "Budi Santoso " * 769 + "abc"
    assert len(huge) == 10_000
    content = candidate_xlsx(candidate(1, **{header: huge}))
    code, report = import_command(tmp_path, content, capsys)
    assert code == 1
    [error] = report["errors"]
    assert (error["row"], error["column"], error["code"]) == (2, header, "too_long")
    assert "10000 karakter" in error["message"]

    # The admin shows the same error, and the file of invalid rows carries the cell back.
    admin_client.post(IMPORT_URL, {"import_file": SimpleUploadedFile("besar.xlsx", content)})
    job = ImportJob.objects.get(file_name="besar.xlsx")
    preview = admin_client.get(reverse("admin:participants_worker_import_preview", args=[job.pk]))
    assert preview.status_code == 200
    assert "Teks terlalu panjang" in preview.content.decode()
    invalid = admin_client.get(
        reverse("admin:participants_worker_import_invalid_rows", args=[job.pk])
    )
    [out] = rows_by_header(sheet_of(invalid.content, TEMPLATE_SHEET))
    assert out[header].value == huge
    assert not Worker.objects.exists()


def test_one_character_over_is_a_form_error_in_the_admin(staff_client):
    response = staff_client.post(
        ADD_URL,
        add_form(
            full_name=long_text(151),
            birth_place=long_text(101),
            address=long_text(256),
            **{"heirs-0-name": long_text(151)},
        ),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    for field in ["full_name", "birth_place", "address"]:
        assert [e.code for e in form.errors.as_data()[field]] == ["max_length"]
    heir_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert [e.code for e in heir_form.errors.as_data()["name"]] == ["max_length"]
    page = response.content.decode()
    assert "Pastikan nilai ini mengandung paling banyak 150 karakter (sekarang 151" in page
    assert not Worker.objects.exists()


def test_text_at_max_length_saves_in_the_admin(staff_client):
    values = {"full_name": long_text(150), "birth_place": long_text(100), "address": long_text(255)}
    response = staff_client.post(ADD_URL, add_form(**values, **{"heirs-0-name": long_text(150)}))
    assert response.status_code == 302, response.context["errors"]
    worker = Worker.objects.get()
    assert {f: getattr(worker, f) for f in values} == values
    assert Heir.objects.get().name == long_text(150)


# --- Unicode comes back exactly --------------------------------------------------------------


@pytest.mark.parametrize("value", UNICODE)
def test_unicode_round_trips_through_import_database_and_export(client, tmp_path, capsys, value):
    row = candidate(1, **{header: value for header, _field, _max in TEXT_COLUMNS})
    code, report = import_command(tmp_path, candidate_xlsx(row), capsys)
    assert (code, report["new"]) == (0, 1), report
    worker = Worker.objects.get()
    assert (worker.full_name, worker.birth_place, worker.address) == (value,) * 3
    assert worker.heirs.get().name == value

    client, _user = exporter_client(client)
    [out] = rows_by_header(sheet_of(export_workers_xlsx(client)))
    assert [out[h].value for h in ["Nama", "Tempat Lahir", "Alamat"]] == [value] * 3


@pytest.mark.parametrize("value", UNICODE)
def test_unicode_round_trips_through_the_admin(staff_client, value):
    response = staff_client.post(
        ADD_URL,
        add_form(full_name=value, birth_place=value, address=value, **{"heirs-0-name": value}),
    )
    assert response.status_code == 302, response.context["errors"]
    worker = Worker.objects.get()
    assert (worker.full_name, worker.birth_place, worker.address) == (value,) * 3
    assert worker.heirs.get().name == value
    page = staff_client.get(reverse("admin:participants_worker_changelist")).content.decode()
    assert escape(value) in page


# --- Control characters: refused on the way in, never a crash on the way out ----------------

CONTROL = ["\x07", "\x1b", "\x0b", "\x0c", "\x1f"]


@pytest.mark.parametrize("char", CONTROL)
def test_the_admin_refuses_invisible_control_characters(staff_client, char):
    value = f"Budi{char}Santoso"
    response = staff_client.post(
        ADD_URL,
        add_form(full_name=value, birth_place=value, address=value, **{"heirs-0-name": value}),
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    for field in ["full_name", "birth_place", "address"]:
        assert [e.code for e in form.errors.as_data()[field]] == ["control_character"]
    heir_form = response.context["inline_admin_formsets"][0].formset.forms[0]
    assert [e.code for e in heir_form.errors.as_data()["name"]] == ["control_character"]
    assert "karakter kontrol" in response.content.decode()
    assert not Worker.objects.exists()


@pytest.mark.parametrize("char", CONTROL)
def test_import_refuses_invisible_control_characters_by_row_and_column(tmp_path, capsys, char):
    # Only a CSV can carry them: xlsx cannot hold these characters at all.
    headers = [c.label for c in WORKER_COLUMNS.columns]
    row = candidate(1, **{header: f"Budi{char}Santoso" for header, _f, _m in TEXT_COLUMNS})
    text = ",".join(headers) + "\n" + ",".join(row.get(h) or "" for h in headers) + "\n"
    code, report = import_command(tmp_path, text.encode(), capsys, name="daftar.csv")
    assert code == 1
    assert {(e["row"], e["column"], e["code"]) for e in report["errors"]} == {
        (2, header, "control_character") for header, _f, _m in TEXT_COLUMNS
    }
    assert not Worker.objects.exists()


def test_exports_of_older_records_with_control_characters_do_not_crash(client):
    """Records saved before the rule (or by a direct database write) still export."""
    worker = legacy_formula_worker("Budi\x07Santoso")
    shown = "Budi\ufffdSantoso"  # the replacement character marks what was dropped
    client, user = exporter_client(client)
    [row] = rows_by_header(sheet_of(export_workers_xlsx(client)))
    assert row["Nama"].value == shown

    exported = dtks_request_export(user=user, workers=Worker.objects.all(), selection="test")
    [row] = rows_by_header(sheet_of(exported.content))
    assert row["Nama"].value == shown

    year = ProgramYearFactory(year=2024)
    with time_machine.travel(datetime.datetime(2024, 1, 15, 9, tzinfo=datetime.UTC), tick=False):
        advance(EnrollmentFactory(program_year=year, worker=worker), EnrollmentStatus.SUBMITTED)
    buffer = io.BytesIO()
    bpjs.export_submitted(year, buffer)
    [row] = rows_by_header(sheet_of(buffer.getvalue()))
    assert row["NAMA LENGKAP"].value == shown.upper()

    Segment.objects.create(code="kontrol", name="Ojek\x07Pangkalan")
    user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    response = client.get("/dashboard/2024.xlsx")
    assert response.status_code == 200
    labels = [c.value for c in load_workbook(io.BytesIO(response.content))["Segmen"]["A"]]
    assert "Ojek\ufffdPangkalan" in labels
