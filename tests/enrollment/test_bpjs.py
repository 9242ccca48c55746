"""Files exchanged with BPJS: the registration export, and the activation file read back through
the importer engine (admin preview/confirm and the ``activate_bpjs`` command)."""

import csv
import datetime
import hashlib
import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.roles import OPERATOR, VERIFIKATOR
from enrollment import bpjs, services
from enrollment.models import (
    BpjsExport,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    TerminationReason,
)
from importer.models import ImportJob, ImportStatus
from participants.models import Worker
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance, approve
from tests.factories import UserFactory, WorkerFactory, cli_user_args
from tests.participants.test_import_background import run_worker

S = EnrollmentStatus
pytestmark = pytest.mark.django_db

HEADER = ["NIK", "NAMA", "NO KPJ", "TANGGAL MULAI KEPESERTAAN"]
IMPORT_URL = "admin:enrollment_enrollment_import"


@pytest.fixture(autouse=True)
def private_staging_dir(settings, tmp_path):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"


def xlsx(rows) -> bytes:
    """A workbook whose cells are typed as given (str stays text, like a Text-formatted cell)."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def verifier():
    user = UserFactory(username="verifikator")
    user.groups.add(Group.objects.get(name=VERIFIKATOR))
    return user


def run(tmp_path, capsys, content, *args, name="jawaban.xlsx", year=2024):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "activate_bpjs", str(path), "--year", str(year), "--json", *cli_user_args(args)
        )
        raise SystemExit(0)
    return exit_info.value.code, json.loads(capsys.readouterr().out)


# --- export ------------------------------------------------------------------------------------


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


# --- the export is the step that submits (issue 11.10) ----------------------------------------


def test_the_export_submits_the_verified_enrollments_and_records_the_file(year, staff):
    verified = [advance(EnrollmentFactory(program_year=year), S.VERIFIED) for _ in range(2)]
    proposed = EnrollmentFactory(program_year=year)
    approve(verified)
    handle = io.BytesIO()

    export = bpjs.bpjs_export_create(program_year=year, user=staff, stream=handle)

    sheet = load_workbook(io.BytesIO(handle.getvalue())).active
    niks = {row[1] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert niks == {e.worker.nik for e in verified}
    for enrollment in verified:
        enrollment.refresh_from_db()
        assert enrollment.status == S.SUBMITTED
        event = enrollment.events.latest("id")
        assert (event.from_status, event.to_status, event.by) == (S.VERIFIED, S.SUBMITTED, staff)
        assert export.file_name in event.reason
    assert Enrollment.objects.get(pk=proposed.pk).status == S.PROPOSED
    assert (export.row_count, export.submitted_count, export.created_by) == (2, 2, staff)
    assert export.file_sha256 == hashlib.sha256(handle.getvalue()).hexdigest()
    assert set(export.enrollments.all()) == set(verified)
    assert export.file_name.startswith("siaga-pendaftaran-bpjs-2024-")


def test_the_export_leaves_out_dead_and_deactivated_workers_and_says_so(year, staff):
    kept = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    dead = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    gone = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    # Written around the services (an old record): the export is the last guard.
    Worker.objects.filter(pk=dead.worker_id).update(death_date=datetime.date(2024, 1, 2))
    Worker.objects.filter(pk=gone.worker_id).update(is_active=False, deactivation_reason="Ganda")
    approve([kept])

    plan = bpjs.export_plan(year)
    assert plan.verified == [kept]
    assert {e.pk for e, _why in plan.left_out} == {dead.pk, gone.pk}

    export = bpjs.bpjs_export_create(program_year=year, user=staff, stream=io.BytesIO())
    assert export.row_count == 1
    assert "02-01-2024" in export.left_out and "Ganda" in export.left_out
    assert Enrollment.objects.get(pk=dead.pk).status == S.VERIFIED
    assert Enrollment.objects.get(pk=gone.pk).status == S.VERIFIED


def test_an_export_with_nothing_to_send_says_why_and_writes_no_file(client, year, staff):
    EnrollmentFactory(program_year=year)  # proposed only
    with pytest.raises(ValidationError) as exc:
        bpjs.bpjs_export_create(program_year=year, user=staff, stream=io.BytesIO())
    assert exc.value.code == "nothing_to_send"
    assert "masih diusulkan: verifikasi dahulu" in exc.value.messages[0]

    client.force_login(verifier())
    url = reverse("admin:enrollment_programyear_bpjs_export", args=[year.pk])
    page = client.get(url).content.decode()
    assert "Tidak ada kepesertaan terverifikasi" in page
    response = client.post(url, follow=True)
    assert "Content-Disposition" not in response
    assert "Tidak ada kepesertaan terverifikasi" in response.content.decode()
    assert not BpjsExport.objects.exists()


def test_sending_again_includes_the_submitted_without_changing_them(year, staff):
    first = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    approve([first])
    bpjs.bpjs_export_create(program_year=year, user=staff, stream=io.BytesIO())
    with pytest.raises(ValidationError) as exc:
        bpjs.bpjs_export_create(program_year=year, user=staff, stream=io.BytesIO())
    assert "kirim ulang" in exc.value.messages[0]

    again = bpjs.bpjs_export_create(program_year=year, user=staff, stream=io.BytesIO(), resend=True)
    assert (again.row_count, again.submitted_count) == (1, 0)
    assert list(again.enrollments.all()) == [first]
    assert first.events.filter(to_status=S.SUBMITTED).count() == 1


# --- the approvals gate: nothing reaches BPJS unapproved (issue 15) ---------------------------


def test_the_export_refuses_unapproved_enrollments_naming_them(year, staff):
    approved = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    waiting = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    approve([approved])
    with pytest.raises(ValidationError) as exc:
        bpjs.bpjs_export_create(program_year=year, user=staff, stream=io.BytesIO())
    assert {e.code for e in exc.value.error_list} == {"not_approved"}
    head, *rows = exc.value.messages
    assert head.startswith("Berkas pendaftaran BPJS ditolak. 1 kepesertaan belum ada")
    assert reverse("admin:approvals_submissionbatch_changelist") in head
    assert rows == [
        f"{waiting.worker.full_name} (kepesertaan {waiting.pk}) tidak ada dalam batch usulan "
        "yang disetujui."
    ]
    # Nothing half-written: no record, nobody submitted.
    assert not BpjsExport.objects.exists()
    assert Enrollment.objects.get(pk=approved.pk).status == S.VERIFIED
    approve([waiting])
    export = bpjs.bpjs_export_create(program_year=year, user=staff, stream=io.BytesIO())
    assert export.row_count == 2


def test_sending_again_refuses_submitted_rows_no_approved_batch_holds(year, staff):
    """Resend carries the submitted ones too: they must have been approved as well."""
    first = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)  # approved on the way
    bpjs.bpjs_export_create(program_year=year, user=staff, stream=io.BytesIO(), resend=True)
    second = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    with pytest.raises(ValidationError, match=f"kepesertaan {second.pk}"):
        bpjs.bpjs_export_create(program_year=year, user=staff, stream=io.BytesIO(), resend=True)
    assert first.bpjs_exports.count() == 1


def test_the_export_page_refuses_unapproved_and_points_to_the_batches(client, year):
    waiting = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    client.force_login(verifier())
    url = reverse("admin:enrollment_programyear_bpjs_export", args=[year.pk])
    page = client.get(url).content.decode()
    assert 'id="unapproved"' in page
    assert "1 kepesertaan belum ada dalam batch usulan yang disetujui" in page
    assert f"(kepesertaan {waiting.pk})" in page
    assert reverse("admin:approvals_submissionbatch_changelist") in page
    response = client.post(url, follow=True)
    assert "Content-Disposition" not in response
    assert "Berkas pendaftaran BPJS ditolak" in response.content.decode()
    assert not BpjsExport.objects.exists()
    assert Enrollment.objects.get(pk=waiting.pk).status == S.VERIFIED


def test_marking_as_submitted_refuses_unapproved_in_service_and_admin_action(client, year, staff):
    waiting = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    with pytest.raises(ValidationError, match="Penandaan sebagai didaftarkan ke BPJS ditolak"):
        services.enrollment_submit(enrollment=waiting, user=staff)
    client.force_login(verifier())
    response = client.post(
        reverse("admin:enrollment_enrollment_changelist"),
        {"action": "submit_selected", "_selected_action": [waiting.pk]},
        follow=True,
    )
    assert "tidak ada dalam batch usulan yang disetujui" in response.content.decode()
    assert Enrollment.objects.get(pk=waiting.pk).status == S.VERIFIED
    approve([waiting])
    services.enrollment_submit(enrollment=waiting, user=staff)
    assert Enrollment.objects.get(pk=waiting.pk).status == S.SUBMITTED


# --- activation in the admin: upload, preview, confirm -----------------------------------------


def test_round_trip_export_then_activation_via_preview_and_confirm(client, tmp_path, year):
    enrollments = [advance(EnrollmentFactory(program_year=year), S.SUBMITTED) for _ in range(3)]
    exported = tmp_path / "export.xlsx"
    with exported.open("wb") as handle:
        bpjs.export_submitted(year, handle)
    # BPJS answers with the same people, a KPJ number each and the start of coverage.
    sent = load_workbook(exported).active
    rows = [HEADER]
    for number, row in enumerate(sent.iter_rows(min_row=2, values_only=True)):
        rows.append([row[1], row[2], f"2400000000{number}", "01-02-2024"])
    rows.append(["3577010101900999", "ORANG LAIN", "24000000099", "01-02-2024"])
    user = verifier()
    client.force_login(user)

    response = client.post(
        reverse(IMPORT_URL),
        {"program_year": year.pk, "import_file": SimpleUploadedFile("jawaban.xlsx", xlsx(rows))},
    )

    job = ImportJob.objects.get()
    assert response["Location"] == reverse(
        "admin:enrollment_enrollment_import_preview", args=[job.pk]
    )
    page = client.get(response["Location"]).content.decode()
    assert 'class="count-new">3<' in page
    assert 'class="count-invalid">1<' in page
    assert "Tidak ada kepesertaan 2024 untuk NIK ini." in page
    assert "24000000000" in page  # the KPJ each activation will record
    assert Enrollment.objects.filter(status=S.ACTIVE).count() == 0  # nothing before confirming

    invalid = client.get(reverse("admin:enrollment_enrollment_import_invalid_rows", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(invalid.content)).active
    assert [c.value for c in sheet[1]] == [*HEADER, "Keterangan kesalahan"]
    assert sheet["A2"].value == "3577010101900999"
    assert "Tidak ada kepesertaan 2024" in sheet["E2"].value

    client.post(
        reverse("admin:enrollment_enrollment_process_import"),
        {"job": job.pk, "skip_invalid": "1"},
    )

    job.refresh_from_db()
    assert (job.status, job.rows_new, job.rows_invalid) == (ImportStatus.IMPORTED, 3, 1)
    assert job.created_by == user
    for enrollment in enrollments:
        enrollment.refresh_from_db()
        assert enrollment.status == S.ACTIVE
        assert enrollment.coverage_start == datetime.date(2024, 2, 1)
        assert enrollment.committed_amount == 11 * 16_800
        event = enrollment.events.order_by("pk").last()
        assert (event.to_status, event.by, event.reason) == (
            S.ACTIVE,
            user,
            "Berkas pendaftaran BPJS",
        )
    assert sorted(e.kpj_number for e in enrollments) == [
        "24000000000",
        "24000000001",
        "24000000002",
    ]


def test_reuploading_the_same_file_changes_nothing(client, year):
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    content = xlsx([HEADER, [enrollment.worker.nik, "BUDI", "24000000001", "01-01-2024"]])
    client.force_login(verifier())
    upload = {"program_year": year.pk}
    client.post(
        reverse(IMPORT_URL), {**upload, "import_file": SimpleUploadedFile("a.xlsx", content)}
    )
    first = ImportJob.objects.get()
    client.post(reverse("admin:enrollment_enrollment_process_import"), {"job": first.pk})
    enrollment.refresh_from_db()
    assert enrollment.status == S.ACTIVE
    events, history = enrollment.events.count(), enrollment.history.count()

    client.post(
        reverse(IMPORT_URL), {**upload, "import_file": SimpleUploadedFile("a.xlsx", content)}
    )
    second = ImportJob.objects.latest("pk")
    page = client.get(reverse("admin:enrollment_enrollment_import_preview", args=[second.pk]))
    assert 'class="count-unchanged">1<' in page.content.decode()
    assert 'class="count-new">0<' in page.content.decode()
    client.post(reverse("admin:enrollment_enrollment_process_import"), {"job": second.pk})

    second.refresh_from_db()
    assert (second.status, second.rows_new, second.rows_unchanged) == (ImportStatus.IMPORTED, 0, 1)
    assert (enrollment.events.count(), enrollment.history.count()) == (events, history)


def test_a_refusal_while_writing_rolls_the_whole_file_back(client, year):
    first, second = (advance(EnrollmentFactory(program_year=year), S.SUBMITTED) for _ in range(2))
    content = xlsx(
        [
            HEADER,
            [first.worker.nik, "A", "24000000001", "01-01-2024"],
            [second.worker.nik, "B", "24000000002", "01-01-2024"],
        ]
    )
    client.force_login(verifier())
    client.post(
        reverse(IMPORT_URL),
        {"program_year": year.pk, "import_file": SimpleUploadedFile("a.xlsx", content)},
    )
    job = ImportJob.objects.get()
    # Between preview and confirmation someone stops the second enrollment.
    services.enrollment_terminate(
        enrollment=second, termination_reason=TerminationReason.WITHDREW, user=None
    )

    response = client.post(
        reverse("admin:enrollment_enrollment_process_import"), {"job": job.pk}, follow=True
    )

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "Baris 3" in job.message
    assert "Baris 3" in response.content.decode()
    first.refresh_from_db()
    assert (first.status, first.kpj_number) == (S.SUBMITTED, "")  # row 2 was rolled back
    assert not EnrollmentEvent.objects.filter(enrollment=first, to_status=S.ACTIVE).exists()


def test_a_long_file_is_staged_and_activated_by_the_background_worker(
    client, year, settings, django_capture_on_commit_callbacks
):
    settings.SIAGA_IMPORT_BACKGROUND_BYTES = 0  # every upload and confirmation is queued
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    content = xlsx([HEADER, [enrollment.worker.nik, "A", "24000000001", "01-01-2024"]])
    client.force_login(verifier())
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse(IMPORT_URL),
            {"program_year": year.pk, "import_file": SimpleUploadedFile("a.xlsx", content)},
        )
    job = ImportJob.objects.get()
    assert response["Location"] == reverse(
        "admin:enrollment_enrollment_import_progress", args=[job.pk]
    )
    assert job.options == {"program_year_id": year.pk}
    run_worker()  # the worker rebuilds the importer with the year stored on the job
    job.refresh_from_db()
    assert (job.status, job.rows_new) == (ImportStatus.PREVIEWED, 1)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:enrollment_enrollment_process_import"), {"job": job.pk}
        )
    assert response["Location"] == reverse(
        "admin:enrollment_enrollment_import_progress", args=[job.pk]
    )
    run_worker()

    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTED
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.kpj_number) == (S.ACTIVE, "24000000001")


def test_the_program_year_page_links_to_the_upload_for_its_year(client, year):
    client.force_login(verifier())
    page = client.get(reverse("admin:enrollment_programyear_change", args=[year.pk]))
    assert f"{reverse(IMPORT_URL)}?program_year={year.pk}" in page.content.decode()
    form = client.get(reverse(IMPORT_URL), {"program_year": year.pk}).content.decode()
    assert f'<option value="{year.pk}" selected>' in form
    assert "Aktifkan dari berkas BPJS" in form
    export_url = reverse("admin:enrollment_programyear_bpjs_export", args=[year.pk])
    assert export_url in page.content.decode()
    approve([advance(EnrollmentFactory(program_year=year), S.VERIFIED)])
    assert "1 kepesertaan terverifikasi" in client.get(export_url).content.decode()
    export = client.post(export_url)
    assert export["Content-Disposition"].startswith("attachment")


def test_closed_years_are_not_offered(client, year):
    closed = ProgramYearFactory(year=2023, status="ditutup")
    client.force_login(verifier())
    form = client.get(reverse(IMPORT_URL)).content.decode()
    assert f'<option value="{year.pk}"' in form
    assert f'<option value="{closed.pk}"' not in form


def test_only_staff_with_the_bpjs_permission_may_upload(client, year):
    operator = UserFactory(username="operator")
    operator.groups.add(Group.objects.get(name=OPERATOR))
    client.force_login(operator)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    changelist = client.get(reverse("admin:enrollment_enrollment_changelist"))
    assert changelist.status_code == 200
    assert reverse(IMPORT_URL) not in changelist.content.decode()

    client.force_login(verifier())
    changelist = client.get(reverse("admin:enrollment_enrollment_changelist")).content.decode()
    assert reverse(IMPORT_URL) in changelist
    template = client.get(reverse("admin:enrollment_enrollment_import_template"))
    header = [c.value for c in load_workbook(io.BytesIO(template.content)).active[1]]
    assert header == ["NIK", "No KPJ", "Tanggal Mulai Kepesertaan"]


def test_an_unreadable_upload_is_explained(client, year):
    client.force_login(verifier())
    response = client.post(
        reverse(IMPORT_URL),
        {
            "program_year": year.pk,
            "import_file": SimpleUploadedFile("a.csv", b"nik,nama\n3577010101900001,Budi\n"),
        },
    )
    assert response.status_code == 200
    assert "No KPJ" in response.content.decode()  # the missing required column is named
    assert ImportJob.objects.get().status == ImportStatus.UNREADABLE


# --- activation from the command line ----------------------------------------------------------


def test_command_activates_from_a_semicolon_csv(tmp_path, capsys, year):
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    path = tmp_path / "jawaban.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["nik", "nomor peserta", "tmt"])
        writer.writerow([enrollment.worker.nik, "24000000001", "2024-03-01"])

    code, report = run(tmp_path, capsys, path.read_bytes(), name="jawaban.csv")

    assert (code, report["new"], report["written"]) == (0, 1, True)
    enrollment.refresh_from_db()
    assert enrollment.status == S.ACTIVE
    assert enrollment.kpj_number == "24000000001"
    assert enrollment.coverage_start == datetime.date(2024, 3, 1)
    assert ImportJob.objects.get().kind == "bpjs_activation"


def test_unmatched_niks_are_reported_and_a_failing_file_writes_nothing(tmp_path, capsys, year):
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    stranger = "3577014101900099"
    content = xlsx(
        [
            HEADER,
            [enrollment.worker.nik, "A", "24000000001", "01-01-2024"],
            [stranger, "B", "24000000002", "01-01-2024"],
        ]
    )

    code, report = run(tmp_path, capsys, content)

    assert (code, report["new"], report["invalid"], report["written"]) == (1, 1, 1, False)
    assert [(e["row"], e["column"], e["code"]) for e in report["errors"]] == [
        (3, "NIK", "not_enrolled")
    ]
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED
    assert not Enrollment.objects.filter(worker__nik=stranger).exists()

    code, report = run(tmp_path, capsys, content, "--skip-invalid")
    assert (code, report["new"]) == (0, 1)
    enrollment.refresh_from_db()
    assert enrollment.status == S.ACTIVE
    assert not Enrollment.objects.filter(worker__nik=stranger).exists()


def test_a_nik_typed_as_a_number_is_refused_with_the_fix(tmp_path, capsys, year):
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    content = xlsx([HEADER, [int(enrollment.worker.nik), "A", "24000000001", "01-01-2024"]])

    code, report = run(tmp_path, capsys, content)

    assert code == 1
    [error] = report["errors"]
    assert (error["row"], error["column"], error["code"]) == (2, "NIK", "nik_numeric_cell")
    assert "Teks" in error["message"]
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED


def test_dry_run_checks_and_writes_nothing(tmp_path, capsys, year):
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    content = xlsx([HEADER, [enrollment.worker.nik, "A", "24000000001", "01-01-2024"]])
    code, report = run(tmp_path, capsys, content, "--dry-run")
    assert (code, report["new"], report["written"]) == (0, 1, False)
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED


@pytest.mark.parametrize(
    "header",
    [
        ["NIK", "KPJ", "Tgl Kepesertaan"],
        ["No NIK", "Nomor KPJ", "Mulai"],
        ["nik", "No Kartu", "TMT"],
        ["NIK", "Nomor Peserta", "Tanggal Mulai Kepesertaan"],
    ],
)
def test_the_headers_bpjs_offices_use_are_recognised(tmp_path, capsys, year, header):
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    start = datetime.datetime(2024, 2, 1)  # a real date cell
    code, report = run(
        tmp_path, capsys, xlsx([header, [enrollment.worker.nik, "24000000001", start]])
    )
    assert (code, report["new"]) == (0, 1), report


def test_an_eleven_digit_kpj_typed_as_a_number_is_accepted(tmp_path, capsys, year):
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    code, report = run(
        tmp_path, capsys, xlsx([HEADER, [enrollment.worker.nik, "A", 24000000001, "01-01-2024"]])
    )
    assert code == 0, report
    enrollment.refresh_from_db()
    assert enrollment.kpj_number == "24000000001"


def _error_codes(tmp_path, capsys, rows):
    code, report = run(tmp_path, capsys, xlsx([HEADER, *rows]))
    assert code == 1
    return [(e["row"], e["code"]) for e in report["errors"]]


def test_rows_that_cannot_be_activated_say_why(tmp_path, capsys, year):
    proposed = EnrollmentFactory(program_year=year)
    active = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    submitted = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    other = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    rows = [
        [proposed.worker.nik, "A", "24000000001", "01-01-2024"],
        [active.worker.nik, "B", "24000000002", "01-01-2024"],
        [submitted.worker.nik, "C", active.kpj_number, "01-01-2024"],
        [other.worker.nik, "D", "24000000003", "01-01-2025"],
        [other.worker.nik, "D", "24000000004", "01-01-2024"],
    ]
    assert _error_codes(tmp_path, capsys, rows) == [
        (2, "not_submitted"),
        (3, "active_other_kpj"),
        (4, "kpj_taken"),
        (5, "coverage_start_outside"),
        (6, "duplicate_in_file"),
    ]
    assert not Enrollment.objects.filter(status=S.ACTIVE).exclude(pk=active.pk).exists()


def test_badly_typed_cells_are_refused(tmp_path, capsys, year):
    first, second, third = (
        advance(EnrollmentFactory(program_year=year), S.SUBMITTED) for _ in range(3)
    )
    rows = [
        [first.worker.nik, "A", 2400000001, "01-01-2024"],  # a number that lost a digit
        [second.worker.nik, "B", "2400-0000-01", "01-01-2024"],
        [third.worker.nik, "C", "24000000003", "1 Januarii 2024"],
        [WorkerFactory().nik, "D", "24000000003", "01-01-2024"],  # also repeats row 4's KPJ
    ]
    assert _error_codes(tmp_path, capsys, rows) == [
        (2, "kpj_numeric_cell"),
        (3, "kpj_format"),
        (4, "date_month_name"),
        (5, "duplicate_in_file"),
        (5, "not_enrolled"),
    ]


def test_a_closed_or_missing_year_is_refused(tmp_path, year):
    ProgramYearFactory(year=2023, status="ditutup")
    path = tmp_path / "a.xlsx"
    path.write_bytes(xlsx([HEADER]))
    with pytest.raises(CommandError, match="2023"):
        call_command("activate_bpjs", str(path), "--year", "2023")
    with pytest.raises(CommandError, match="2019"):
        call_command("activate_bpjs", str(path), "--year", "2019")


def test_the_activation_service_refuses_another_workers_kpj(year, staff):
    active = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    submitted = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    with pytest.raises(services.ValidationError) as exc_info:
        services.enrollment_activate(
            enrollment=submitted,
            kpj_number=active.kpj_number,
            coverage_start=year.coverage_start,
            user=staff,
        )
    assert exc_info.value.code == "kpj_taken"


def test_a_batch_is_checked_against_the_budget_as_a_whole(staff):
    year = ProgramYearFactory(year=2024, budget=16_800 * 12)
    first, second = (
        advance(
            EnrollmentFactory(program_year=year, coverage_start=datetime.date(2024, 7, 1)),
            S.SUBMITTED,
        )
        for _ in range(2)
    )
    # BPJS started both a month earlier: 2 × 7 months no longer fit the 12 months budgeted.
    activations = [
        services.Activation(e.pk, f"2400000000{i}", datetime.date(2024, 6, 1))
        for i, e in enumerate([first, second])
    ]
    with pytest.raises(services.ActivationRefused) as exc_info:
        services.enrollments_activate(program_year=year, activations=activations, user=staff)
    assert (exc_info.value.enrollment_id, exc_info.value.code) == (second.pk, "budget_exceeded")
    assert not Enrollment.objects.filter(status=S.ACTIVE).exists()


def test_the_file_of_submitted_enrollments_refuses_unapproved_ones(year):
    """Rows submitted before approvals existed (written around the services): refused."""
    approved = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    legacy = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    Enrollment.objects.filter(pk=legacy.pk).update(status=S.SUBMITTED)
    with pytest.raises(ValidationError, match=f"kepesertaan {legacy.pk}"):
        bpjs.export_submitted(year, io.BytesIO())
    Enrollment.objects.filter(pk=legacy.pk).update(status=S.VERIFIED)
    assert bpjs.export_submitted(year, io.BytesIO()) == 1  # the approved one
    assert approved.status == S.SUBMITTED
