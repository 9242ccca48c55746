"""Bounded reading: a sheet's declared and real extent is checked before calamine sees it."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from importer import reading
from importer.engine import INVALID, build_plan
from importer.errors import FileRejected
from importer.reading import open_sheet
from participants.resources import WorkerImporter
from tests.fixtures import build_hostile

FILES = Path(__file__).parents[1] / "fixtures" / "spreadsheets"
HOSTILE = Path(build_hostile.OUT)
CLEAN = ["clean.xlsx", "clean.xls", "clean.ods", "clean.csv"]


def refusal(data: bytes, name: str) -> FileRejected:
    with pytest.raises(FileRejected) as caught:
        list(open_sheet(data, name).rows)
    return caught.value


@pytest.fixture
def no_calamine(monkeypatch):
    """Fail the test if the file reaches calamine (which would allocate the range)."""

    def refuse(*args, **kwargs):
        raise AssertionError("calamine was asked to open a file over the limits")

    monkeypatch.setattr(reading.CalamineWorkbook, "from_filelike", refuse)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("sparse_max_range.xlsx", "too_many_rows"),  # declared A1:XFD1048576
        ("sparse_max_range_hidden.xlsx", "too_many_rows"),  # dimension lies; the cell tells
        ("wide_row_without_references.xlsx", "too_many_columns"),  # no r=: walked cell by cell
        ("many_one_cell_rows.xlsx", "too_many_rows"),
        ("huge_shared_strings_declared.xlsx", "too_many_cells"),
        ("many_sheets.xlsx", "too_many_sheets"),
        ("deep_nesting.xlsx", "corrupt"),
        ("zip_bomb.xlsx", "zip_bomb"),
        ("zip_bomb_lying_sizes.xlsx", "corrupt"),
        ("repeated_rows.ods", "too_many_rows"),
        ("huge_dimensions.xls", "too_many_rows"),
        ("far_cell.xls", "too_many_columns"),
        ("wide_row.csv", "too_many_columns"),
    ],
)
def test_hostile_files_are_refused_before_the_reader_allocates(name, code, no_calamine):
    error = refusal((HOSTILE / name).read_bytes(), name)
    assert error.code == code


def test_the_message_names_the_sheet_the_extent_and_how_to_fix_it():
    error = refusal((HOSTILE / "sparse_max_range.xlsx").read_bytes(), "daftar.xlsx")
    assert error.message.startswith(
        "Lembar Data Pekerja menyatakan 1.048.576 baris (sampai sel XFD1048576); paling "
        "banyak 200.000 baris dapat diimpor sekaligus. Tekan Ctrl+End"
    )


@pytest.mark.parametrize("name", CLEAN)
def test_every_format_counts_its_real_rows_and_columns(name, settings):
    data = (FILES / name).read_bytes()
    assert len(list(open_sheet(data, name).rows)) >= 8  # within the default limits
    settings.SIAGA_IMPORT_MAX_ROWS = 5  # title, subtitle, blank, header and 4 rows = 8
    assert refusal(data, name).code == "too_many_rows"
    settings.SIAGA_IMPORT_MAX_ROWS = 200_000
    settings.SIAGA_IMPORT_MAX_COLUMNS = 10  # the list has 20 columns
    assert refusal(data, name).code == "too_many_columns"
    settings.SIAGA_IMPORT_MAX_COLUMNS = 100
    settings.SIAGA_IMPORT_MAX_CELLS = 50
    assert refusal(data, name).code == "too_many_cells"


def test_a_sheet_without_cell_references_within_the_limits_is_read():
    rows = "".join(
        f'<row><c t="inlineStr"><is><t>{h}</t></is></c><c t="inlineStr"><is><t>x</t></is></c></row>'
        for h in ("NIK", "Nama")
    )
    data = build_hostile.xlsx([build_hostile.sheet_xml(rows, None)])
    sheet = open_sheet(data, "daftar.xlsx")
    assert [cells for _, cells in sheet.rows] == [["NIK", "x"], ["Nama", "x"]]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("unicode.txt", codecs.BOM_UTF16_LE + "NIK\tNama\r\n1\tJosé\r\n".encode("utf-16-le")),
        ("daftar.csv", codecs.BOM_UTF16_BE + "NIK;Nama\r\n1;José\r\n".encode("utf-16-be")),
        ("daftar.csv", codecs.BOM_UTF32_LE + "NIK,Nama\r\n1,José\r\n".encode("utf-32-le")),
        ("daftar.csv", "NIK\tNama\r\n1\tJosé\r\n".encode("utf-16-le")),  # no BOM
        ("daftar.tsv", "NIK\tNama\r\n1\tJosé\r\n".encode("cp1252")),
    ],
)
def test_unicode_and_tab_separated_text_is_read(name, data):
    sheet = open_sheet(data, name)
    assert [cells for _, cells in sheet.rows] == [["NIK", "Nama"], ["1", "José"]]


def test_excel_unicode_text_from_the_corpus_reads_as_a_table():
    name = "unicode_text_utf16.txt"
    rows = [cells for _, cells in open_sheet((HOSTILE / name).read_bytes(), name).rows]
    assert rows == [build_hostile.HEADER, build_hostile.BAD_ROW]


def test_a_binary_file_named_csv_is_still_refused():
    assert refusal(b"NIK,Nama\n\x00\x01\x02\x03garbage", "daftar.csv").code == "wrong_type"


def test_library_messages_are_translated():
    error = refusal((HOSTILE / "unclosed_quote.csv").read_bytes(), "daftar.csv")
    assert error.code == "field_too_long"
    assert error.message.startswith(
        "Baris 2 berkas ini berisi satu sel yang lebih panjang dari 131.072 karakter."
    )
    assert "field limit" not in error.message
    error = refusal((FILES / "corrupt.xlsx").read_bytes(), "daftar.xlsx")
    assert error.message.startswith("Berkas daftar.xlsx rusak")
    assert "Error" not in error.message


def test_csv_rows_beyond_the_limit_stop_the_reading(settings):
    settings.SIAGA_IMPORT_MAX_ROWS = 1000
    data = b"NIK,Nama\n" + b"1\n" * 5000
    error = refusal(data, "daftar.csv")
    assert error.code == "too_many_rows"
    assert "1001" in error.message.replace(".", "")


@pytest.mark.django_db
def test_invalid_rows_beyond_the_first_are_counted_not_kept(settings):
    settings.SIAGA_IMPORT_MAX_KEPT_INVALID = 2
    plan = build_plan(WorkerImporter(), (FILES / "problems.xlsx").read_bytes(), "problems.xlsx")
    kept = [r for r in plan.rows if r.status == INVALID]
    assert len(kept) == 2 and all(r.cells for r in kept)
    assert plan.invalid_omitted >= 1
    assert plan.counts()[INVALID] == 2 + plan.invalid_omitted
    assert plan.counts()["rows"] == len(plan.rows) + plan.invalid_omitted
    assert "2 baris tidak valid pertama" in plan.omitted_note()
    settings.SIAGA_IMPORT_MAX_KEPT_INVALID = 1000
    full = build_plan(WorkerImporter(), (FILES / "problems.xlsx").read_bytes(), "problems.xlsx")
    assert full.counts() == plan.counts()
