"""Propose the top N at the real price, skipping who cannot be proposed (issue 11)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError

from enrollment.models import Enrollment, PremiumRate, WageBase
from participants.models import DtksStatus, Segment, WorkerType
from targeting.models import ProposalSkip
from targeting.services import proposals_from_priority
from tests.enrollment.factories import ProgramYearFactory
from tests.factories import WorkerFactory

D = datetime.date
BPU_MONTH = 16_800


def on(day):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 9, tzinfo=datetime.UTC), tick=False
    )


def ranked(desil, **kwargs):
    """A candidate ranked by desil (1 = poorest = first)."""
    return WorkerFactory(
        dtks_status=DtksStatus.REGISTERED,
        dtks_desil=desil,
        dtks_checked_on=datetime.date(2023, 12, 1),
        **kwargs,
    )


@pytest.mark.django_db
def test_mid_year_the_budget_fits_as_many_as_it_pays_for():
    # Rp 604.800 is three people for a whole year, but proposed on 10 July cover starts
    # on 1 August: 5 months, Rp 84.000 each, so seven fit.
    year = ProgramYearFactory(year=2024, budget=3 * 12 * BPU_MONTH)
    WorkerFactory.create_batch(9)
    with on(D(2024, 7, 10)):
        outcome = proposals_from_priority(
            program_year=year, worker_type=WorkerType.BPU, count=9, user=None
        )
    assert len(outcome.proposed) == 7
    assert {e.coverage_start for e in outcome.proposed} == {D(2024, 8, 1)}
    assert "Anggaran 2024 sudah habis" in outcome.batch.stopped_because


@pytest.mark.django_db
def test_candidates_who_cannot_be_proposed_are_skipped_with_the_reason_and_the_run_goes_on():
    year = ProgramYearFactory(year=2024, pu_wage_base=WageBase.DECLARED)
    building = Segment.objects.get(code="jasa-konstruksi")  # default class: high
    no_wage = ranked(1, worker_type=WorkerType.PU, monthly_income=0)
    no_rate = ranked(2, worker_type=WorkerType.PU, monthly_income=3_000_000, segment=building)
    PremiumRate.objects.filter(program_year=year, risk_class="tinggi").delete()
    fine = ranked(3, worker_type=WorkerType.PU, monthly_income=3_000_000)

    outcome = proposals_from_priority(
        program_year=year, worker_type=WorkerType.PU, count=5, user=None
    )

    assert [e.worker_id for e in outcome.proposed] == [fine.pk]
    skips = list(ProposalSkip.objects.filter(batch=outcome.batch).order_by("rank"))
    assert [(s.worker_id, s.rank) for s in skips] == [(no_wage.pk, 1), (no_rate.pk, 2)]
    assert "upah" in skips[0].reason  # "… memerlukan upah bulanan …"
    assert "2024" in skips[1].reason and "tinggi" in skips[1].reason
    assert outcome.batch.stopped_because  # the list ended
    assert not Enrollment.objects.filter(worker__in=[no_wage, no_rate]).exists()


@pytest.mark.django_db
def test_on_the_umk_a_pu_candidate_without_a_declared_wage_is_proposed():
    year = ProgramYearFactory(year=2024, pu_wage_base=WageBase.UMK, umk=Decimal("2190216.37"))
    worker = ranked(1, worker_type=WorkerType.PU, monthly_income=0)
    outcome = proposals_from_priority(
        program_year=year, worker_type=WorkerType.PU, count=1, user=None
    )
    assert [e.worker_id for e in outcome.proposed] == [worker.pk]
    assert not outcome.skipped


@pytest.mark.django_db
def test_a_year_without_its_umk_stops_the_run_with_the_reason_once():
    year = ProgramYearFactory(year=2024, pu_wage_base=WageBase.UMK, umk=Decimal(0))
    ranked(1, worker_type=WorkerType.PU)
    ranked(2, worker_type=WorkerType.PU)
    outcome = proposals_from_priority(
        program_year=year, worker_type=WorkerType.PU, count=2, user=None
    )
    assert outcome.proposed == []
    assert not ProposalSkip.objects.exists()
    assert "UMK" in outcome.batch.stopped_because


@pytest.mark.django_db
def test_no_run_once_the_years_cover_is_over():
    year = ProgramYearFactory(year=2024)
    WorkerFactory()
    with on(D(2024, 12, 5)), pytest.raises(ValidationError) as exc:
        proposals_from_priority(program_year=year, worker_type=WorkerType.BPU, count=1, user=None)
    assert exc.value.code == "coverage_over"
