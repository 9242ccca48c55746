import csv
import datetime

import pytest
from openpyxl import Workbook, load_workbook

from enrollment import bpjs, services
from enrollment.models import EnrollmentStatus
from tests.enrollment.factories import EnrollmentFactory
from tests.enrollment.helpers import advance
from tests.factories import WorkerFactory

S = EnrollmentStatus
pytestmark = pytest.mark.django_db


def test_export_writes_submitted_workers_as_text(tmp_path, year):
    submitted = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    advance(EnrollmentFactory(program_year=year), S.VERIFIED)  # not yet submitted
    path = tmp_path / "export.xlsx"
    with path.open("wb") as handle:
        assert bpjs.export_submitted(year, handle) == 1
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    assert header == [name for name, _width in bpjs.EXPORT_COLUMNS]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["NIK"] == submitted.worker.nik
    assert isinstance(row["NIK"], str)
    assert row["JENIS KEPESERTAAN"] == "BPU"
    assert row["UPAH/PENGHASILAN"] == 1_000_000
    assert row["IURAN PER BULAN"] == 16_800
    assert row["TANGGAL MULAI KEPESERTAAN"] == "01-01-2024"


def test_export_defuses_formula_looking_text(tmp_path, year):
    worker = WorkerFactory(address='=HYPERLINK("http://x")')
    advance(EnrollmentFactory(program_year=year, worker=worker), S.SUBMITTED)
    path = tmp_path / "export.xlsx"
    with path.open("wb") as handle:
        bpjs.export_submitted(year, handle)
    cell = load_workbook(path).active["G2"]
    assert cell.data_type == "s"
    assert cell.value.startswith("'=")


def test_round_trip_export_then_activation_file(tmp_path, year, staff):
    enrollments = [advance(EnrollmentFactory(program_year=year), S.SUBMITTED) for _ in range(3)]
    exported = tmp_path / "export.xlsx"
    with exported.open("wb") as handle:
        bpjs.export_submitted(year, handle)

    # BPJS answers with the same people, a KPJ number each and the start of coverage.
    sent = load_workbook(exported).active
    answer = Workbook()
    sheet = answer.active
    sheet.append(["NIK", "NAMA", "NO KPJ", "TANGGAL MULAI KEPESERTAAN"])
    for number, row in enumerate(sent.iter_rows(min_row=2, values_only=True)):
        sheet.append([row[1], row[2], f"2400000000{number}", "01-02-2024"])
    sheet.append(["3577010101900999", "ORANG LAIN", "24000000099", "01-02-2024"])
    answer_path = tmp_path / "answer.xlsx"
    answer.save(answer_path)

    parsed = bpjs.read_bpjs_activation_file(answer_path)
    assert parsed.errors == []
    report = services.enrollment_activate_from_bpjs(year=year, rows=parsed.rows, user=staff)
    assert len(report.matched) == 3
    assert [(row["row"], row["nik"]) for row, _why in report.unmatched] == [(5, "3577010101900999")]
    for enrollment in enrollments:
        enrollment.refresh_from_db()
        assert enrollment.status == S.ACTIVE
        assert enrollment.coverage_start == datetime.date(2024, 2, 1)
        assert enrollment.committed_amount == 11 * 16_800

    again = services.enrollment_activate_from_bpjs(year=year, rows=parsed.rows, user=staff)
    assert again.matched == []


def test_activation_reports_why_rows_do_not_match(year, staff):
    proposed = EnrollmentFactory(program_year=year)
    submitted = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    rows = [
        {
            "row": 2,
            "nik": proposed.worker.nik,
            "kpj": "24000000001",
            "coverage_start": year.coverage_start,
        },
        {
            "row": 3,
            "nik": submitted.worker.nik,
            "kpj": "123",
            "coverage_start": year.coverage_start,
        },
        {
            "row": 4,
            "nik": submitted.worker.nik,
            "kpj": "24000000002",
            "coverage_start": year.coverage_start,
        },
    ]
    report = services.enrollment_activate_from_bpjs(year=year, rows=rows, user=staff)
    assert report.matched == []
    assert [row["row"] for row, _why in report.unmatched] == [2, 3, 4]


def test_reader_refuses_numeric_nik_and_accepts_csv(tmp_path):
    book = Workbook()
    book.active.append(["NIK", "KPJ", "Tanggal Mulai Kepesertaan"])
    book.active.append([3577010101900001, "24000000001", datetime.datetime(2024, 2, 1)])
    path = tmp_path / "numeric.xlsx"
    book.save(path)
    parsed = bpjs.read_bpjs_activation_file(path)
    assert parsed.rows == []
    assert parsed.errors[0][0] == 2
    assert "Teks" in parsed.errors[0][1] or "Text" in parsed.errors[0][1]

    csv_path = tmp_path / "answer.csv"
    with csv_path.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["nik", "no kpj", "tgl mulai kepesertaan"])
        writer.writerow(["3577010101900001", "24000000001", "2024-02-01"])
    parsed = bpjs.read_bpjs_activation_file(csv_path)
    assert parsed.rows == [
        {
            "row": 2,
            "nik": "3577010101900001",
            "kpj": "24000000001",
            "coverage_start": datetime.date(2024, 2, 1),
        }
    ]


def test_reader_says_which_columns_are_missing(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("nik,nama\n3577010101900001,Budi\n")
    parsed = bpjs.read_bpjs_activation_file(path)
    assert parsed.rows == []
    assert "KPJ" in parsed.errors[0][1]


def test_admin_upload_activates_and_deletes_nothing_it_should_keep(admin_client, year, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    submitted = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    content = f"NIK,KPJ,TANGGAL MULAI KEPESERTAAN\n{submitted.worker.nik},24000000001,01-01-2024\n"
    response = admin_client.post(
        reverse("admin:enrollment_programyear_bpjs_import", args=[year.pk]),
        {"file": SimpleUploadedFile("jawaban.csv", content.encode())},
    )
    assert response.status_code == 200
    submitted.refresh_from_db()
    assert submitted.status == S.ACTIVE
    export = admin_client.get(reverse("admin:enrollment_programyear_bpjs_export", args=[year.pk]))
    assert export.status_code == 200
    assert export["Content-Disposition"].startswith("attachment")
