import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from participants.validators import (
    PROVINCE_CODES,
    nik_region_warning,
    nik_warnings,
    normalize_phone,
    parse_nik,
    validate_kk_number,
    validate_nik,
    validate_no_formula,
)


def error_code(func, value):
    with pytest.raises(ValidationError) as exc:
        func(value)
    return exc.value.code


@st.composite
def valid_niks(draw):
    province = draw(st.sampled_from(sorted(PROVINCE_CODES)))
    regency = draw(st.integers(1, 99))
    district = draw(st.integers(1, 99))
    born = draw(st.dates(datetime.date(1930, 1, 1), datetime.date(2025, 12, 31)))
    female = draw(st.booleans())
    serial = draw(st.integers(1, 9999))
    day = born.day + (40 if female else 0)
    nik = f"{province}{regency:02d}{district:02d}{day:02d}{born:%m%y}{serial:04d}"
    return nik, born, "P" if female else "L"


@given(valid_niks())
def test_it_accepts_every_well_formed_nik_and_reads_its_parts(case):
    nik, born, sex = case
    parts = parse_nik(nik)
    assert parts.sex == sex
    assert born in parts.birth_date_candidates()
    assert nik_warnings(nik, birth_date=born, sex=sex) == []


@given(st.text(max_size=20))
def test_it_never_crashes_and_only_accepts_sixteen_digits(value):
    try:
        validate_nik(value)
    except ValidationError as exc:
        assert exc.code.startswith("nik_")
    else:
        assert len(value) == 16 and value.isdigit()


@given(st.integers(min_value=10**15, max_value=10**16 - 1))
def test_it_refuses_numbers_even_with_sixteen_digits(number):
    assert error_code(validate_nik, number) == "nik_not_text"


@pytest.mark.parametrize(
    "value,code",
    [
        ("357701010190000", "nik_length"),
        ("35770101019000011", "nik_length"),
        ("3577O10101900001", "nik_not_digits"),
        ("3.57701E+15", "nik_not_digits"),
        (" 3577010101900001", "nik_not_digits"),
        ("9977010101900001", "nik_province"),
        ("3500010101900001", "nik_regency"),
        ("3577000101900001", "nik_district"),
        ("3577013201900001", "nik_birth_date"),  # day 32
        ("3577017201900001", "nik_birth_date"),  # day 72 (women: 41-71)
        ("3577010113900001", "nik_birth_date"),  # month 13
        ("3577013002900001", "nik_birth_date"),  # 30 February
        ("3577010101900000", "nik_serial"),
    ],
)
def test_it_rejects_malformed_niks_with_a_code(value, code):
    assert error_code(validate_nik, value) == code


def test_it_accepts_29_february_when_either_century_has_one():
    assert parse_nik("3577012902000001").birth_date_candidates() == [datetime.date(2000, 2, 29)]
    assert error_code(validate_nik, "3577012902010001") == "nik_birth_date"


def test_it_decodes_a_womans_birth_day():
    parts = parse_nik("3577015203850002")
    assert parts.sex == "P"
    assert datetime.date(1985, 3, 12) in parts.birth_date_candidates()


def test_messages_are_in_indonesian():
    with pytest.raises(ValidationError) as exc:
        validate_nik("123")
    assert "16 digit" in exc.value.messages[0]
    assert "harus" in exc.value.messages[0]


def test_mismatches_with_the_civil_record_are_warnings():
    found = nik_warnings("3577015203850002", birth_date=datetime.date(1985, 3, 13), sex="L")
    assert [w.code for w in found] == ["nik_sex_mismatch", "nik_birth_date_mismatch"]


def test_it_warns_about_a_nik_from_outside_the_city():
    assert nik_region_warning("3519015203850002", "3577").code == "nik_outside_city"
    assert nik_region_warning("3577015203850002", "3577") is None


def test_kk_number_needs_sixteen_digits_and_a_region():
    validate_kk_number("3577010101010001")
    assert error_code(validate_kk_number, "357701") == "kk_length"
    assert error_code(validate_kk_number, 3577010101010001) == "kk_not_text"


@pytest.mark.parametrize(
    "raw",
    ["081234567890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890", "81234567890"],
)
def test_phone_numbers_are_normalised_to_one_format(raw):
    assert normalize_phone(raw) == "+6281234567890"


@pytest.mark.parametrize(
    "raw,code",
    [("+1 555 0100", "phone_country"), ("0812abc", "phone_invalid"), ("0812", "phone_length")],
)
def test_bad_phone_numbers_are_refused(raw, code):
    assert error_code(normalize_phone, raw) == code


@given(st.text(max_size=30))
def test_phone_normaliser_never_crashes(value):
    try:
        result = normalize_phone(value)
    except ValidationError:
        return
    assert result == "" or (result.startswith("+62") and result[1:].isdigit())


@pytest.mark.parametrize("value", ['=HYPERLINK("x")', "+1+1", "-2", "@SUM(A1)", "  =1"])
def test_text_a_spreadsheet_would_run_is_refused(value):
    assert error_code(validate_no_formula, value) == "formula"


def test_ordinary_text_passes_the_formula_check():
    validate_no_formula("Siti Aminah")
    validate_no_formula("Jl. Pahlawan No. 1 - Kartoharjo")
    validate_no_formula("Nu\u0301r 👩🏽‍🌾 محمد\tAyu\nPutri")  # tab/newline: xlsx holds them


@pytest.mark.parametrize("value", ["Budi\x07", "Budi\x1bSantoso", "\x0bBudi", "Budi\x00"])
def test_control_characters_are_refused(value):
    assert error_code(validate_no_formula, value) == "control_character"


def test_the_refused_control_characters_are_those_xlsx_cannot_hold():
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from participants.validators import CONTROL_CHARACTERS

    for code in range(0x80):
        char = chr(code)
        assert bool(CONTROL_CHARACTERS.match(char)) == bool(ILLEGAL_CHARACTERS_RE.match(char))


# --- ASCII digits only (issue 11 req 7) -----------------------------------------------------

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("table", [FULLWIDTH, ARABIC_INDIC])
@pytest.mark.parametrize("func", [validate_nik, validate_kk_number])
def test_digits_of_other_scripts_are_refused_with_a_clear_message(func, table):
    value = "3577010101900001".translate(table)
    assert value.isdigit()  # what the old check relied on
    with pytest.raises(ValidationError) as exc:
        func(value)
    assert exc.value.code.endswith("_not_digits")
    assert "0-9" in " ".join(exc.value.messages)


def test_one_foreign_digit_is_enough():
    assert error_code(validate_nik, "357701010190000" + "１") == "nik_not_digits"


def test_a_phone_with_fullwidth_digits_is_refused():
    with pytest.raises(ValidationError):
        normalize_phone("０８１２３４５６７８９０")


def test_a_city_nik_naming_a_kecamatan_the_city_lacks_is_a_warning():
    from participants.validators import nik_district_warning

    codes = {"01", "02", "03"}
    assert nik_district_warning("3577010101900001", "3577", codes) is None
    assert nik_district_warning("3577030101900001", "3577", codes) is None
    warning = nik_district_warning("3577040101900001", "3577", codes)
    assert warning.code == "nik_district_unknown"
    assert "04" in str(warning)
    # a NIK from elsewhere is the region warning's business, not this one's
    assert nik_district_warning("3519090101900001", "3577", codes) is None


@pytest.mark.django_db
def test_the_worker_page_warns_about_the_kecamatan_code():
    from tests.factories import WorkerFactory

    worker = WorkerFactory(nik="3577070101900001", birth_date=datetime.date(1990, 1, 1), sex="L")
    assert [w.code for w in worker.warnings()] == ["nik_district_unknown"]
    worker.nik = "3577020101900001"
    assert worker.warnings() == []


# --- bidi overrides and zero-width characters (issue 13 req 8) -----------------------------


@pytest.mark.parametrize(
    "char",
    ["\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
     "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"],
)  # fmt: skip
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_bidi_and_zero_width_characters_are_refused(char, where):
    value = {"start": f"{char}Budi", "middle": f"Bu{char}di", "end": f"Budi{char}"}[where]
    with pytest.raises(ValidationError) as exc:
        validate_no_formula(value)
    assert exc.value.code == "invisible_character"
    assert f"U+{ord(char):04X}" in " ".join(exc.value.messages)


def test_an_emoji_built_with_a_joiner_is_not_an_invisible_character():
    validate_no_formula("Ayu 👩🏽‍🌾")
    validate_no_formula("👨‍👩‍👧")
    with pytest.raises(ValidationError):
        validate_no_formula("Ayu\u200d👩")  # a joiner after a letter hides nothing but itself


@pytest.mark.parametrize("table", [FULLWIDTH, ARABIC_INDIC])
def test_kpj_numbers_take_ascii_digits_only_everywhere(table):
    """KPJ: the model validator (admin, services' activation) and the importer's parser."""
    from enrollment.models import kpj_validator
    from enrollment.resources import parse_kpj
    from importer.errors import CellError

    kpj = "24000000001".translate(table)
    assert kpj.isdigit()
    with pytest.raises(ValidationError):
        kpj_validator(kpj)
    with pytest.raises(CellError) as exc:
        parse_kpj(kpj)
    assert exc.value.code == "kpj_format"
