"""Premium arithmetic: the one place that turns rates, wage bases and dates into rupiah.

Exact amounts are integers in millionths of a rupiah (``MICRO`` per rupiah): a PU rate is a
percentage with two decimals and the wage base (the UMK) has cents, so
rate × base is exact at 10^-6 rupiah (0,54 % × Rp 2.190.216,37 = Rp 11.827,168398).
BPJS Ketenagakerjaan rounds only the invoice total, so Siaga adds exact amounts and rounds
the sum once, half up (``round_rupiah``). No floats anywhere. See docs/enrollment.md.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from participants.models import WorkerType

from .models import MICRO, PremiumRate, ProgramYear, WageBase, round_rupiah

__all__ = [
    "MICRO",
    "coverage_cost",
    "default_coverage_start",
    "invoice_total",
    "monthly_premium",
    "months_in_year",
    "rate_for",
    "round_rupiah",
    "wage_base_sen",
]


def _hundredths(percent: Decimal) -> int:
    """A percentage as an integer number of hundredths of a percent (0.54 -> 54)."""
    scaled = percent * 100
    if scaled != scaled.to_integral_value():
        raise ValidationError(
            _("A premium percentage has at most two decimals."), code="rate_precision"
        )
    return int(scaled)


def wage_base_sen(*, program_year: ProgramYear, declared_wage: int) -> int:
    """The PU premium base in sen (hundredths of a rupiah): the year's UMK or the worker's
    declared wage, as the program year states (``ProgramYear.pu_wage_base``)."""
    if program_year.pu_wage_base == WageBase.UMK:
        umk = Decimal(program_year.umk or 0)
        if umk <= 0:
            raise ValidationError(
                _("Program year %(year)s has no UMK: PU premiums are computed on it."),
                code="umk_missing",
                params={"year": program_year.year},
            )
        return int((umk * 100).to_integral_value())
    if declared_wage <= 0:
        raise ValidationError(
            _("A wage earner (PU) needs a declared monthly wage to price the premium."),
            code="wage_missing",
        )
    return declared_wage * 100


def monthly_premium(*, rate: PremiumRate, wage_sen: int = 0) -> int:
    """The exact monthly JKK + JKM premium of one participant under ``rate``, in millionths
    of a rupiah. BPU: the fixed amounts. PU: (JKK % + JKM %) of the wage base in sen."""
    if rate.worker_type == WorkerType.BPU:
        return (rate.jkk_amount + rate.jkm_amount) * MICRO
    if wage_sen <= 0:
        raise ValidationError(
            _("A wage earner (PU) needs a declared monthly wage to price the premium."),
            code="wage_missing",
        )
    # sen (10^-2 Rp) × hundredths of a percent (10^-4) = 10^-6 rupiah, exactly.
    return wage_sen * (_hundredths(rate.jkk_percent) + _hundredths(rate.jkm_percent))


def invoice_total(exact_amounts: Iterable[int]) -> int:
    """What BPJS bills for a set of person-months: the exact sum rounded once, half up."""
    return round_rupiah(sum(exact_amounts))


def months_in_year(start: datetime.date, end: datetime.date, year: int) -> int:
    """Calendar months touched by the coverage ``start``..``end`` (inclusive) within ``year``.

    BPJS bills a month's contribution whole: coverage that starts on the 15th costs that
    whole month, and coverage ended on the 3rd still cost that month. Not elapsed months:
    15 March → 10 May touches March, April and May (3); 31 January → 1 February touches 2.
    """
    first = max(start, datetime.date(year, 1, 1))
    last = min(end, datetime.date(year, 12, 31))
    if last < first:
        return 0
    return (last.year - first.year) * 12 + last.month - first.month + 1


def coverage_cost(
    *, monthly: int, start: datetime.date, end: datetime.date, program_year: ProgramYear
) -> int:
    """What an enrollment costs the year's budget, exact (millionths of a rupiah):
    monthly premium × months covered."""
    return monthly * months_in_year(start, end, program_year.year)


def first_of_next_month(day: datetime.date) -> datetime.date:
    if day.month == 12:
        return datetime.date(day.year + 1, 1, 1)
    return datetime.date(day.year, day.month + 1, 1)


def default_coverage_start(*, program_year: ProgramYear, today: datetime.date) -> datetime.date:
    """Where a proposal made ``today`` starts: the year's coverage start while it is still
    ahead, otherwise the first day of the next month (cover is never back-dated)."""
    if today <= program_year.coverage_start:
        return program_year.coverage_start
    return first_of_next_month(today)


def rate_for(*, program_year: ProgramYear, worker_type: str, risk_class: str = "") -> PremiumRate:
    """The year's rate row for a worker type (and PU risk class); a clear error if missing."""
    lookup = {"worker_type": worker_type}
    lookup["risk_class"] = risk_class if worker_type == WorkerType.PU else ""
    try:
        return PremiumRate.objects.get(program_year=program_year, **lookup)
    except PremiumRate.DoesNotExist:
        raise ValidationError(
            _("Program year %(year)s has no premium rate for %(type)s %(risk)s."),
            code="rate_missing",
            params={"year": program_year.year, "type": worker_type, "risk": risk_class},
        ) from None
