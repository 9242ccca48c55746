"""Uploads that are hostile or broken get a clear Indonesian message, never a crash."""

import datetime
import io
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from importer.errors import FileRejected
from importer.parsers import CellError, parse_date, parse_kk, parse_nik, parse_phone, parse_rupiah
from importer.reading import open_sheet

SPREADSHEETS = Path(__file__).resolve().parents[1] / "fixtures" / "spreadsheets"


def rejection(data: bytes, name: str) -> FileRejected:
    with pytest.raises(FileRejected) as exc:
        sheet = open_sheet(data, name)
        list(sheet.rows)
    return exc.value


def test_a_password_protected_workbook_is_named_as_such():
    # Made with msoffcrypto-tool from clean.xlsx (password "rahasia"), as Excel does.
    error = rejection((SPREADSHEETS / "password.xlsx").read_bytes(), "daftar.xlsx")
    assert error.code == "password_protected"
    assert "kata sandi" in str(error)


def test_a_zip_bomb_is_refused_before_it_is_unpacked(settings):
    settings.SIAGA_IMPORT_MAX_UNPACKED_BYTES = 400 * 1024 * 1024
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b" " * (20 * 1024 * 1024))
    error = rejection(buffer.getvalue(), "daftar.xlsx")
    assert error.code == "zip_bomb"  # 20 MB of spaces packs at >1000:1


@pytest.mark.parametrize(
    "data,name,code",
    [
        (b"", "kosong.xlsx", "empty_file"),
        (b"PK\x03\x04 truncated", "rusak.xlsx", "corrupt"),
        (b"%PDF-1.7 ...", "daftar.xlsx", "wrong_type"),
        (b"<html><body>x</body></html>", "daftar.xls", "wrong_type"),
        (b"NIK;Nama\n", "daftar.docx", "unsupported_extension"),
    ],
)
def test_broken_uploads_get_a_coded_message(data, name, code):
    assert rejection(data, name).code == code


cells = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.integers(min_value=-(10**17), max_value=10**17),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(),
    st.datetimes(),
)


@settings(max_examples=300, deadline=None)
@given(cells)
def test_cell_parsers_return_a_value_or_a_cell_error_never_crash(cell):
    for parser in (parse_nik, parse_kk, parse_date, parse_phone, parse_rupiah):
        try:
            parser(cell)
        except CellError as exc:
            assert exc.code and str(exc)


@given(st.dates(datetime.date(1930, 1, 1), datetime.date(2030, 12, 31)))
def test_every_day_first_spelling_of_a_date_reads_back_the_same_day(day):
    for text in (f"{day:%d-%m-%Y}", f"{day:%d/%m/%Y}", f"{day:%d.%m.%Y}", f"{day:%Y-%m-%d}"):
        assert parse_date(text) == day


@given(st.integers(min_value=10**15, max_value=10**16 - 1))
def test_a_nik_typed_as_a_number_is_never_silently_accepted(number):
    for cell in (number, float(number), f"{float(number):.5E}"):
        with pytest.raises(CellError):
            parse_nik(cell)
