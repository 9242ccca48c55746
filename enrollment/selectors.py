"""Reads for the admin, the commands and reports: year figures, quota use, reconciliation.
(The scholarship follow-up is ``enrollment.scholarship``.)"""

from __future__ import annotations

import datetime
import heapq
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from .limits import quota_used, year_committed
from .models import (
    Enrollment,
    EnrollmentStatus,
    InvoiceLine,
    PremiumInvoice,
    ProgramYear,
    QuotaTarget,
)
from .premiums import round_rupiah


@dataclass(frozen=True)
class YearFigures:
    """A year's money in rupiah: budget allocated, committed, realised (paid) and remaining."""

    allocated: int
    committed: int
    realised: int
    remaining: int
    by_status: dict[str, int]


def year_figures(program_year: ProgramYear) -> YearFigures:
    committed = year_committed(program_year)
    realised = (
        PremiumInvoice.objects.filter(program_year=program_year, paid_on__isnull=False).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    counts = dict(
        Enrollment.objects.filter(program_year=program_year)
        .order_by()  # the model's ordering would join the program year into the GROUP BY
        .values_list("status")
        .annotate(n=Count("*"))  # COUNT(*) lets PostgreSQL read the index only
        .values_list("status", "n")
    )
    return YearFigures(
        allocated=program_year.budget,
        committed=committed,
        realised=realised,
        remaining=program_year.budget - committed,
        by_status={s: counts.get(s, 0) for s in EnrollmentStatus.values},
    )


@dataclass(frozen=True)
class QuotaUse:
    quota: QuotaTarget
    used: int

    @property
    def remaining(self) -> int:
        return self.quota.target - self.used


def quota_usage(program_year: ProgramYear) -> list[QuotaUse]:
    quotas = QuotaTarget.objects.filter(program_year=program_year).select_related(
        "program_year", "segment", "kecamatan"
    )
    return [QuotaUse(quota=q, used=quota_used(q)) for q in quotas]


@dataclass(frozen=True)
class LimitOverruns:
    """Where a year is over-committed: its budget set below the committed rupiah, quotas set
    below the places held (each lowered with a reason, see ``limits``). For the year page
    and the dashboard."""

    budget_over: int
    budget_reason: str
    quotas: list[QuotaUse]

    @property
    def any(self) -> bool:
        return bool(self.budget_over or self.quotas)


def limit_overruns(program_year: ProgramYear) -> LimitOverruns:
    committed = year_committed(program_year)
    return LimitOverruns(
        budget_over=max(committed - program_year.budget, 0),
        budget_reason=program_year.budget_below_use_reason,
        quotas=[use for use in quota_usage(program_year) if use.remaining < 0],
    )


def covered_in_month(program_year: ProgramYear, month: int) -> QuerySet[Enrollment]:
    """Enrollments BPJS should bill for ``month``: they were active and covered that month."""
    first = datetime.date(program_year.year, month, 1)
    next_first = (
        datetime.date(program_year.year + 1, 1, 1)
        if month == 12
        else datetime.date(program_year.year, month + 1, 1)
    )
    return Enrollment.objects.filter(
        program_year=program_year,
        coverage_start__lt=next_first,
        coverage_end__gte=first,
    ).filter(
        Q(status__in=[EnrollmentStatus.ACTIVE, EnrollmentStatus.ENDED])
        | (Q(status=EnrollmentStatus.TERMINATED) & ~Q(kpj_number=""))
    )


RECONCILIATION_SHOWN = 1000


@dataclass
class Reconciliation:
    invoice: PremiumInvoice
    covered_count: int  # enrollments covered that month (what BPJS should bill)
    expected_amount: int  # their exact premiums summed, rounded once as BPJS rounds the bill
    billed_not_active_count: int
    active_not_billed_count: int
    billed_not_active: list[InvoiceLine]  # the first RECONCILIATION_SHOWN by NIK
    active_not_billed: list[Enrollment]

    @property
    def amount_difference(self) -> int:
        """Billed minus expected, in rupiah: 0 when the bill is exactly what Siaga expects."""
        return self.invoice.amount - self.expected_amount


def _first_by_nik(differences: QuerySet, nik_field: str, limit: int) -> tuple[int, list[int]]:
    """(how many rows, the ids of the first ``limit`` by NIK).

    The difference is read unordered and the first ones kept here on purpose: with
    ``ORDER BY nik LIMIT n`` PostgreSQL expects the anti-join to match most rows, walks the
    NIK indexes of both million-row tables and took 26 s at 1,000,000 workers; unordered it
    hash-joins in about 2 s. The rows stream through a bounded heap, so memory stays at
    ``limit`` rows even when the whole year differs (an invoice without its list yet).
    """
    count = 0

    def counted():
        nonlocal count
        for pair in differences.values_list(nik_field, "pk").iterator(chunk_size=5000):
            count += 1
            yield pair

    first = heapq.nsmallest(limit, counted())
    return count, [pk for _nik, pk in first]


def invoice_reconciliation(
    invoice: PremiumInvoice, *, limit: int = RECONCILIATION_SHOWN
) -> Reconciliation:
    """Who BPJS billed without active cover, and who was covered but not billed, that month."""
    covered = covered_in_month(invoice.program_year, invoice.month)
    expected = covered.order_by().aggregate(n=Count("pk"), total=Sum("monthly_premium_micro"))
    # NOT EXISTS (an anti-join) rather than NOT IN: PostgreSQL plans it as a hash anti-join
    # however many participants the invoice has.
    billed_not_active = InvoiceLine.objects.filter(invoice=invoice).exclude(
        Exists(covered.filter(worker__nik=OuterRef("nik")))
    )
    billed = InvoiceLine.objects.filter(invoice=invoice, nik=OuterRef("worker__nik"))
    active_not_billed = covered.exclude(Exists(billed))
    billed_count, billed_ids = _first_by_nik(billed_not_active, "nik", limit)
    active_count, active_ids = _first_by_nik(active_not_billed, "worker__nik", limit)
    return Reconciliation(
        invoice=invoice,
        covered_count=expected["n"],
        expected_amount=round_rupiah(expected["total"] or 0),
        billed_not_active_count=billed_count,
        active_not_billed_count=active_count,
        billed_not_active=list(
            InvoiceLine.objects.filter(pk__in=billed_ids)
            .select_related("enrollment")
            .order_by("nik")
        ),
        active_not_billed=list(
            Enrollment.objects.filter(pk__in=active_ids)
            .select_related("worker", "worker__kelurahan")
            .order_by("worker__nik")
        ),
    )
