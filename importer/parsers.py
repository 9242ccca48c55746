"""Cell parsers: turn one spreadsheet cell into a clean Python value or raise ``CellError``.

Cells arrive as the reader gives them: ``str`` for text cells (and for every CSV cell),
``int``/``float`` for numeric cells, ``datetime.date``/``datetime.datetime`` for date cells.
Parsers are called only for non-empty cells; the engine handles "required".

They reuse the registry's validators (participants.validators) so the importer, the admin
forms and the services apply one rule each.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable, Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from participants.validators import (
    normalize_phone,
    validate_kk_number,
    validate_nik,
    validate_no_formula,
)

from .errors import CellError
from .money import parse_rupiah as _parse_whole_rupiah

Cell = str | int | float | bool | datetime.date | datetime.datetime | None
Parser = Callable[[Cell], object]

# Excel's day 0 for the 1900 date system (the 1900 leap-year bug makes it 30 December).
EXCEL_EPOCH = datetime.date(1899, 12, 30)
OLDEST_BIRTH_YEAR = 1900

INDONESIAN_MONTHS = {
    "januari": 1, "jan": 1,
    "februari": 2, "pebruari": 2, "feb": 2, "peb": 2,
    "maret": 3, "mar": 3, "mrt": 3,
    "april": 4, "apr": 4,
    "mei": 5,
    "juni": 6, "jun": 6,
    "juli": 7, "jul": 7,
    "agustus": 8, "agu": 8, "agt": 8, "ags": 8, "agus": 8,
    "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10,
    "november": 11, "nopember": 11, "nov": 11, "nop": 11,
    "desember": 12, "des": 12,
}  # fmt: skip

_DAY_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_MONTH_NAME = re.compile(r"^(\d{1,2})[\s\-/.]+([a-z]+)\.?[\s\-/.]+(\d{2,4})$")
_SCIENTIFIC = re.compile(r"^\d+(?:[.,]\d+)?e[+-]?\d+$", re.IGNORECASE)
_DECIMAL_SUFFIX = re.compile(r"^\d+[.,]0+$")
_SPACES = re.compile(r"\s+")


def clean_text(value: Cell) -> str:
    """Text as typed: surrounding space trimmed, inner runs of space collapsed.

    A single leading apostrophe is dropped: spreadsheet programs use it to force text, and
    Siaga's own exports write it in front of formula-looking text.
    """
    if value.__class__ is str:
        text = value.strip()
        # Most cells are already clean: only run the regex when there is something to fix.
        if "  " in text or "\n" in text or "\t" in text or "\r" in text or "\xa0" in text:
            text = _SPACES.sub(" ", text)
    else:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = _SPACES.sub(" ", str(value)).strip()
    if text[:1] == "'":
        text = text[1:].lstrip()
    return text


def is_empty(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _from_validation_error(exc: ValidationError, default_code: str) -> CellError:
    message = " ".join(str(m) for m in exc.messages)
    return CellError(message, code=getattr(exc, "code", None) or default_code)


def parse_text(value: Cell, *, max_length: int | None = None) -> str:
    text = clean_text(value)
    if max_length is not None and len(text) > max_length:
        raise CellError(
            _("The text is too long: at most %(max)d characters, this has %(length)d.")
            % {"max": max_length, "length": len(text)},
            code="too_long",
        )
    return text


def text_parser(max_length: int) -> Parser:
    return lambda value: parse_text(value, max_length=max_length)


def safe_text_parser(max_length: int) -> Parser:
    """Free text (names, addresses) that must not start like a spreadsheet formula."""

    def parse(value: Cell) -> str:
        # Checked before clean_text drops an apostrophe, so "'=1+1" is refused as well.
        raw = str(value).strip()
        try:
            validate_no_formula(raw[1:] if raw.startswith("'") else raw)
        except ValidationError as exc:
            raise _from_validation_error(exc, "formula") from None
        return parse_text(value, max_length=max_length)

    return parse


def _how_to_fix(label: str) -> str:
    return _(
        "Format the %(label)s column as Text in the spreadsheet and type the number again."
    ) % {"label": label}


def _identity_text(value: Cell, *, label: Callable[[], str], code_prefix: str) -> str:
    """16-digit NIK/KK accepted only as text; numbers are refused, never "repaired".

    Excel keeps 15 significant digits, so a NIK typed into a number cell has already lost its
    last digit (DOMAIN.md); a CSV may carry the damage as "3.57701E+15" or "3577…0.0".
    ``label`` is called only when there is an error (translation lookups cost per row).
    """
    if isinstance(value, str):
        text = value.strip()
        if text.isascii() and text.isdigit() and len(text) <= 16:
            return text  # the common case, checked first because it runs on every row
        text = text.lstrip("'").strip().replace(" ", "")
    elif isinstance(value, bool | int | float):
        name = label()
        raise CellError(
            _(
                "%(label)s is stored as a number, and spreadsheets keep only 15 digits, so "
                "the last digits may already be wrong."
            )
            % {"label": name}
            + " "
            + _how_to_fix(name),
            code=f"{code_prefix}_numeric_cell",
        )
    else:  # a date cell
        name = label()
        raise CellError(
            _("%(label)s is stored as a date.") % {"label": name} + " " + _how_to_fix(name),
            code=f"{code_prefix}_not_text",
        )
    if _SCIENTIFIC.fullmatch(text):
        name = label()
        raise CellError(
            _(
                "%(label)s %(value)s is in scientific notation: the spreadsheet treated it as "
                "a number and lost digits."
            )
            % {"label": name, "value": text}
            + " "
            + _how_to_fix(name),
            code=f"{code_prefix}_scientific",
        )
    if _DECIMAL_SUFFIX.fullmatch(text):
        name = label()
        raise CellError(
            _("%(label)s %(value)s was saved from a number cell and may have lost digits.")
            % {"label": name, "value": text}
            + " "
            + _how_to_fix(name),
            code=f"{code_prefix}_numeric_cell",
        )
    if text.isascii() and text.isdigit() and len(text) > 16:  # other digits: the NIK rule says
        raise CellError(
            _("%(label)s %(value)s has more than 16 digits.") % {"label": label(), "value": text},
            code=f"{code_prefix}_length",
        )
    return text


def parse_nik(value: Cell) -> str:
    text = _identity_text(value, label=lambda: "NIK", code_prefix="nik")
    try:
        validate_nik(text)
    except ValidationError as exc:
        raise _from_validation_error(exc, "nik_invalid") from None
    return text


def parse_kk(value: Cell) -> str:
    text = _identity_text(value, label=lambda: _("KK number"), code_prefix="kk")
    try:
        validate_kk_number(text)
    except ValidationError as exc:
        raise _from_validation_error(exc, "kk_invalid") from None
    return text


def _make_date(year: int, month: int, day: int, original: str) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        raise CellError(
            _("%(value)s is not a real date (day-month-year).") % {"value": original},
            code="date_invalid",
        ) from None


def parse_date(value: Cell) -> datetime.date:
    """A date written day-first, as a date cell, or as an Excel serial number.

    Accepted text: DD-MM-YYYY, DD/MM/YYYY, DD.MM.YYYY, YYYY-MM-DD and Indonesian month names
    ("12 Maret 1985", "12 Mar 1985"). Never month-first: 04/03/1990 is 4 March 1990.
    """
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, bool):
        raise CellError(_("This is not a date."), code="date_invalid")
    if isinstance(value, int | float):
        if not 1 <= value < 2_958_466 or (isinstance(value, float) and not value.is_integer()):
            raise CellError(
                _("The number %(value)s is not a date.") % {"value": value}, code="date_invalid"
            )
        return EXCEL_EPOCH + datetime.timedelta(days=int(value))
    text = clean_text(value)
    lowered = text.lower()
    if match := _DAY_FIRST.fullmatch(lowered):
        day, month, year = match.groups()
        if len(year) != 4:
            raise CellError(
                _("Write the year of %(value)s with 4 digits (e.g. 04-03-1990).") % {"value": text},
                code="date_two_digit_year",
            )
        return _make_date(int(year), int(month), int(day), text)
    if match := _ISO.fullmatch(lowered):
        year, month, day = match.groups()
        return _make_date(int(year), int(month), int(day), text)
    if match := _MONTH_NAME.fullmatch(lowered):
        day, month_name, year = match.groups()
        month = INDONESIAN_MONTHS.get(month_name)
        if month is None:
            raise CellError(
                _("%(value)s: unknown month name %(month)s.")
                % {"value": text, "month": month_name},
                code="date_month_name",
            )
        if len(year) != 4:
            raise CellError(
                _("Write the year of %(value)s with 4 digits (e.g. 04-03-1990).") % {"value": text},
                code="date_two_digit_year",
            )
        return _make_date(int(year), month, int(day), text)
    raise CellError(
        _("%(value)s is not a date; write it as DD-MM-YYYY, e.g. 04-03-1990.") % {"value": text},
        code="date_format",
    )


_YEAR_CACHE: list[float] = [0, 0.0]  # [year, valid until (monotonic seconds)]


def _this_year() -> int:
    """The current year, refreshed every minute: date.today() per row showed in profiles.

    A stale value is never too high, so a birth date before it cannot be in the future.
    """
    now = time.monotonic()
    if now > _YEAR_CACHE[1]:
        _YEAR_CACHE[:] = [datetime.date.today().year, now + 60]
    return int(_YEAR_CACHE[0])


def parse_birth_date(value: Cell) -> datetime.date:
    day = parse_date(value)
    if day.year < OLDEST_BIRTH_YEAR:
        raise CellError(
            _("Date of birth %(date)s is before %(year)d.")
            % {"date": day.strftime("%d-%m-%Y"), "year": OLDEST_BIRTH_YEAR},
            code="birth_date_too_old",
        )
    if day.year >= _this_year() and day > datetime.date.today():
        raise CellError(
            _("Date of birth %(date)s is in the future.") % {"date": day.strftime("%d-%m-%Y")},
            code="birth_date_future",
        )
    return day


def normalized_key(text: str) -> str:
    """Lower-case text without spaces, dashes, dots, underscores or apostrophes."""
    return re.sub(r"[\s\-._'’]+", "", text.lower())


def choice_parser(
    mapping: dict[str, str], *, code: str, expected: Iterable[str] | None = None
) -> Parser:
    """Map a typed label ("Laki-laki", "l") to a stored value, ignoring case and spacing."""
    keyed = {normalized_key(k): v for k, v in mapping.items()}
    shown = ", ".join(expected or mapping)

    def parse(value: Cell) -> str:
        text = clean_text(value)
        try:
            return keyed[normalized_key(text)]
        except KeyError:
            raise CellError(
                _("%(value)s is not one of: %(choices)s.") % {"value": text, "choices": shown},
                code=code,
            ) from None

    return parse


def parse_phone(value: Cell) -> str:
    try:
        return normalize_phone(clean_text(value))
    except ValidationError as exc:
        raise _from_validation_error(exc, "phone_invalid") from None


def parse_rupiah(value: Cell) -> int:
    """Whole rupiah, read exactly (``importer.money``: the one parser of every money column)."""
    return _parse_whole_rupiah(value)


def parse_rt_rw(value: Cell) -> str:
    """RT/RW as three digits ("1", "01", "RT 001" -> "001")."""
    text = clean_text(value)
    if text.isascii() and text.isdigit() and len(text) <= 3:
        return text.zfill(3)
    compact = re.sub(r"^(rt|rw)\.?", "", text.lower()).strip()
    if not compact.isdigit() or int(compact) > 999:
        raise CellError(
            _("%(value)s is not an RT/RW number.") % {"value": text}, code="rt_rw_invalid"
        )
    return f"{int(compact):03d}"
