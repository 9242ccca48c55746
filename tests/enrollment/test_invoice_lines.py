"""An invoice's participant list (NIK, KPJ, amount) through the importer engine: admin upload,
preview and confirm, the reconciliation it feeds, and the ``import_invoice_lines`` command."""

import csv
import io
import json

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from accounts.roles import OPERATOR, VERIFIKATOR
from enrollment.models import EnrollmentStatus, InvoiceLine, ProgramYearStatus
from importer.models import ImportJob, ImportStatus
from tests.enrollment.factories import EnrollmentFactory, PremiumInvoiceFactory, ProgramYearFactory
from tests.enrollment.helpers import advance
from tests.factories import UserFactory, cli_user_args
from tests.importer.helpers import run_worker

S = EnrollmentStatus
pytestmark = pytest.mark.django_db

HEADER = ["NIK", "NAMA", "NO KPJ", "IURAN"]
IMPORT_URL = "admin:enrollment_premiuminvoice_import"
CONFIRM_URL = "admin:enrollment_premiuminvoice_process_import"
STRANGER = "3577014101900099"  # a valid NIK nobody is enrolled with


@pytest.fixture(autouse=True)
def private_staging_dir(settings, tmp_path):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"


@pytest.fixture
def invoice(year):
    return PremiumInvoiceFactory(program_year=year, month=1, participants_billed=2)


@pytest.fixture
def finance(client):
    user = UserFactory(username="verifikator")
    user.groups.add(Group.objects.get(name=VERIFIKATOR))
    client.force_login(user)
    return user


def xlsx(rows) -> bytes:
    """A workbook whose cells are typed as given (str stays text, like a Text-formatted cell)."""
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, invoice, content, name="tagihan.xlsx"):
    response = client.post(
        reverse(IMPORT_URL),
        {"invoice": invoice.pk, "import_file": SimpleUploadedFile(name, content)},
    )
    return response, ImportJob.objects.latest("pk")


def confirm(client, job, **extra):
    return client.post(reverse(CONFIRM_URL), {"job": job.pk, **extra})


def lines(invoice):
    return sorted(
        invoice.lines.values_list("nik", "kpj_number", "amount", "enrollment_id"), key=str
    )


def run(tmp_path, capsys, content, *args, invoice, name="tagihan.xlsx"):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_invoice_lines",
            str(path),
            "--invoice",
            str(invoice.pk),
            "--json",
            *cli_user_args(args),
        )
        raise SystemExit(0)
    return exit_info.value.code, json.loads(capsys.readouterr().out)


# --- admin: upload, preview, confirm ----------------------------------------------------------


def test_preview_then_confirm_stores_the_lines_and_shows_the_reconciliation(
    client, finance, year, invoice
):
    active = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    content = xlsx(
        [
            ["TAGIHAN IURAN JANUARI 2024"],  # a title row above the header
            HEADER,
            [active.worker.nik, "A", active.kpj_number, "Rp 16.800"],
            [STRANGER, "B", "", 16800],
        ]
    )

    response, job = upload(client, invoice, content)

    assert response["Location"] == reverse(
        "admin:enrollment_premiuminvoice_import_preview", args=[job.pk]
    )
    assert job.options == {"invoice_id": invoice.pk}
    page = client.get(response["Location"]).content.decode()
    assert 'class="count-new">2<' in page
    assert 'class="count-invalid">0<' in page
    assert "Aktif" in page  # the matched line's enrollment
    assert "Rp 16.800" in page
    assert "tidak ada di 2024" in page  # the unmatched NIK is explained, not refused
    assert "1 NIK yang ditagih tidak memiliki kepesertaan di 2024" in page
    assert "Konfirmasi mengganti 0 baris" in page
    assert not InvoiceLine.objects.exists()  # nothing before confirming

    response = confirm(client, job)

    assert response["Location"] == reverse(
        "admin:enrollment_premiuminvoice_reconciliation", args=[invoice.pk]
    )
    job.refresh_from_db()
    assert (job.status, job.rows_new, job.created_by) == (ImportStatus.IMPORTED, 2, finance)
    assert lines(invoice) == sorted(
        [
            (active.worker.nik, active.kpj_number, 16_800, active.pk),
            (STRANGER, "", 16_800, None),
        ],
        key=str,
    )
    reconciliation = client.get(response["Location"])
    assert [line.nik for line in reconciliation.context["billed_not_active"]] == [STRANGER]
    assert reconciliation.context["billed_not_active"][0].enrollment is None


def test_reuploading_the_same_file_gives_the_same_lines(client, finance, year, invoice):
    active = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    proposed = EnrollmentFactory(program_year=year)
    content = xlsx(
        [
            HEADER,
            [active.worker.nik, "A", active.kpj_number, 16800],
            [proposed.worker.nik, "B", "", "16800"],
            [STRANGER, "C", "", "16.800"],
        ]
    )
    _response, first = upload(client, invoice, content)
    confirm(client, first)
    stored = lines(invoice)
    assert len(stored) == 3

    _response, second = upload(client, invoice, content)
    page = client.get(reverse("admin:enrollment_premiuminvoice_import_preview", args=[second.pk]))
    assert "Konfirmasi mengganti 3 baris" in page.content.decode()
    confirm(client, second)

    second.refresh_from_db()
    assert second.status == ImportStatus.IMPORTED
    assert lines(invoice) == stored
    assert InvoiceLine.objects.count() == 3


def test_a_new_list_replaces_the_old_one(client, finance, year, invoice):
    InvoiceLine.objects.create(invoice=invoice, nik="3577010101900001", amount=1)
    other = PremiumInvoiceFactory(program_year=year, month=2)
    kept = InvoiceLine.objects.create(invoice=other, nik="3577010101900001", amount=1)
    _response, job = upload(client, invoice, xlsx([HEADER, [STRANGER, "A", "", 16800]]))
    confirm(client, job)
    assert lines(invoice) == [(STRANGER, "", 16_800, None)]
    assert list(other.lines.all()) == [kept]  # another month's list is untouched


def test_a_nik_typed_as_a_number_is_refused_with_the_standard_message(
    client, finance, year, invoice
):
    active = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    content = xlsx([HEADER, [int(active.worker.nik), "A", "", 16800]])

    _response, job = upload(client, invoice, content)

    [error] = job.errors
    assert (error["row"], error["column"], error["code"]) == (2, "NIK", "nik_numeric_cell")
    assert "15 digit" in error["message"]
    assert "Teks" in error["message"]
    page = client.get(reverse("admin:enrollment_premiuminvoice_import_preview", args=[job.pk]))
    assert error["message"] in page.content.decode()

    invalid = client.get(
        reverse("admin:enrollment_premiuminvoice_import_invalid_rows", args=[job.pk])
    )
    sheet = load_workbook(io.BytesIO(invalid.content)).active
    assert [c.value for c in sheet[1]] == [*HEADER, "Keterangan kesalahan"]
    assert "Teks" in sheet["E2"].value


def test_a_nik_repeated_in_the_file_is_an_invalid_row(client, finance, year, invoice):
    _response, job = upload(
        client,
        invoice,
        xlsx([HEADER, [STRANGER, "A", "", 16800], [STRANGER, "A", "", 16800]]),
    )
    assert (job.rows_new, job.rows_invalid) == (1, 1)
    [error] = job.errors
    assert (error["row"], error["column"], error["code"]) == (3, "NIK", "duplicate_in_file")
    assert "baris 2" in error["message"]


@pytest.mark.parametrize(
    ("amount", "code"),
    [("enam belas ribu", "money_invalid"), (-16800, "money_negative"), (16800.5, "money_not_whole"),
     ("11.827,168", "money_not_whole"), ("16,800", "money_ambiguous")],
)  # fmt: skip
def test_an_amount_that_is_not_whole_rupiah_is_refused(
    client, finance, year, invoice, amount, code
):
    _response, job = upload(client, invoice, xlsx([HEADER, [STRANGER, "A", "", amount]]))
    [error] = job.errors
    assert (error["row"], error["column"], error["code"]) == (2, "IURAN", code)
    assert "rupiah" in error["message"]


def test_an_amount_in_indonesian_notation_is_read_exactly(client, finance, year, invoice):
    """Never a thousand times the amount: Rp 16.800,00 is sixteen thousand eight hundred."""
    other = "3577014101900098"
    content = xlsx([HEADER, [STRANGER, "A", "", "Rp 16.800,00"], [other, "B", "", "16.800"]])
    _response, job = upload(client, invoice, content)
    assert (job.rows_new, job.rows_invalid) == (2, 0)
    client.post(reverse(CONFIRM_URL), {"job": job.pk})
    assert sorted(InvoiceLine.objects.values_list("amount", flat=True)) == [16_800, 16_800]


def test_a_failing_file_writes_nothing(client, finance, year, invoice):
    old = InvoiceLine.objects.create(invoice=invoice, nik="3577010101900001", amount=1)
    content = xlsx([HEADER, [STRANGER, "A", "", 16800], [int(STRANGER), "B", "", 16800]])
    _response, job = upload(client, invoice, content)

    response = confirm(client, job)  # without "import the valid rows"

    job.refresh_from_db()
    assert job.status == ImportStatus.REFUSED
    assert list(invoice.lines.all()) == [old]
    assert response["Location"] == reverse(
        "admin:enrollment_premiuminvoice_change", args=[invoice.pk]
    )


def test_a_year_closed_after_the_preview_refuses_the_write(client, finance, year, invoice):
    old = InvoiceLine.objects.create(invoice=invoice, nik="3577010101900001", amount=1)
    _response, job = upload(client, invoice, xlsx([HEADER, [STRANGER, "A", "", 16800]]))
    year.status = ProgramYearStatus.CLOSED
    year.save()

    response = client.post(reverse(CONFIRM_URL), {"job": job.pk}, follow=True)

    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert "ditutup" in job.message
    assert "ditutup" in response.content.decode()
    assert list(invoice.lines.all()) == [old]


def test_a_long_list_is_staged_and_written_by_the_background_worker(
    client, finance, year, invoice, settings, django_capture_on_commit_callbacks
):
    settings.SIAGA_IMPORT_BACKGROUND_BYTES = 0
    active = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    content = xlsx([HEADER, [active.worker.nik, "A", "", 16800], [STRANGER, "B", "", 16800]])

    with django_capture_on_commit_callbacks(execute=True):
        response, job = upload(client, invoice, content)
    assert response["Location"] == reverse(
        "admin:enrollment_premiuminvoice_import_progress", args=[job.pk]
    )
    run_worker()  # the worker rebuilds the importer with the invoice stored on the job
    job.refresh_from_db()
    assert (job.status, job.rows_new) == (ImportStatus.PREVIEWED, 2)

    with django_capture_on_commit_callbacks(execute=True):
        confirm(client, job)
    run_worker()

    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTED
    assert lines(invoice) == sorted(
        [(active.worker.nik, "", 16_800, active.pk), (STRANGER, "", 16_800, None)], key=str
    )
    status = client.get(reverse("admin:enrollment_premiuminvoice_import_status", args=[job.pk]))
    assert status.json()["next_url"] == reverse(
        "admin:enrollment_premiuminvoice_reconciliation", args=[invoice.pk]
    )


def test_the_invoice_page_links_to_the_upload_for_that_invoice(client, finance, invoice):
    page = client.get(reverse("admin:enrollment_premiuminvoice_change", args=[invoice.pk]))
    url = f"{reverse(IMPORT_URL)}?invoice={invoice.pk}"
    assert url in page.content.decode()
    form = client.get(url).content.decode()
    assert f'<option value="{invoice.pk}" selected>' in form
    assert "Unggah daftar peserta" in form
    template = client.get(reverse("admin:enrollment_premiuminvoice_import_template"))
    header = [c.value for c in load_workbook(io.BytesIO(template.content)).active[1]]
    assert header == ["NIK", "No KPJ", "Iuran"]


def test_closed_years_invoices_are_not_offered(client, finance, invoice):
    closed = PremiumInvoiceFactory(
        program_year=ProgramYearFactory(year=2023, status=ProgramYearStatus.CLOSED)
    )
    form = client.get(reverse(IMPORT_URL)).content.decode()
    assert f'<option value="{invoice.pk}"' in form
    assert f'<option value="{closed.pk}"' not in form
    response = client.post(
        reverse(IMPORT_URL),
        {
            "invoice": closed.pk,
            "import_file": SimpleUploadedFile("a.xlsx", xlsx([HEADER, [STRANGER, "", "", 1]])),
        },
    )
    assert response.status_code == 200
    assert not ImportJob.objects.exists()


def test_only_staff_who_may_change_invoices_may_upload(client, invoice):
    operator = UserFactory(username="operator")
    operator.groups.add(Group.objects.get(name=OPERATOR))
    client.force_login(operator)
    assert client.get(reverse(IMPORT_URL)).status_code == 403
    response = client.post(
        reverse(IMPORT_URL),
        {"invoice": invoice.pk, "import_file": SimpleUploadedFile("a.xlsx", b"x")},
    )
    assert response.status_code == 403
    assert not ImportJob.objects.exists()


# --- command line ------------------------------------------------------------------------------


def test_command_stores_a_semicolon_csv(tmp_path, capsys, year, invoice):
    active = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    path = tmp_path / "tagihan.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["No NIK", "Nomor KPJ", "Jumlah Iuran"])
        writer.writerow([active.worker.nik, active.kpj_number, "16.800"])
        writer.writerow([STRANGER, "", "Rp 16.800,00"])

    code, report = run(tmp_path, capsys, path.read_bytes(), invoice=invoice, name="tagihan.csv")

    assert (code, report["new"], report["written"]) == (0, 2, True)
    assert lines(invoice) == sorted(
        [
            (active.worker.nik, active.kpj_number, 16_800, active.pk),
            (STRANGER, "", 16_800, None),
        ],
        key=str,
    )
    assert ImportJob.objects.get().kind == "invoice_lines"


def test_command_dry_run_and_invalid_rows_write_nothing(tmp_path, capsys, year, invoice):
    content = xlsx([HEADER, [STRANGER, "A", "", 16800], [STRANGER, "B", "", 16800]])

    code, report = run(tmp_path, capsys, content, "--dry-run", invoice=invoice)
    assert (code, report["new"], report["invalid"], report["written"]) == (1, 1, 1, False)
    code, report = run(tmp_path, capsys, content, invoice=invoice)
    assert (code, report["written"]) == (1, False)
    assert not InvoiceLine.objects.exists()

    code, report = run(tmp_path, capsys, content, "--skip-invalid", invoice=invoice)
    assert (code, report["written"]) == (0, True)
    assert lines(invoice) == [(STRANGER, "", 16_800, None)]


def test_command_refuses_a_closed_year_before_reading(tmp_path, capsys, invoice):
    invoice.program_year.status = ProgramYearStatus.CLOSED
    invoice.program_year.save()
    with pytest.raises(CommandError, match="ditutup"):
        call_command("import_invoice_lines", str(tmp_path / "x.xlsx"), "--invoice", invoice.pk)
    assert not ImportJob.objects.exists()
