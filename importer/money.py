"""Rupiah amounts as staff and BPJS write them, read exactly: the one parser of every money
column of every importer (workers' income, invoice lines' Iuran, …).

Indonesian notation groups thousands with dots and writes decimals after a comma:
``Rp 16.800,00`` is sixteen thousand eight hundred rupiah, ``11.827,168`` is eleven thousand
eight hundred and twenty-seven rupiah and 168/1000 (a premium per person-month before BPJS
rounds the invoice total). An amount is either read to the exact ``Decimal`` it says or
refused with a message; it is never read as a thousand times itself.

Accepted text (``Rp``/``Rp.``/``IDR`` prefix, spaces and a trailing ``,-`` allowed):

* ``1500000``, ``1.500.000``, ``1.500.000,00``, ``11.827,168``, ``1500000,5`` (Indonesian);
* ``1,500,000`` and ``1,500,000.00`` (thousands grouped with commas, as English spreadsheets
  write them: two or more groups, or a dot decimal after them);
* ``11827.168`` (a dot after more than three digits cannot be a thousands separator).

Refused: ``1,500`` and ``16,800`` (a single comma followed by three digits is 1.5 and 16.8
in Indonesian notation but 1500 and 16800 in English: the message asks to write it
unambiguously), negative amounts, words, more than one decimal separator, groups that are not
three digits.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from siaga.formatting import number

from .errors import CellError

# Largest amount accepted: far above any wage or invoice, below PositiveBigIntegerField's limit.
MAX_RUPIAH = Decimal(10) ** 15

_PREFIX = re.compile(r"^(?:rp\.?|idr)")
_PLAIN = re.compile(r"[0-9]+")
# Thousands with dots (Indonesian), optional comma decimals.
_INDONESIAN = re.compile(r"([0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,([0-9]+))?")
# Thousands with commas (English), optional dot decimals.
_ENGLISH = re.compile(r"([0-9]{1,3}(?:,[0-9]{3})+)(?:\.([0-9]+))?")
# A dot decimal after a plain number: 11827.168, 1500000.5, 1.5.
_DOT_DECIMAL = re.compile(r"([0-9]+)\.([0-9]+)")
_AMBIGUOUS_COMMA = re.compile(r"[0-9]{1,3},[0-9]{3}")


def _invalid(text: str) -> CellError:
    return CellError(
        _("%(value)s is not an amount of rupiah; write it like 1500000, 1.500.000 or Rp 16.800,00.")
        % {"value": text},
        code="money_invalid",
    )


def _checked(amount: Decimal, text: str) -> Decimal:
    if amount < 0:
        raise CellError(
            _("%(value)s is negative; an amount of rupiah cannot be.") % {"value": text},
            code="money_negative",
        )
    if amount >= MAX_RUPIAH:
        raise CellError(
            _("%(value)s is too large to be an amount of rupiah.") % {"value": text},
            code="money_invalid",
        )
    return amount


def parse_rupiah_exact(value: object) -> Decimal:
    """The exact amount a cell holds, as a ``Decimal`` (fractions of a rupiah kept)."""
    if isinstance(value, bool) or value is None:
        raise CellError(_("This is not an amount of money."), code="money_invalid")
    if isinstance(value, int):
        return _checked(Decimal(value), str(value))
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise _invalid(str(value))
        # repr() is the shortest text that reads back as the same float: 11827.168, not
        # 11827.16799999999966530594974756240844726562.
        return _checked(Decimal(repr(value)), repr(value))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise _invalid(str(value))
        return _checked(value, str(value))
    if not isinstance(value, str):
        raise CellError(_("This is not an amount of money."), code="money_invalid")
    text = " ".join(value.split())
    if text.startswith("'"):
        text = text[1:].strip()
    compact = _PREFIX.sub("", text.lower().replace(" ", "").replace("\xa0", ""))
    negative = compact.startswith("-")
    if negative:
        compact = compact[1:]
    compact = compact.removesuffix(",-").removesuffix(".-")
    if not compact.isascii():
        raise _invalid(text)
    if _PLAIN.fullmatch(compact):
        whole, fraction = compact, ""
    elif match := _INDONESIAN.fullmatch(compact):
        if match.group(2) is not None and _AMBIGUOUS_COMMA.fullmatch(compact):
            raise CellError(
                _(
                    "%(value)s can be read two ways (a comma is the decimal sign in Indonesian, "
                    "a thousands separator in English). Write %(thousands)s for an amount in "
                    "whole rupiah or %(plain)s without separators."
                )
                % {
                    "value": text,
                    "thousands": compact.replace(",", "."),
                    "plain": compact.replace(",", ""),
                },
                code="money_ambiguous",
            )
        whole, fraction = match.group(1).replace(".", ""), match.group(2) or ""
    elif match := _ENGLISH.fullmatch(compact):
        whole, fraction = match.group(1).replace(",", ""), match.group(2) or ""
    elif match := _DOT_DECIMAL.fullmatch(compact):
        whole, fraction = match.group(1), match.group(2)
    else:
        raise _invalid(text)
    try:
        amount = Decimal(f"{whole}.{fraction}" if fraction else whole)
    except InvalidOperation:  # pragma: no cover - the patterns admit digits only
        raise _invalid(text) from None
    return _checked(-amount if negative else amount, text)


def parse_rupiah(value: object) -> int:
    """Whole rupiah: the exact amount, refused with a message when it has a fraction.

    ``Rp 16.800,00`` → 16800; ``11.827,168`` is refused (not a whole rupiah), never read
    as 11,827,168.
    """
    amount = parse_rupiah_exact(value)
    if amount != amount.to_integral_value():
        raise CellError(
            _(
                "%(value)s is not a whole rupiah amount (it reads as Rp %(amount)s with a "
                "fraction of a rupiah); write the amount in whole rupiah."
            )
            % {"value": value, "amount": number(amount, -amount.as_tuple().exponent)},
            code="money_not_whole",
        )
    return int(amount)
