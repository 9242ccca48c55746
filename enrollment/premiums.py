"""Premium arithmetic: the one place that turns rates and dates into rupiah.

Everything here is integer rupiah or ``Decimal``; no floats.
"""

from __future__ import annotations

import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from participants.models import WorkerType

from .models import PremiumRate, ProgramYear

HUNDRED = Decimal(100)


def percent_of(wage: int, percent: Decimal) -> int:
    """``percent`` % of ``wage``, rounded half up to whole rupiah.

    PP 44/2015 states contributions as percentages of the monthly wage and sets no rounding
    rule; BPJS Ketenagakerjaan bills whole rupiah, so each component (JKK, JKM) is rounded
    to the nearest rupiah, halves up, before they are added (see docs/enrollment.md).
    """
    return int((Decimal(wage) * percent / HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def monthly_premium(*, rate: PremiumRate, wage: int = 0) -> int:
    """The monthly JKK + JKM premium one participant costs under ``rate``."""
    if rate.worker_type == WorkerType.BPU:
        return rate.jkk_amount + rate.jkm_amount
    if wage <= 0:
        raise ValidationError(
            _("A wage earner (PU) needs a declared monthly wage to price the premium."),
            code="wage_missing",
        )
    return percent_of(wage, rate.jkk_percent) + percent_of(wage, rate.jkm_percent)


def months_in_year(start: datetime.date, end: datetime.date, year: int) -> int:
    """Calendar months touched by the coverage ``start``..``end`` (inclusive) within ``year``.

    BPJS bills a month's contribution whole: coverage that starts on the 15th costs that
    whole month, and coverage ended on the 3rd still cost that month.
    """
    first = max(start, datetime.date(year, 1, 1))
    last = min(end, datetime.date(year, 12, 31))
    if last < first:
        return 0
    return (last.year - first.year) * 12 + last.month - first.month + 1


def coverage_cost(
    *, monthly: int, start: datetime.date, end: datetime.date, program_year: ProgramYear
) -> int:
    """What an enrollment costs the year's budget: monthly premium × months covered."""
    return monthly * months_in_year(start, end, program_year.year)


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
