import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from enrollment import selectors, services
from enrollment.models import EnrollmentStatus, PremiumRate, TerminationReason
from enrollment.premiums import MICRO, monthly_premium, months_in_year, round_rupiah
from participants.models import WorkerType
from tests.enrollment.factories import EnrollmentFactory, PremiumInvoiceFactory
from tests.enrollment.helpers import advance

D = datetime.date


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2024, 1, 1), D(2024, 12, 31), 12),
        (D(2024, 3, 15), D(2024, 12, 31), 10),  # a partial month is a whole month
        (D(2024, 1, 1), D(2024, 1, 1), 1),
        (D(2023, 7, 1), D(2024, 2, 10), 2),  # only the months inside 2024
        (D(2024, 11, 1), D(2025, 3, 31), 2),
        (D(2025, 1, 1), D(2025, 6, 30), 0),
    ],
)
def test_months_in_year(start, end, months):
    assert months_in_year(start, end, 2024) == months


@pytest.mark.parametrize(
    ("micro", "rupiah"),
    [
        (6_646_446_000, 6_646),  # 6.646,446 rounds down
        (6_646_499_999, 6_646),  # just under a half
        (6_646_500_000, 6_647),  # 6.646,5 rounds half up
        (6_646_500_001, 6_647),
        (0, 0),
        (499_999, 0),
        (500_000, 1),
    ],
)
def test_round_rupiah_rounds_half_up_once(micro, rupiah):
    assert round_rupiah(micro) == rupiah


@pytest.mark.django_db
def test_default_rates_from_the_data_migration(year):
    bpu = PremiumRate.objects.get(program_year=year, worker_type=WorkerType.BPU)
    assert monthly_premium(rate=bpu) == 16_800 * MICRO
    pu = {r.risk_class: r.jkk_percent for r in year.rates.filter(worker_type=WorkerType.PU)}
    assert pu == {
        "sangat_rendah": Decimal("0.24"),
        "rendah": Decimal("0.54"),
        "sedang": Decimal("0.89"),
        "tinggi": Decimal("1.27"),
        "sangat_tinggi": Decimal("1.74"),
    }
    assert "PP 44/2015" in bpu.legal_basis


@pytest.mark.django_db
def test_pu_without_a_wage_cannot_be_priced(year):
    rate = year.rates.get(worker_type=WorkerType.PU, risk_class="rendah")
    with pytest.raises(ValidationError) as exc:
        monthly_premium(rate=rate, wage_sen=0)
    assert exc.value.code == "wage_missing"


@pytest.mark.django_db
def test_year_figures_allocated_committed_realised_remaining(year, staff):
    advance(EnrollmentFactory(program_year=year), EnrollmentStatus.ACTIVE)
    advance(EnrollmentFactory(program_year=year), EnrollmentStatus.SUBMITTED)
    EnrollmentFactory(program_year=year)  # proposed: commits nothing yet
    PremiumInvoiceFactory(program_year=year, month=1, amount=16_800, paid_on=D(2024, 2, 5))
    PremiumInvoiceFactory(program_year=year, month=2, amount=16_800)  # not paid yet
    figures = selectors.year_figures(year)
    assert figures.allocated == 1_000_000_000
    assert figures.committed == 2 * 201_600
    assert figures.realised == 16_800
    assert figures.remaining == 1_000_000_000 - 2 * 201_600
    assert figures.by_status[EnrollmentStatus.PROPOSED] == 1


@pytest.mark.django_db
def test_termination_in_the_middle_of_the_year_uses_today(year, staff):
    enrollment = advance(EnrollmentFactory(program_year=year), EnrollmentStatus.ACTIVE)
    with time_machine.travel(datetime.datetime(2024, 5, 20, 10, tzinfo=datetime.UTC), tick=False):
        services.enrollment_terminate(
            enrollment=enrollment, termination_reason=TerminationReason.WITHDREW, user=staff
        )
    assert enrollment.coverage_end == D(2024, 5, 20)
    assert enrollment.committed_amount == 5 * 16_800
    assert selectors.year_figures(year).committed == 5 * 16_800


@pytest.mark.django_db
def test_ending_follows_the_calendar(year, staff):
    enrollment = advance(EnrollmentFactory(program_year=year), EnrollmentStatus.ACTIVE)
    with time_machine.travel(datetime.datetime(2024, 12, 31, 20, tzinfo=datetime.UTC)):
        # 1 January 2025 03:00 in Asia/Jakarta: the 2024 coverage has run out.
        services.enrollment_end(enrollment=enrollment, user=staff)
    assert enrollment.status == EnrollmentStatus.ENDED
