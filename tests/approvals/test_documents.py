"""Official documents: they list exactly what was approved, never change after approval,
download byte-identical, and are recorded; who may download them."""

import io
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import StaffProfile
from approvals import services
from approvals.bpjs import export_batch
from approvals.documents import generate
from approvals.layout import tanggal
from approvals.models import DocumentKind, GeneratedDocument, SnapshotRow, SubmissionBatch
from enrollment.models import MICRO, Claim, ClaimType, InvoiceLine
from participants.models import Kelurahan
from tests.enrollment.factories import PremiumInvoiceFactory
from tests.factories import HeirFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "approvals"


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def screenshot(content: bytes, name: str) -> None:
    """First page as PNG under test-artifacts/ (needs pdftoppm from poppler-utils)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / f"{name}.pdf").write_bytes(content)
    if shutil.which("pdftoppm"):
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "60",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                str(ARTIFACTS / f"{name}.pdf"),
                str(ARTIFACTS / name),
            ],
            check=True,
        )


@pytest.fixture
def approved(year, verified, verifikator, kabid):
    StaffProfile.objects.create(
        user=kabid,
        signature_name="Drs. Bambang Sutrisno, M.M.",
        position="Kepala Bidang Jaminan Sosial",
        rank="Pembina, IV/a",
        nip="197005121995031002",
    )
    batch = services.batch_prepare(program_year=year, user=verifikator)
    return services.batch_approve(batch=batch, user=kabid)


def test_sk_attachment_lists_exactly_the_snapshot_people_and_totals(year, approved):
    made = generate(DocumentKind.LAMPIRAN_SK, program_year=year, batch=approved)
    screenshot(made.content, "lampiran-sk")
    text = pdf_text(made.content)
    rows = list(SnapshotRow.objects.filter(batch=approved))
    assert set(re.findall(r"\b\d{16}\b", text)) == {r.nik for r in rows}
    for row in rows:
        assert row.full_name in text
    monthly = sum(r.monthly_premium for r in rows)
    yearly = sum(r.committed_amount for r in rows)
    assert re.search(rf"JUMLAH {len(rows)} {monthly:,} {yearly:,}".replace(",", "."), text)
    assert "Drs. Bambang Sutrisno, M.M." in text and "NIP. 197005121995031002" in text
    assert "Pembina, IV/a" in text
    assert tanggal(approved.approved_at) == "6 Mei 2024"
    assert "Madiun, 6 Mei 2024" in text
    assert approved.number.replace("/", "-") in text


def test_registry_edit_after_approval_changes_no_document_nor_the_bpjs_file(
    year, verified, approved
):
    before = {
        fmt: generate(DocumentKind.LAMPIRAN_SK, program_year=year, file_format=fmt).content
        for fmt in ("pdf", "xlsx")
    }
    rekap_before = generate(DocumentKind.REKAP, program_year=year, batch=approved).content
    bpjs_before = export_batch(approved)
    worker = verified[0].worker
    old_name = worker.full_name
    worker.full_name = "Nama Sesudah Disetujui"
    worker.kelurahan = Kelurahan.objects.exclude(pk=worker.kelurahan_id).first()
    worker.save()
    verified[1].monthly_premium = 99_999
    verified[1].monthly_premium_micro = 99_999 * MICRO  # the exact premium rounds to it
    verified[1].save()
    after = {
        fmt: generate(DocumentKind.LAMPIRAN_SK, program_year=year, file_format=fmt).content
        for fmt in ("pdf", "xlsx")
    }
    assert after == before  # byte-identical, PDF and xlsx
    assert generate(DocumentKind.REKAP, program_year=year, batch=approved).content == rekap_before
    assert export_batch(approved) == bpjs_before
    text = pdf_text(after["pdf"])
    assert old_name in text and "Nama Sesudah Disetujui" not in text
    sheet = load_workbook(io.BytesIO(bpjs_before)).active
    assert old_name.upper() in [c.value for c in sheet["C"]]


def test_every_document_in_both_formats_is_recorded(year, verified, approved, kabid):
    invoice = PremiumInvoiceFactory(program_year=year, month=2, participants_billed=5, amount=1)
    snapshot = list(SnapshotRow.objects.filter(batch=approved).order_by("position"))
    for row in snapshot[:4]:
        InvoiceLine.objects.create(
            invoice=invoice,
            nik=row.nik,
            amount=row.monthly_premium,
            enrollment_id=row.enrollment_id_frozen,
        )
    InvoiceLine.objects.create(invoice=invoice, nik="3577010101010999", amount=16_800)
    dead = verified[0]
    Claim.objects.create(
        enrollment=dead,
        claim_type=ClaimType.JKM,
        event_date="2024-03-01",
        fatal=True,
        benefit_amount=42_000_000,
    )
    HeirFactory(worker=dead.worker, name="Anak Sekolah", birth_date="2012-01-01")
    cases = [
        (DocumentKind.LAMPIRAN_SK, {}),
        (DocumentKind.BA_VERIFIKASI, {"batch": approved}),
        (DocumentKind.REKAP, {}),
        (DocumentKind.BA_REKONSILIASI, {"invoice": invoice}),
        (DocumentKind.LAPORAN_KLAIM, {}),
    ]
    for kind, extra in cases:
        for fmt in ("pdf", "xlsx"):
            made = generate(kind, program_year=year, file_format=fmt, user=kabid, **extra)
            again = generate(kind, program_year=year, file_format=fmt, user=kabid, **extra)
            assert made.content == again.content, (kind, fmt)
            assert made.record.sha256 == again.record.sha256
            assert made.record.generated_by == kabid
            if fmt == "pdf":
                screenshot(made.content, kind)
    assert GeneratedDocument.objects.count() == 20
    reconciliation = pdf_text(
        generate(DocumentKind.BA_REKONSILIASI, program_year=year, invoice=invoice).content
    )
    assert "3577010101010999" in reconciliation
    assert "NIK tidak cocok dengan kepesertaan Siaga" in reconciliation
    assert snapshot[4].nik in reconciliation and "Peserta disetujui tidak ditagih" in reconciliation
    claims = pdf_text(generate(DocumentKind.LAPORAN_KLAIM, program_year=year).content)
    assert "Anak Sekolah" in claims and "42.000.000" in claims


def test_cli_writes_the_same_bytes_as_the_download(year, approved, tmp_path):
    out = tmp_path / "sk.pdf"
    call_command("document", "lampiran-sk", "--year", "2024", "--output", str(out))
    assert out.read_bytes() == generate(DocumentKind.LAMPIRAN_SK, program_year=year).content
    xlsx = tmp_path / "rekap.xlsx"
    call_command(
        "document",
        "rekap",
        "--year",
        "2024",
        "--batch",
        str(approved.pk),
        "--format",
        "xlsx",
        "--output",
        str(xlsx),
    )
    assert load_workbook(xlsx).active["A1"].value == "PEMERINTAH KOTA MADIUN"
    assert GeneratedDocument.objects.filter(generated_by=None).count() == 3  # 2 CLI + 1 here


def test_unapproved_year_has_no_sk_attachment(year, verified, verifikator, tmp_path):
    from django.core.management.base import CommandError

    services.batch_prepare(program_year=year, user=verifikator)
    with pytest.raises(CommandError, match="belum memiliki batch usulan yang disetujui"):
        call_command(
            "document", "lampiran-sk", "--year", "2024", "--output", str(tmp_path / "x.pdf")
        )


@pytest.mark.parametrize(
    ("role", "status"),
    [("verifikator", 200), ("kabid", 200), ("operator", 403), ("pimpinan", 403)],
)
def test_who_may_download(client, request, year, approved, role, status):
    user = request.getfixturevalue(role)
    client.force_login(user)
    url = reverse("admin:approvals_document")
    response = client.get(url, {"kind": "lampiran-sk", "year": 2024, "format": "pdf"})
    assert response.status_code == status
    page = client.get(reverse("admin:approvals_documents"), {"year": 2024})
    assert page.status_code == status
    if status == 200:
        assert response["Content-Type"] == "application/pdf"
        assert GeneratedDocument.objects.get().generated_by == user
    else:
        assert not GeneratedDocument.objects.exists()


def test_admin_decide_page_returns_with_reasons_per_row(client, year, verified, verifikator, kabid):
    batch = services.batch_prepare(program_year=year, user=verifikator)
    client.force_login(kabid)
    url = reverse("admin:approvals_submissionbatch_decide", args=[batch.pk])
    nik = verified[2].worker.nik
    response = client.post(url, {"rejections": "12345; bukan baris", "_return": "1"})
    assert response.status_code == 200
    assert "12345" in response.content.decode()  # the refused line is named
    batch.refresh_from_db()
    assert batch.status == "diajukan"
    response = client.post(url, {"rejections": f"{nik}; KTP tidak terbaca", "_return": "1"})
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.status == "dikembalikan"
    assert batch.items.get(rejected=True).enrollment == verified[2]
    client.force_login(verifikator)
    assert client.get(url).status_code == 403


def test_nobody_edits_or_deletes_the_log_in_the_admin(admin_client, year, approved):
    decision = approved.decisions.first()
    for name in ("decision", "snapshotrow", "generateddocument", "submissionbatch"):
        assert admin_client.get(reverse(f"admin:approvals_{name}_add")).status_code == 403
    change = admin_client.post(
        reverse("admin:approvals_decision_change", args=[decision.pk]), {"note": "x"}
    )
    assert change.status_code == 403
    delete = admin_client.post(
        reverse("admin:approvals_decision_delete", args=[decision.pk]), {"post": "yes"}
    )
    assert delete.status_code == 403
    decision.refresh_from_db()
    assert decision.note != "x"


def test_bpjs_file_download_only_for_approved_batches_and_bpjs_staff(
    client, year, verified, verifikator, kabid, approved
):
    url = reverse("admin:approvals_submissionbatch_bpjs", args=[approved.pk])
    client.force_login(kabid)  # approves, but does not send files to BPJS
    assert client.get(url).status_code == 403
    client.force_login(verifikator)
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == export_batch(approved)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert {c.value for c in sheet["B"][1:]} == {e.worker.nik for e in verified}


def test_reconciliation_without_the_line_list_compares_totals_only(year, approved):
    invoice = PremiumInvoiceFactory(program_year=year, month=3, participants_billed=6, amount=9)
    text = pdf_text(
        generate(DocumentKind.BA_REKONSILIASI, program_year=year, invoice=invoice).content
    )
    assert "Daftar peserta tagihan belum diterima dari BPJS" in text
    assert "Peserta disetujui tidak ditagih" not in text
    assert re.search(r"Jumlah peserta 6 5 1", text)


def test_prepare_page_and_batch_pages_by_role(client, year, verified, verifikator, kabid):
    prepare = reverse("admin:approvals_submissionbatch_prepare")
    client.force_login(kabid)
    assert client.get(prepare).status_code == 403
    client.force_login(verifikator)
    assert client.get(prepare).status_code == 200
    response = client.post(prepare, {"program_year": year.pk, "title": "Tahap 1"})
    assert response.status_code == 302
    batch = SubmissionBatch.objects.get()
    assert batch.title == "Tahap 1" and batch.items.count() == 5
    again = client.post(prepare, {"program_year": year.pk})
    assert again.status_code == 200
    assert "Tidak ada kepesertaan terverifikasi tahun 2024" in again.content.decode()
    client.force_login(kabid)
    change = client.get(reverse("admin:approvals_submissionbatch_change", args=[batch.pk]))
    assert change.status_code == 200
    decide = reverse("admin:approvals_submissionbatch_decide", args=[batch.pk])
    assert reverse("admin:approvals_submissionbatch_decide", args=[batch.pk]) in (
        change.content.decode()
    )
    assert client.post(decide, {"note": "Lengkap", "_approve": "1"}).status_code == 302
    batch.refresh_from_db()
    assert batch.status == "disetujui"
    html = client.get(
        reverse("admin:approvals_document"),
        {"kind": "lampiran-sk", "year": 2024, "batch": batch.pk, "format": "html"},
    ).content.decode()
    for enrollment in verified:
        assert enrollment.worker.nik in html
    assert "Madiun, 6 Mei 2024" in html


def test_document_date_is_the_approval_day_in_madiun(year, verified, verifikator, kabid):
    """Approved at 20:00 UTC on 6 May is 7 May in Madiun (WIB, UTC+7)."""
    import datetime

    import time_machine

    batch = services.batch_prepare(program_year=year, user=verifikator)
    at = datetime.datetime(2024, 5, 6, 20, 0, tzinfo=datetime.UTC)
    with time_machine.travel(at, tick=False):
        batch = services.batch_approve(batch=batch, user=kabid)
    text = pdf_text(generate(DocumentKind.LAMPIRAN_SK, program_year=year).content)
    assert "Madiun, 7 Mei 2024" in text


def test_generated_documents_are_listed_on_their_batch_year_and_invoice_pages(
    client, year, approved, kabid, operator
):
    invoice = PremiumInvoiceFactory(program_year=year, month=3, participants_billed=5, amount=1)
    sk = generate(DocumentKind.LAMPIRAN_SK, program_year=year, batch=approved, user=kabid)
    minutes = generate(DocumentKind.BA_VERIFIKASI, program_year=year, batch=approved, user=kabid)
    reconciliation = generate(
        DocumentKind.BA_REKONSILIASI, program_year=year, invoice=invoice, user=kabid
    )
    client.force_login(kabid)
    pages = {
        "batch": reverse("admin:approvals_submissionbatch_change", args=[approved.pk]),
        "year": reverse("admin:enrollment_programyear_change", args=[year.pk]),
        "invoice": reverse("admin:enrollment_premiuminvoice_change", args=[invoice.pk]),
        "documents": reverse("admin:approvals_documents") + "?year=2024",
    }
    listed = {name: client.get(url).content.decode() for name, url in pages.items()}
    for made in (sk, minutes):
        assert made.record.sha256[:12] in listed["batch"]
    for made in (sk, minutes, reconciliation):
        assert made.record.sha256[:12] in listed["year"]
        assert made.record.sha256[:12] in listed["documents"]
    assert reconciliation.record.sha256[:12] in listed["invoice"]
    assert sk.record.sha256[:12] not in listed["invoice"]
    # Who may not generate documents does not see the list.
    client.force_login(operator)
    page = client.get(pages["year"])
    assert 'id="generated-documents"' not in page.content.decode()


@pytest.mark.parametrize(
    "kind", [DocumentKind.LAMPIRAN_SK, DocumentKind.REKAP, DocumentKind.BA_VERIFIKASI]
)
def test_print_view_and_pdf_show_the_same_headings_and_totals(client, year, approved, kabid, kind):
    """Both render one ``Document`` through the texts of ``approvals.layout``: the print view's
    headings, column titles, totals, number and signature lines are all in the PDF."""
    from html import unescape

    from approvals.documents import build

    client.force_login(kabid)
    query = {"kind": kind, "year": 2024, "batch": approved.pk}
    html = client.get(reverse("admin:approvals_document"), {**query, "format": "html"})
    pdf = client.get(reverse("admin:approvals_document"), {**query, "format": "pdf"})
    assert html.status_code == pdf.status_code == 200
    page = html.content.decode()
    text = pdf_text(pdf.content)

    def cells(pattern, source=page):
        return [unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(pattern, source)]

    headings = cells(r"<h3>(.*?)</h3>")
    labels = cells(r"<th>(.*?)</th>")
    totals = [
        cell
        for row in re.findall(r'<tr class="total">(.*?)</tr>', page, re.S)
        for cell in cells(r"<td>(.*?)</td>", row)
        if cell
    ]
    document = build(kind, program_year=year, batch=approved)
    assert headings == [t.heading for t in document.tables if t.heading]
    assert labels == [label for t in document.tables for label in t.labels]
    assert totals == [v for t in document.tables for v in (t.total_texts() or []) if v]
    assert totals or kind == DocumentKind.BA_VERIFIKASI  # the SK and the summary have totals
    flat = re.sub(r"\s+", " ", text)
    for piece in [*headings, *labels, *totals, document.number_line, document.place_date]:
        assert piece in flat, piece
    for signer in document.signers:
        assert signer.name_line in page and signer.name_line in flat
        assert signer.nip_line in page and signer.nip_line in flat
