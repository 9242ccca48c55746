"""One rupiah parser for every money column: read exactly, or refused with a message."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.errors import CellError
from importer.money import parse_rupiah, parse_rupiah_exact


def refused(func, value):
    with pytest.raises(CellError) as exc:
        func(value)
    return exc.value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("11.827,168", Decimal("11827.168")),  # 0,54 % × UMK per person-month
        ("Rp 11.827,168", Decimal("11827.168")),
        ("Rp 16.800,00", Decimal("16800")),
        ("Rp16.800,-", Decimal("16800")),
        ("Rp. 1.500.000", Decimal("1500000")),
        ("IDR 1.500.000,5", Decimal("1500000.5")),
        ("1500000", Decimal("1500000")),
        ("1.500", Decimal("1500")),
        ("1,5", Decimal("1.5")),
        ("1,500,000", Decimal("1500000")),
        ("1,500,000.25", Decimal("1500000.25")),
        ("11827.168", Decimal("11827.168")),  # a dot after 5 digits cannot group thousands
        ("  Rp 2 190 000 ", Decimal("2190000")),
        ("'16.800", Decimal("16800")),
        (11827.168, Decimal("11827.168")),  # a number cell: its shortest exact text
        (16800, Decimal("16800")),
        (Decimal("0.5"), Decimal("0.5")),
    ],
)
def test_amounts_are_read_exactly(value, expected):
    assert parse_rupiah_exact(value) == expected


def test_the_premium_per_person_month_is_never_a_thousand_times_itself():
    assert parse_rupiah_exact("11.827,168") * 7750 == Decimal("91660552.000")
    error = refused(parse_rupiah, "11.827,168")
    assert error.code == "money_not_whole"
    assert "11.827,168" in error.message


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Rp 16.800,00", 16800), ("16.800", 16800), ("1.500.000,00", 1500000), (1500000.0, 1500000),
     ("1,500,000", 1500000), ("Rp 16.800,-", 16800)],
)  # fmt: skip
def test_whole_rupiah_columns(value, expected):
    assert parse_rupiah(value) == expected
    assert type(parse_rupiah(value)) is int


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("1,500", "money_ambiguous"),  # 1,5 in Indonesian, 1500 in English
        ("16,800", "money_ambiguous"),
        ("-16.800", "money_negative"),
        ("satu juta", "money_invalid"),
        ("1.50.000", "money_invalid"),
        ("1.500,000,00", "money_invalid"),
        ("１６８００", "money_invalid"),  # fullwidth digits
        ("١٦٨٠٠", "money_invalid"),  # Arabic-Indic digits
        ("", "money_invalid"),
        (True, "money_invalid"),
        (float("nan"), "money_invalid"),
        ("9" * 20, "money_invalid"),
    ],
)
def test_unreadable_amounts_are_refused_with_a_message(value, code):
    error = refused(parse_rupiah_exact, value)
    assert error.code == code
    assert error.message


def test_the_ambiguous_message_says_how_to_write_it():
    message = refused(parse_rupiah, "16,800").message
    assert "16.800" in message and "16800" in message


@given(st.integers(min_value=1000, max_value=10**12), st.integers(min_value=0, max_value=999))
def test_indonesian_notation_round_trips(whole, thousandths):
    # (below 1.000, "827,168" is ambiguous and refused: see the test above)
    text = f"{whole:,}".replace(",", ".") + f",{thousandths:03d}"
    assert parse_rupiah_exact(text) == Decimal(whole) + Decimal(thousandths) / 1000
    grouped = f"{whole:,}".replace(",", ".")
    assert parse_rupiah(f"Rp {grouped},00") == whole
