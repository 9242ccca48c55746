from decimal import Decimal

import pytest

from siaga.formatting import number, percent, rupiah


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (0, 0, "0"),
        (999, 0, "999"),
        (1000, 0, "1.000"),
        (14087, 0, "14.087"),
        (3308361600, 0, "3.308.361.600"),
        (-16800, 0, "-16.800"),
        (85.94, 1, "85,9"),
        (85.95, 1, "86,0"),
        (Decimal("1234.5"), 2, "1.234,50"),
        (None, 0, "–"),
    ],
)
def test_it_formats_numbers_the_indonesian_way(value, decimals, expected):
    assert number(value, decimals) == expected


def test_it_formats_rupiah():
    assert rupiah(3_308_361_600) == "Rp 3.308.361.600"
    assert rupiah(0) == "Rp 0"
    assert rupiah(-5000) == "-Rp 5.000"


def test_it_formats_percentages():
    assert percent(85.94) == "85,9%"
    assert percent(100) == "100,0%"
    assert percent(None) == "–"
