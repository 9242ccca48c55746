"""Documents follow SIAGA_REGION: letterhead, the decree's signer, the place and the village
label (Kabupaten Penajam Paser Utara has desa as well as kelurahan)."""

import io

import pytest
from django.test import override_settings
from openpyxl import load_workbook
from pypdf import PdfReader

from approvals import services
from approvals.documents import generate
from approvals.models import DocumentKind

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def approved(year, verified, verifikator, kabid):
    batch = services.batch_prepare(program_year=year, user=verifikator)
    return services.batch_approve(batch=batch, user=kabid)


def test_kota_madiun_letterhead(year, approved):
    text = pdf_text(generate(DocumentKind.LAMPIRAN_SK, program_year=year, batch=approved).content)
    assert "PEMERINTAH KOTA MADIUN" in text
    assert "DINAS TENAGA KERJA KOTA MADIUN" in text
    assert "LAMPIRAN KEPUTUSAN WALI KOTA MADIUN" in text
    assert "Madiun, 6 Mei 2024" in text
    assert "Kelurahan Kartoharjo" in text


@override_settings(SIAGA_REGION="64.09", SIAGA_OFFICE_ADDRESS="Jl. Provinsi Km. 9, Penajam")
def test_penajam_paser_utara_letterhead(year, approved):
    text = pdf_text(generate(DocumentKind.LAMPIRAN_SK, program_year=year, batch=approved).content)
    assert "PEMERINTAH KABUPATEN PENAJAM PASER UTARA" in text
    assert "DINAS TENAGA KERJA KABUPATEN PENAJAM PASER UTARA" in text
    assert "LAMPIRAN KEPUTUSAN BUPATI PENAJAM PASER UTARA" in text
    assert "Penajam Paser Utara, 6 Mei 2024" in text
    assert "Kelurahan/Desa Kartoharjo" in text
    rekap = generate(DocumentKind.REKAP, program_year=year, batch=approved, file_format="xlsx")
    sheet = load_workbook(io.BytesIO(rekap.content)).active
    assert sheet["A1"].value == "PEMERINTAH KABUPATEN PENAJAM PASER UTARA"
