"""The duplicate rule knows Indonesian spelling, and scores pairs with reasons in words."""

import datetime

import pytest

from dedup.matching import (
    DEFAULT_MIN_SCORE,
    Person,
    birth_relation,
    blocking_keys,
    compare,
    name_key,
    name_similarity,
    nik_near,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Soeparno", "Suparno"),  # oe → u
        ("Djoko Santoso", "Joko Santoso"),  # dj → j
        ("Tjahjono", "Cahyono"),  # tj → c, j ↔ y
        ("Soejono", "Suyono"),  # old j is today's y
        ("Chairul Anwar", "Khairul Anwar"),  # ch/kh
        ("Achmad Fauzi", "Ahmad Fauzi"),
        ("Moch. Ridwan", "Muhammad Ridwan"),
        ("Moh Ridwan", "Mochammad Ridwan"),
        ("M. Ridwan", "Muhamad Ridwan"),
        ("St. Aminah", "Siti Aminah"),
        ("Hj. Siti Aminah, S.Pd.", "Siti Aminah"),  # titles ignored
        ("H. Slamet Riyadi S.E.", "Slamet Riyadi"),
        ("Drs. Ir. Bambang Hartono", "Bambang Hartono"),
        ("Santoso Budi", "Budi Santoso"),  # word order
        ("Mohammad  Nur-Hidayat", "Muhammad Nur Hidayat"),
    ],
)
def test_spellings_of_one_name_are_the_same_name(a, b):
    assert name_key(a) == name_key(b)
    assert name_similarity(a, b) == 100


@pytest.mark.parametrize(
    ("a", "b", "at_most"),
    [
        ("Dewi Lestari", "Dewi Kartika", 70),
        ("Budi Santoso", "Agus Santoso", 75),
        ("Siti Aminah", "Sri Wahyuni", 40),
    ],
)
def test_different_names_stay_apart(a, b, at_most):
    assert name_similarity(a, b) <= at_most


def test_a_typo_in_a_name_is_still_similar():
    assert name_similarity("Sulistyowati", "Sulistyowai") >= 90


D = datetime.date


@pytest.mark.parametrize(
    ("a", "b", "relation"),
    [
        (D(1980, 3, 7), D(1980, 3, 7), "equal"),
        (D(1980, 3, 7), D(1980, 7, 3), "swapped"),
        (D(1980, 3, 7), D(1980, 3, 17), "one_digit"),
        (D(1980, 3, 7), D(1986, 3, 7), "one_digit"),
        (D(1980, 3, 7), D(1981, 4, 7), None),
        (D(1980, 3, 7), None, None),
    ],
)
def test_birth_dates(a, b, relation):
    assert birth_relation(a, b) == relation


@pytest.mark.parametrize(
    ("a", "b", "near"),
    [
        ("3577014503800001", "3577014503800007", True),  # one digit
        ("3577014503800001", "3577015403800001", True),  # two adjacent digits swapped
        ("3577014503800001", "3577014503800001", False),  # equal: the same record
        ("3577014503800001", "3577014503800077", False),  # two digits
        ("3577014503800001", "3577015043800001", False),  # a swap two apart
    ],
)
def test_nik_one_slip(a, b, near):
    assert nik_near(a, b) is near


def _person(**kw):
    base = dict(
        nik="3577014503800001",
        full_name="Siti Aminah",
        birth_date=D(1980, 3, 5),
        kk_number="3577010101010001",
        phone="+6281234567890",
        kelurahan_id=1,
        address="Jl. Salak 3",
    )
    return Person(**{**base, **kw})


def test_a_retyped_record_scores_high_with_reasons_in_words():
    match = compare(
        _person(), _person(nik="3577014503800007", full_name="Hj. St. Aminah", phone="")
    )
    assert match.score >= DEFAULT_MIN_SCORE
    assert match.reasons[:3] == ["nama mirip 100%", "tanggal lahir sama", "NIK beda satu digit"]
    assert "No HP sama" not in match.reasons


def test_twins_are_not_a_pair():
    twin = _person(nik="3577014503800002", full_name="Dewi Aminah Putri", phone="")
    assert compare(_person(full_name="Siti Rahayu"), twin) is None


def test_namesakes_born_the_same_day_elsewhere_stay_below_the_threshold():
    namesake = _person(
        nik="3519034503800412", kk_number="3519030101010009", phone="+6285712345678",
        kelurahan_id=2, address="Desa Klagen",
    )  # fmt: skip
    assert compare(_person(), namesake).score < DEFAULT_MIN_SCORE


def test_pairs_worth_comparing_share_a_blocking_key():
    a = _person()
    for b in [
        _person(nik="3577014503800007", full_name="Siti Aminah"),
        _person(nik="3577015403800001"),
        _person(nik="3577014503800001"[:6] + "450381" + "0001", birth_date=D(1981, 3, 5)),
        _person(nik="3519034503809999", full_name="Aminah Siti", kk_number="", phone=""),
    ]:
        assert set(blocking_keys(a)) & set(blocking_keys(b)), b
