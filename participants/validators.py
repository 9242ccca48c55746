"""Validators shared by the admin forms, the spreadsheet importer and the services.

Each validator raises ``ValidationError`` with an Indonesian message and a stable ``code``
so callers (the importer's error report, tests) can tell problems apart without parsing text.
Cross-checks that real data sometimes fails (a NIK whose embedded birth date disagrees with
the civil record) are returned as warnings instead.
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NIK_LENGTH = 16

# Province codes of Kemendagri's region coding (Kepmendagri 300.2.2-2138/2025), including the
# Papua provinces created in 2022 (93-96).
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15", "16", "17", "18", "19", "21",
        "31", "32", "33", "34", "35", "36",
        "51", "52", "53",
        "61", "62", "63", "64", "65",
        "71", "72", "73", "74", "75", "76",
        "81", "82",
        "91", "92", "93", "94", "95", "96",
    }
)  # fmt: skip

# Women's NIKs carry the day of birth plus 40 (Permendagri on NIK structure).
FEMALE_DAY_OFFSET = 40

# ASCII digits only: ``\d`` and ``str.isdigit()`` also accept fullwidth (０-９) and
# Arabic-Indic (٠-٩) digits, which then fail the database's own check with a bare error.
_DIGITS = re.compile(r"[0-9]+")


def is_ascii_digits(value: str) -> bool:
    """True for a non-empty string of the digits 0-9 only (not fullwidth or other scripts)."""
    return bool(value) and value.isascii() and value.isdigit()


@dataclass(frozen=True)
class NikParts:
    """The fields encoded in a structurally valid NIK."""

    province: str
    regency: str
    district: str
    birth_day: int
    birth_month: int
    birth_year_2d: int
    serial: str

    @property
    def region_code(self) -> str:
        """Province + regency, e.g. ``3577`` for Kota Madiun (SIAGA_REGION 35.77)."""
        return self.province + self.regency

    @property
    def is_female(self) -> bool:
        return self.birth_day > FEMALE_DAY_OFFSET

    @property
    def sex(self) -> str:
        return "P" if self.is_female else "L"

    def birth_date_candidates(self) -> list[datetime.date]:
        """Real dates the embedded DDMMYY can stand for (19YY and 20YY)."""
        day = self.birth_day - FEMALE_DAY_OFFSET if self.is_female else self.birth_day
        dates = []
        for century in (1900, 2000):
            try:
                dates.append(datetime.date(century + self.birth_year_2d, self.birth_month, day))
            except ValueError:
                continue
        return dates


@dataclass(frozen=True)
class ValidationWarning:
    """A finding staff should look at that does not block saving."""

    code: str
    message: str

    def __str__(self) -> str:
        return str(self.message)


# Created once: building a lazy translation per call showed up in import profiles.
_LABELS = {"nik": _("NIK"), "kk": _("KK number")}


def _validate_identity_number(value: object, *, code_prefix: str) -> str:
    label = _LABELS[code_prefix]
    if not isinstance(value, str):
        # A number means a spreadsheet cell or caller lost the leading zeros / last digits.
        raise ValidationError(
            _("%(label)s must be written as text of 16 digits, not as a number."),
            code=f"{code_prefix}_not_text",
            params={"label": label},
        )
    if not _DIGITS.fullmatch(value):
        if any(c.isdigit() and not c.isascii() for c in value):
            raise ValidationError(
                _(
                    "%(label)s contains digits from another script (e.g. fullwidth or "
                    "Arabic-Indic); type it again with the ordinary digits 0-9."
                ),
                code=f"{code_prefix}_not_digits",
                params={"label": label},
            )
        raise ValidationError(
            _("%(label)s may only contain digits (0-9)."),
            code=f"{code_prefix}_not_digits",
            params={"label": label},
        )
    if len(value) != NIK_LENGTH:
        raise ValidationError(
            _("%(label)s must be exactly 16 digits; this one has %(length)d."),
            code=f"{code_prefix}_length",
            params={"label": label, "length": len(value)},
        )
    if value[:2] not in PROVINCE_CODES:
        raise ValidationError(
            _("%(label)s starts with %(code)s, which is not an Indonesian province code."),
            code=f"{code_prefix}_province",
            params={"label": label, "code": value[:2]},
        )
    if value[2:4] == "00":
        raise ValidationError(
            _("%(label)s has regency/city code 00, which does not exist."),
            code=f"{code_prefix}_regency",
            params={"label": label},
        )
    if value[4:6] == "00":
        raise ValidationError(
            _("%(label)s has district (kecamatan) code 00, which does not exist."),
            code=f"{code_prefix}_district",
            params={"label": label},
        )
    return value


def parse_nik(value: object) -> NikParts:
    """Validate a NIK and return its parts; raise ``ValidationError`` (with a code) if invalid.

    Structure (Permendagri on NIK; DOMAIN.md): province (2) + regency/city (2) + district (2)
    + birth date DDMMYY with 40 added to the day for women + a serial that is never 0000.
    """
    nik = _validate_identity_number(value, code_prefix="nik")
    parts = NikParts(
        province=nik[0:2],
        regency=nik[2:4],
        district=nik[4:6],
        birth_day=int(nik[6:8]),
        birth_month=int(nik[8:10]),
        birth_year_2d=int(nik[10:12]),
        serial=nik[12:16],
    )
    if not parts.birth_date_candidates():
        raise ValidationError(
            _(
                "NIK digits 7-12 (%(digits)s) are not a real date of birth "
                "(DDMMYY, with 40 added to the day for women)."
            ),
            code="nik_birth_date",
            params={"digits": nik[6:12]},
        )
    if parts.serial == "0000":
        raise ValidationError(
            _("NIK ends in serial number 0000, which is never issued."),
            code="nik_serial",
        )
    return parts


def validate_nik(value: object) -> None:
    """Django-style validator: the one NIK rule used by models, forms, importer and services."""
    parse_nik(value)


def validate_kk_number(value: object) -> None:
    """Validate a family-card (KK) number: 16 digits starting with a real region code."""
    _validate_identity_number(value, code_prefix="kk")


def nik_warnings(
    nik: str, *, birth_date: datetime.date | None = None, sex: str | None = None
) -> list[ValidationWarning]:
    """Cross-check a valid NIK against the recorded birth date and sex.

    Real NIKs sometimes disagree with the civil record, so these are warnings for staff to
    look at, never errors. An invalid NIK yields no warnings (the error is reported instead).
    """
    try:
        parts = parse_nik(nik)
    except ValidationError:
        return []
    warnings: list[ValidationWarning] = []
    if sex and sex != parts.sex:
        warnings.append(
            ValidationWarning(
                "nik_sex_mismatch",
                _("The NIK encodes sex %(nik_sex)s but the recorded sex is %(sex)s.")
                % {"nik_sex": parts.sex, "sex": sex},
            )
        )
    if birth_date and birth_date not in parts.birth_date_candidates():
        warnings.append(
            ValidationWarning(
                "nik_birth_date_mismatch",
                _("The NIK encodes birth date %(nik_date)s but the recorded date is %(date)s.")
                % {
                    "nik_date": nik[6:12],
                    "date": birth_date.strftime("%d-%m-%Y"),
                },
            )
        )
    return warnings


def _area_name(region_code: str) -> str:
    """``3577`` → ``Kota Madiun`` (the shipped Kemendagri table), else the code itself."""
    from .regions import RegionError, region

    try:
        return region(region_code).name
    except RegionError:
        return region_code


def nik_region_warning(nik: str, city_region_code: str) -> ValidationWarning | None:
    """Warn when a NIK was issued outside the region (residents may still hold one).

    ``city_region_code``: the region's four NIK digits (SIAGA_REGION ``35.77`` → ``3577``)."""
    if nik[:4] != city_region_code:
        return ValidationWarning(
            "nik_outside_city",
            _("The NIK was issued outside %(area)s (region %(region)s).")
            % {"area": _area_name(city_region_code), "region": f"{nik[:2]}.{nik[2:4]}"},
        )
    return None


def nik_district_warning(
    nik: str, city_region_code: str, district_codes: Iterable[str]
) -> ValidationWarning | None:
    """Warn when a NIK of the region (e.g. ``3577…``) names a kecamatan the region lacks.

    ``district_codes`` are the two-digit kecamatan codes of the region (participants'
    Kecamatan reference data: 01-03 for Kota Madiun). A NIK from elsewhere gets no warning
    here (``nik_region_warning`` covers it).
    """
    codes = set(district_codes)
    if not codes or not nik.startswith(city_region_code) or len(nik) < 6:
        return None
    if nik[4:6] not in codes:
        return ValidationWarning(
            "nik_district_unknown",
            _(
                "The NIK names kecamatan code %(code)s, which %(area)s does not have "
                "(%(known)s); check the NIK."
            )
            % {
                "code": nik[4:6],
                "area": _area_name(city_region_code),
                "known": ", ".join(sorted(codes)),
            },
        )
    return None


_PHONE_JUNK = re.compile(r"[\s\-./()]")


def normalize_phone(value: str) -> str:
    """Return an Indonesian phone number in one format, ``+62`` followed by 8-12 digits.

    Accepts ``08…``, ``+62…``, ``62…`` and a bare ``8…`` (a spreadsheet that dropped the
    leading zero), with spaces, dashes, dots or parentheses. Raises ``ValidationError``.
    """
    raw = str(value).strip()
    if not raw:
        return ""
    compact = _PHONE_JUNK.sub("", raw)
    if compact.startswith("+"):
        digits = compact[1:]
        if not digits.startswith("62"):
            raise ValidationError(
                _("Phone number %(value)s is not an Indonesian number (+62)."),
                code="phone_country",
                params={"value": raw},
            )
        national = digits[2:]
    elif compact.startswith("62"):
        national = compact[2:]
    elif compact.startswith("0"):
        national = compact[1:]
    else:
        national = compact
    if not is_ascii_digits(national) or national.startswith("0"):
        raise ValidationError(
            _("Phone number %(value)s is not valid; write it as 08xx… or +628xx…."),
            code="phone_invalid",
            params={"value": raw},
        )
    if not 8 <= len(national) <= 12:
        raise ValidationError(
            _("Phone number %(value)s has the wrong number of digits."),
            code="phone_length",
            params={"value": raw},
        )
    return "+62" + national


FORMULA_PREFIXES = ("=", "+", "-", "@")
# Control characters XML 1.0, and so an xlsx file, cannot hold (tab, newline and CR it can).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Invisible characters that change how text is shown or compared without being seen:
# bidirectional embeddings/overrides (U+202A-U+202E) and isolates (U+2066-U+2069) can make a
# name read differently from what is stored ("Trojan Source"); zero-width space/joiners
# (U+200B-U+200D), word joiner (U+2060) and the byte-order mark (U+FEFF) make two equal-looking
# names differ. They are refused, like control characters, never silently stripped.
INVISIBLE_CHARACTERS = re.compile("[\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060\ufeff]")


_EMOJI_NEIGHBOURS = ("So", "Sk")  # pictographs and skin-tone modifiers
ZERO_WIDTH_JOINER = "\u200d"


def invisible_character(value: str) -> str | None:
    """The first bidi-control or zero-width character of ``value``, or None.

    A zero-width joiner between two pictographs (👩🏽‍🌾) builds one emoji and is shown, so it
    is allowed there; anywhere else it only hides a difference.
    """
    for match in INVISIBLE_CHARACTERS.finditer(value):
        char, at = match.group(), match.start()
        if char == ZERO_WIDTH_JOINER and 0 < at < len(value) - 1:
            before = value[at - 1] if value[at - 1] != "\ufe0f" else value[at - 2 : at - 1] or " "
            if (
                unicodedata.category(before) in _EMOJI_NEIGHBOURS
                and unicodedata.category(value[at + 1]) in _EMOJI_NEIGHBOURS
            ):
                continue
        return char
    return None


def validate_no_formula(value: str) -> None:
    """Refuse free text that would not come back from a spreadsheet as typed.

    Names and addresses travel through xlsx files (BPJS registration, DTKS requests, worker
    lists): text starting with =, +, - or @ would be run as a formula, and an invisible
    control character (pasted from another program) cannot be written to xlsx at all.
    """
    if value and value.lstrip()[:1] in FORMULA_PREFIXES:
        raise ValidationError(
            _("Text may not start with %(char)s: a spreadsheet would run it as a formula."),
            code="formula",
            params={"char": value.lstrip()[0]},
        )
    if value and CONTROL_CHARACTERS.search(value):
        raise ValidationError(
            _(
                "The text contains an invisible control character that spreadsheets cannot "
                "hold; type the text again instead of pasting it."
            ),
            code="control_character",
        )
    found = invisible_character(value) if value else None
    if found:
        raise ValidationError(
            _(
                "The text contains an invisible character (U+%(code)s) that changes how it is "
                "shown or compared; type the text again instead of pasting it."
            ),
            code="invisible_character",
            params={"code": f"{ord(found):04X}"},
        )
