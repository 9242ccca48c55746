import datetime

import pytest

from importer.errors import CellError
from importer.parsers import (
    choice_parser,
    clean_text,
    parse_birth_date,
    parse_date,
    parse_kk,
    parse_nik,
    parse_phone,
    parse_rt_rw,
    parse_rupiah,
    safe_text_parser,
)


def error_code(parser, value):
    with pytest.raises(CellError) as caught:
        parser(value)
    return caught.value.code


class TestNik:
    def test_it_accepts_sixteen_digit_text(self):
        assert parse_nik("3577011204850001") == "3577011204850001"

    def test_it_drops_the_apostrophe_that_forces_text_and_spaces(self):
        assert parse_nik(" '3577 0112 0485 0001 ") == "3577011204850001"

    @pytest.mark.parametrize("value", [3577011204850000.0, 3577011204850001, 3.57701e15])
    def test_it_refuses_numeric_cells(self, value):
        assert error_code(parse_nik, value) == "nik_numeric_cell"

    def test_the_message_tells_staff_to_format_the_column_as_text(self):
        with pytest.raises(CellError) as caught:
            parse_nik(3577011204850000.0)
        assert caught.value.message == (
            "NIK tersimpan sebagai angka, padahal spreadsheet hanya menyimpan 15 digit, sehingga "
            "digit terakhir mungkin sudah berubah. Ubah format kolom NIK menjadi Teks di "
            "spreadsheet lalu ketik ulang nomornya."
        )

    @pytest.mark.parametrize("value", ["3.57701E+15", "3,57701E+15", "3.577011204850E+15"])
    def test_it_refuses_scientific_notation(self, value):
        assert error_code(parse_nik, value) == "nik_scientific"

    def test_it_refuses_text_saved_from_a_number_cell(self):
        assert error_code(parse_nik, "3577011204850000.0") == "nik_numeric_cell"

    def test_it_refuses_a_date_cell(self):
        assert error_code(parse_nik, datetime.date(2020, 1, 1)) == "nik_not_text"

    def test_it_applies_the_registry_nik_rule(self):
        assert error_code(parse_nik, "357701120485") == "nik_length"
        assert error_code(parse_nik, "3577019904850001") == "nik_birth_date"

    def test_kk_is_checked_the_same_way(self):
        assert parse_kk("3577010101090001") == "3577010101090001"
        assert error_code(parse_kk, 3577010101090000.0) == "kk_numeric_cell"


class TestDates:
    @pytest.mark.parametrize(
        "value",
        [
            "04-03-1990",
            "04/03/1990",
            "4/3/1990",
            "04.03.1990",
            "1990-03-04",
            "1990-03-04 00:00:00",
            "4 Maret 1990",
            "04 Mar 1990",
            "4 mar. 1990",
            "4-Mar-1990",
            datetime.date(1990, 3, 4),
            datetime.datetime(1990, 3, 4, 0, 0),
            32936,
            32936.0,
        ],
    )
    def test_every_accepted_form_gives_4_march_1990(self, value):
        assert parse_date(value) == datetime.date(1990, 3, 4)

    def test_day_comes_first_never_the_month(self):
        assert parse_date("12/01/1990") == datetime.date(1990, 1, 12)
        assert error_code(parse_date, "01/13/1990") == "date_invalid"

    @pytest.mark.parametrize(
        ("text", "month"),
        [("Januari", 1), ("Pebruari", 2), ("Mei", 5), ("Agustus", 8), ("Agt", 8),
         ("Okt", 10), ("Nopember", 11), ("Des", 12)],
    )  # fmt: skip
    def test_indonesian_month_names_full_and_short(self, text, month):
        assert parse_date(f"1 {text} 2000") == datetime.date(2000, month, 1)

    def test_two_digit_years_are_refused(self):
        assert error_code(parse_date, "04-03-90") == "date_two_digit_year"

    def test_unknown_text_is_refused_with_the_expected_format(self):
        with pytest.raises(CellError) as caught:
            parse_date("kemarin")
        assert caught.value.code == "date_format"
        assert caught.value.message == (
            "kemarin bukan tanggal; tulis sebagai HH-BB-TTTT, misalnya 04-03-1990."
        )

    def test_birth_dates_in_the_future_are_refused(self):
        assert error_code(parse_birth_date, "01-01-2999") == "birth_date_future"
        assert error_code(parse_birth_date, "01-01-1850") == "birth_date_too_old"


class TestOtherValues:
    def test_sex_labels(self):
        parse = choice_parser({"L": "L", "Laki-laki": "L", "P": "P", "Perempuan": "P"}, code="sex")
        assert [parse(v) for v in ["l", "LAKI LAKI", "laki-laki", "P", " perempuan "]] == [
            "L", "L", "L", "P", "P",
        ]  # fmt: skip
        assert error_code(parse, "X") == "sex"

    @pytest.mark.parametrize(
        "value", ["081234567890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890",
                  81234567890, 81234567890.0],
    )  # fmt: skip
    def test_phones_are_normalised(self, value):
        assert parse_phone(value) == "+6281234567890"

    @pytest.mark.parametrize(
        ("value", "expected"),
        [(1500000, 1500000), (1500000.0, 1500000), ("1.500.000", 1500000),
         ("Rp 1.500.000,00", 1500000), ("1,500,000", 1500000), ("Rp. 750000", 750000)],
    )  # fmt: skip
    def test_rupiah(self, value, expected):
        assert parse_rupiah(value) == expected

    def test_rupiah_refuses_fractions_and_words(self):
        assert error_code(parse_rupiah, 1500.5) == "money_not_whole"
        assert error_code(parse_rupiah, "satu juta") == "money_invalid"

    @pytest.mark.parametrize(("value", "expected"), [("1", "001"), (12, "012"), ("RT 03", "003")])
    def test_rt_rw(self, value, expected):
        assert parse_rt_rw(value) == expected

    @pytest.mark.parametrize("text", ["=1+1", "+Jl. A", "-x", "@SUM(A1)", " =x", "'=1+1"])
    def test_formula_text_is_refused(self, text):
        assert error_code(safe_text_parser(100), text) == "formula"

    @pytest.mark.parametrize("text", ["Budi\x07", "Budi\x1bSantoso", "Jl.\x0bSalak"])
    def test_control_characters_are_refused(self, text):
        assert error_code(safe_text_parser(100), text) == "control_character"

    def test_text_is_trimmed_and_limited(self):
        parse = safe_text_parser(6)
        assert parse("  Budi   S ") == "Budi S"
        assert error_code(parse, "Budi Santoso") == "too_long"

    def test_integral_floats_read_as_integers(self):
        assert clean_text(12.0) == "12"
