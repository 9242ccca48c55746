import datetime
from pathlib import Path

import pytest

from importer.errors import FileRejected
from importer.reading import decode_text, detect_delimiter, detect_kind, open_sheet

FILES = Path(__file__).parent.parent / "fixtures" / "spreadsheets"


def rows_of(name, **kwargs):
    sheet = open_sheet((FILES / name).read_bytes(), name, **kwargs)
    return sheet, list(sheet.rows)


@pytest.mark.parametrize(
    ("name", "kind"),
    [("clean.xlsx", "xlsx"), ("clean.xls", "xls"), ("clean.ods", "ods"), ("clean.csv", "csv")],
)
def test_it_detects_the_format_from_the_content(name, kind):
    assert detect_kind((FILES / name).read_bytes(), name) == kind


def test_a_real_workbook_with_the_wrong_extension_is_still_read():
    assert detect_kind((FILES / "clean.xlsx").read_bytes(), "daftar.xls") == "xlsx"


@pytest.mark.parametrize(
    ("name", "code"),
    [("corrupt.xlsx", "corrupt"), ("html_named.xls", "wrong_type")],
)
def test_broken_files_are_refused_with_a_reason(name, code):
    with pytest.raises(FileRejected) as caught:
        rows_of(name)
    assert caught.value.code == code


def test_a_pdf_behind_an_xlsx_name_is_refused():
    with pytest.raises(FileRejected) as caught:
        detect_kind(b"%PDF-1.4 ...", "daftar.xlsx")
    assert caught.value.code == "wrong_type"
    assert "PDF" in caught.value.message


def test_other_extensions_and_empty_files_are_refused():
    with pytest.raises(FileRejected) as caught:
        detect_kind(b"NIK,Nama", "daftar.docx")
    assert caught.value.code == "unsupported_extension"
    with pytest.raises(FileRejected) as caught:
        detect_kind(b"  \n", "daftar.csv")
    assert caught.value.code == "empty_file"


def test_row_numbers_are_the_ones_the_spreadsheet_shows():
    for name in ("clean.xlsx", "clean.xls", "clean.ods", "clean.csv"):
        _, rows = rows_of(name)
        numbers = {number: cells for number, cells in rows}
        assert numbers[1][0] == "DAFTAR CALON PESERTA SIAGA KITA 2024", name
        assert numbers[4][1] == "NIK", name
        assert numbers[5][1] == "3577011204850001", name


def test_cells_keep_their_types():
    _, rows = rows_of("clean.xlsx")
    first = dict(rows)[5]
    assert first[1] == "3577011204850001"  # a text cell stays text
    assert first[4] == datetime.date(1985, 4, 12)  # a date cell is a date
    _, rows = rows_of("nik_as_number.xlsx")
    assert isinstance(dict(rows)[5][1], float)  # a NIK typed as a number is a number


def test_the_sheet_named_like_the_template_wins_over_the_first():
    sheet, rows = rows_of("template_sheet_second.xlsx", preferred_sheet="Data Pekerja")
    assert sheet.name == "DATA PEKERJA"
    assert rows[0][1][1] == "NIK"
    sheet, _ = rows_of("template_sheet_second.xlsx")
    assert sheet.name == "Petunjuk"


def test_csv_encodings():
    assert decode_text("José".encode("cp1252")) == "José"
    assert decode_text("\ufeffNIK".encode()) == "NIK"
    assert decode_text("José".encode()) == "José"


def test_csv_delimiters_even_with_commas_inside_values():
    assert detect_delimiter("NIK;Nama;Alamat\n1;Budi;Jl. A, No 3\n2;Ani;Jl. B, No 4\n") == ";"
    assert detect_delimiter('NIK,Nama,Alamat\n1,Budi,"Jl. A; No 3"\n') == ","


def test_semicolon_cp1252_file():
    sheet, rows = rows_of("semicolon_cp1252.csv")
    assert sheet.kind == "csv"
    assert rows[2][1][2] == "José Pérez"
    assert rows[1][1][1] == "N I K"
