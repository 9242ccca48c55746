"""import_workers: real files made by LibreOffice, the JSON report and the exit codes."""

import datetime
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from importer.models import ImportJob, ImportStatus
from participants.models import Heir, Relationship, Sex, Worker, WorkerType
from tests.factories import UserFactory, WorkerFactory

FILES = Path(__file__).parent.parent / "fixtures" / "spreadsheets"

pytestmark = pytest.mark.django_db


IMPORTER = "importir"


def run(name_or_path, *args, capsys, as_user=True):
    """Run the command; writes are made as the user ``importir`` unless --user is given."""
    path = name_or_path if isinstance(name_or_path, Path) else FILES / name_or_path
    if as_user and "--user" not in args:
        from django.contrib.auth import get_user_model

        if not get_user_model().objects.filter(username=IMPORTER).exists():
            UserFactory(username=IMPORTER, is_superuser=True)
        args = (*args, "--user", IMPORTER)
    code = 0
    try:
        call_command("import_workers", str(path), "--json", *args)
    except SystemExit as exit_:
        code = exit_.code
    report = json.loads(capsys.readouterr().out)
    return code, report


@pytest.mark.parametrize("name", ["clean.xlsx", "clean.xls", "clean.ods", "clean.csv"])
def test_every_format_imports_the_same_workers(name, capsys):
    code, report = run(name, capsys=capsys)
    assert code == 0
    assert report | {"errors": []} == report
    assert (report["rows"], report["new"], report["invalid"]) == (4, 4, 0)
    budi = Worker.objects.get(nik="3577011204850001")
    assert budi.full_name == "Budi Santoso"
    assert budi.birth_date == datetime.date(1985, 4, 12)
    assert budi.sex == Sex.MALE
    assert budi.kelurahan.name == "Oro-oro Ombo"
    assert budi.segment.code == "ojol"
    assert budi.worker_type == WorkerType.BPU
    assert budi.phone == "+6281234567890"
    assert (budi.rt, budi.rw) == ("001", "002")
    assert budi.monthly_income == 1_500_000
    assert budi.kk_number == "3577010101090001"
    heir = budi.heirs.get()
    assert (heir.name, heir.relationship, heir.nik) == (
        "Siti Aminah",
        Relationship.SPOUSE,
        "3577014102870003",
    )
    assert heir.birth_date == datetime.date(1987, 2, 1)
    ani = Worker.objects.get(nik="3577025203900002")
    assert ani.kelurahan.name == "Madiun Lor"
    assert ani.heirs.get().relationship == Relationship.CHILD
    assert Worker.objects.get(nik="3577016708000004").segment.code == "pkk"


def test_importing_the_same_file_twice_changes_nothing_the_second_time(capsys):
    run("clean.xlsx", capsys=capsys)
    code, report = run("clean.xlsx", capsys=capsys)
    assert code == 0
    assert (report["new"], report["updated"], report["unchanged"]) == (0, 0, 4)
    assert Worker.objects.count() == 4
    assert Heir.objects.count() == 2  # heirs are not duplicated


def test_a_changed_row_is_an_update_of_the_changed_fields_only(capsys):
    run("clean.csv", capsys=capsys)
    Worker.objects.filter(nik="3577011204850001").update(full_name="Budi S", notes="kept")
    code, report = run("clean.xlsx", capsys=capsys)
    assert (report["new"], report["updated"], report["unchanged"]) == (0, 1, 3)
    budi = Worker.objects.get(nik="3577011204850001")
    assert (budi.full_name, budi.notes) == ("Budi Santoso", "kept")


def test_an_empty_cell_does_not_erase_registry_data(capsys, tmp_path):
    WorkerFactory(nik="3577011204850001", phone="+6281299998888", full_name="Budi Santoso")
    path = tmp_path / "short.csv"
    path.write_text(
        "NIK,Nama,Tgl Lahir,JK,Kelurahan,Jenis Pekerja,Kategori,No HP\n"
        "3577011204850001,Budi Santoso,12-04-1985,L,Kartoharjo,BPU,Ojol,\n"
    )
    code, report = run(path, capsys=capsys)
    assert code == 0
    assert Worker.objects.get(nik="3577011204850001").phone == "+6281299998888"


def test_semicolon_windows_1252_csv_with_title_row_month_names_and_aliases(capsys):
    code, report = run("semicolon_cp1252.csv", capsys=capsys)
    assert code == 0, report["errors"]
    assert report["new"] == 4
    jose = Worker.objects.get(nik="3577011204850011")
    assert jose.full_name == "José Pérez"
    assert jose.address == "Jl. Café, No. 3"
    assert jose.birth_date == datetime.date(1985, 3, 12)
    assert jose.kelurahan.name == "Pilangbango"
    assert jose.worker_type == WorkerType.BPU
    assert jose.segment.code == "ojol"
    sri = Worker.objects.get(nik="3577015203900012")
    assert sri.birth_date == datetime.date(1990, 3, 12)
    assert (sri.kelurahan.name, sri.worker_type, sri.segment.code) == ("Kelun", "PU", "pkl")
    assert Worker.objects.get(nik="3577030405750013").birth_date == datetime.date(1975, 5, 4)
    assert Worker.objects.get(nik="3577011204850014").kelurahan.name == "Madiun Lor"


def test_utf8_bom_csv_without_title_rows(capsys):
    code, report = run("bom_utf8.csv", capsys=capsys)
    assert (code, report["new"]) == (0, 4)


def test_nik_typed_as_a_number_is_refused_and_nothing_is_written(capsys):
    code, report = run("nik_as_number.xlsx", capsys=capsys)
    assert code == 1
    assert report["invalid"] == 4
    assert not Worker.objects.exists()
    first = report["errors"][0]
    assert (first["row"], first["column"], first["code"]) == (5, "NIK", "nik_numeric_cell")
    assert "Ubah format kolom NIK menjadi Teks" in first["message"]


def test_invalid_rows_are_reported_where_staff_see_them(capsys):
    code, report = run("problems.xlsx", capsys=capsys)
    assert code == 1
    assert not Worker.objects.exists()
    found = {(e["row"], e["column"], e["code"]) for e in report["errors"]}
    assert {
        (4, "NIK", "nik_scientific"),
        (5, "NIK", "duplicate_in_file"),
        (6, "Nama Lengkap", "formula"),
        (6, "Alamat", "formula"),
        (7, "Tgl. Lahir", "date_invalid"),
        (7, "Desa/Kelurahan", "kelurahan_unknown"),
        (7, "Segmen", "segment_unknown"),
        (7, "Status Pekerja", "worker_type_invalid"),
        (7, "No. Telp", "phone_length"),
        (8, "Kecamatan", "kecamatan_mismatch"),
    } <= found
    duplicate = next(e for e in report["errors"] if e["code"] == "duplicate_in_file")
    assert duplicate["message"] == "NIK 3577011204850021 sudah ada di baris 3 pada berkas ini."
    formula = next(e for e in report["errors"] if e["code"] == "formula")
    assert formula["message"] == (
        "Teks tidak boleh diawali =: spreadsheet akan menjalankannya sebagai rumus."
    )
    assert (report["rows"], report["new"], report["invalid"]) == (6, 1, 5)


def test_skip_invalid_writes_the_valid_rows(capsys):
    code, report = run("problems.csv", "--skip-invalid", capsys=capsys)
    assert code == 0
    assert report["written"] is True
    assert list(Worker.objects.values_list("nik", flat=True)) == ["3577011204850021"]
    eko = Worker.objects.get()
    assert eko.birth_date == datetime.date(1990, 3, 4)  # 04/03/1990 is 4 March


def test_dry_run_writes_nothing(capsys):
    code, report = run("clean.xlsx", "--dry-run", capsys=capsys)
    assert (code, report["new"], report["written"]) == (0, 4, False)
    assert not Worker.objects.exists()
    assert ImportJob.objects.get().status == ImportStatus.DRY_RUN


@pytest.mark.parametrize(
    ("name", "code"), [("corrupt.xlsx", "corrupt"), ("html_named.xls", "wrong_type")]
)
def test_unreadable_files_exit_2_with_a_reason(name, code, capsys):
    exit_code, report = run(name, capsys=capsys)
    assert exit_code == 2
    assert report["errors"][0]["code"] == code
    assert report["errors"][0]["message"]
    assert ImportJob.objects.get().status == ImportStatus.UNREADABLE


def test_a_file_without_a_recognisable_header_exits_2(capsys, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("a,b,c\n1,2,3\n")
    code, report = run(path, capsys=capsys)
    assert (code, report["errors"][0]["code"]) == (2, "no_header")


def test_missing_required_columns_exit_2(capsys, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("NIK,Nama\n3577011204850001,Budi\n")
    code, report = run(path, capsys=capsys)
    assert (code, report["errors"][0]["code"]) == (2, "missing_columns")
    assert "Tanggal Lahir" in report["errors"][0]["message"]


def test_a_missing_file_exits_2(capsys, tmp_path):
    code, report = run(tmp_path / "nope.xlsx", capsys=capsys)
    assert (code, report["errors"][0]["code"]) == (2, "not_found")


def test_files_over_the_size_limit_are_refused(capsys, settings):
    settings.SIAGA_IMPORT_MAX_BYTES = 1000
    code, report = run("clean.xlsx", capsys=capsys)
    assert (code, report["errors"][0]["code"]) == (2, "too_large")


def test_each_run_is_recorded(capsys, tmp_path):
    user = UserFactory(username="operator", is_superuser=True)
    copy = tmp_path / "daftar.xlsx"
    shutil.copy(FILES / "clean.xlsx", copy)
    run(copy, "--user", "operator", capsys=capsys)
    job = ImportJob.objects.get()
    assert (job.file_name, job.kind, job.status) == ("daftar.xlsx", "workers", "imported")
    assert job.created_by == user
    assert len(job.file_sha256) == 64
    assert (job.rows_total, job.rows_new, job.finished_at is not None) == (4, 4, True)
    assert Worker.objects.get(nik="3577011204850001").created_by == user


def test_a_user_without_the_permission_cannot_import(capsys):
    UserFactory(username="magang")
    with pytest.raises(CommandError) as error:
        call_command("import_workers", str(FILES / "clean.xlsx"), "--user", "magang")
    assert error.value.returncode == 3
    assert not Worker.objects.exists()


def test_heir_cells_need_name_and_relationship(capsys, tmp_path):
    path = tmp_path / "heirs.csv"
    path.write_text(
        "NIK,Nama,Tgl Lahir,JK,Kelurahan,Jenis Pekerja,Kategori,Nama Ahli Waris,"
        "Hubungan Ahli Waris,Tgl Lahir Ahli Waris,NIK Ahli Waris\n"
        "3577011204850001,Budi,12-04-1985,L,Klegen,BPU,PKL,,,01-01-2015,\n"
        "3577011204850002,Agus,12-04-1985,L,Klegen,BPU,PKL,Sri,Istri,01-01-2999,\n"
        "3577011204850003,Joko,12-04-1985,L,Klegen,BPU,PKL,Tono,Anak,,3577011204850003\n"
    )
    code, report = run(path, capsys=capsys)
    found = {(e["row"], e["column"], e["code"]) for e in report["errors"]}
    assert found == {
        (2, "Nama Ahli Waris", "heir_incomplete"),
        (2, "Hubungan Ahli Waris", "heir_incomplete"),
        (3, "Tgl Lahir Ahli Waris", "birth_date_future"),
        (4, "NIK Ahli Waris", "heir_own_nik"),
    }
    assert code == 1
