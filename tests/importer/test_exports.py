import io

from openpyxl import load_workbook

from importer.engine import PlannedRow
from importer.errors import RowError
from importer.exports import escape_formula, invalid_rows_xlsx, safe_cell, write_xlsx


def test_formula_looking_text_is_escaped():
    for text in ["=1+1", "+A1", "-2+3", "@SUM(A1)", "\t=x"]:
        assert escape_formula(text) == "'" + text


def test_plain_numbers_and_other_values_are_left_alone():
    assert escape_formula("+6281234567890") == "+6281234567890"
    assert escape_formula("-5") == "-5"
    assert escape_formula("Budi") == "Budi"
    assert escape_formula(12) == 12


def test_safe_cell_defuses_formulas_and_replaces_what_xlsx_cannot_hold():
    assert safe_cell("=1+1") == "'=1+1"
    assert safe_cell("Budi\x07Santoso") == "Budi\ufffdSantoso"
    assert safe_cell("\x1b=1+1") == "\ufffd=1+1"  # no longer starts like a formula
    assert safe_cell("Nu\u0301r 👩🏽‍🌾") == "Nu\u0301r 👩🏽‍🌾"
    assert safe_cell(12) == 12
    assert safe_cell(None) is None


def test_written_workbooks_contain_no_formulas():
    buffer = io.BytesIO()
    write_xlsx(buffer, ["Nama"], [['=HYPERLINK("http://x")']])
    sheet = load_workbook(io.BytesIO(buffer.getvalue())).active
    assert sheet["A2"].data_type == "s"
    assert sheet["A2"].value.startswith("'=")


def test_invalid_rows_keep_the_original_columns_and_explain_the_error():
    row = PlannedRow(
        7,
        "invalid",
        cells=["3.57701E+15", "Budi"],
        errors=[RowError(7, "NIK", "nik_scientific", "NIK salah")],
    )
    buffer = io.BytesIO()
    invalid_rows_xlsx(buffer, ["NIK", "Nama"], [row], sheet_title="Data Pekerja")
    sheet = load_workbook(io.BytesIO(buffer.getvalue()))["Data Pekerja"]
    assert [c.value for c in sheet[1]] == ["NIK", "Nama", "Keterangan kesalahan"]
    assert [c.value for c in sheet[2]] == ["3.57701E+15", "Budi", "NIK: NIK salah"]
