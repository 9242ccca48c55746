import datetime

import pytest
from django.core.exceptions import ValidationError

from enrollment import limits, services
from enrollment.eligibility import enrollment_eligibility
from enrollment.models import (
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    ProgramYearStatus,
    TerminationReason,
)
from participants.models import DtksStatus, Kelurahan, Segment, WorkerType
from participants.services import worker_update
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory, QuotaTargetFactory
from tests.enrollment.helpers import advance, approve
from tests.factories import HeirFactory, WorkerFactory

S = EnrollmentStatus
pytestmark = pytest.mark.django_db


def codes(exc: ValidationError) -> set[str]:
    return {e.code for e in exc.error_list}


def test_propose_records_who_and_why(year, staff):
    worker = WorkerFactory()
    enrollment = services.enrollment_propose(
        worker=worker, program_year=year, user=staff, reason="usulan kelurahan"
    )
    assert enrollment.status == S.PROPOSED
    # Proposed on 15 January, after the year's start: cover starts on the next month's first.
    assert enrollment.coverage_start == datetime.date(2024, 2, 1)
    event = enrollment.events.get()
    assert (event.from_status, event.to_status, event.by, event.reason) == (
        "",
        S.PROPOSED,
        staff,
        "usulan kelurahan",
    )


def test_full_lifecycle_keeps_history(year, staff):
    enrollment = EnrollmentFactory(program_year=year)
    services.enrollment_verify(enrollment=enrollment, user=staff)
    approve([enrollment])  # nothing goes to BPJS unapproved (issue 15)
    services.enrollment_submit(enrollment=enrollment, user=staff)
    services.enrollment_activate(
        enrollment=enrollment,
        kpj_number="12345678901",
        coverage_start=datetime.date(2024, 2, 1),
        user=staff,
    )
    assert enrollment.status == S.ACTIVE
    assert enrollment.kpj_number == "12345678901"
    assert enrollment.coverage_start == datetime.date(2024, 2, 1)
    history = list(enrollment.events.values_list("from_status", "to_status"))
    assert history == [(S.PROPOSED, S.VERIFIED), (S.VERIFIED, S.SUBMITTED), (S.SUBMITTED, S.ACTIVE)]


def test_verify_freezes_monthly_premium_and_cost(year, staff):
    enrollment = EnrollmentFactory(program_year=year)
    services.enrollment_verify(enrollment=enrollment, user=staff)
    assert enrollment.monthly_premium == 16_800
    assert enrollment.committed_amount == 16_800 * 12
    # A later rate change does not touch the frozen premium.
    year.rates.filter(worker_type=WorkerType.BPU).update(jkm_amount=9_000)
    enrollment.refresh_from_db()
    assert enrollment.monthly_premium == 16_800


def test_pu_premium_uses_risk_class_and_wage(year, staff):
    worker = WorkerFactory(worker_type=WorkerType.PU, monthly_income=2_500_000)
    enrollment = services.enrollment_propose(
        worker=worker, program_year=year, user=staff, risk_class="sedang"
    )
    services.enrollment_verify(enrollment=enrollment, user=staff)
    # 0.89% of 2.500.000 = 22.250; 0.30% = 7.500
    assert enrollment.monthly_premium == 29_750


def test_pu_without_a_risk_class_gets_the_segment_default(year, staff):
    worker = WorkerFactory(worker_type=WorkerType.PU)
    worker.segment.default_risk_class = "sedang"
    worker.segment.save()
    enrollment = services.enrollment_propose(worker=worker, program_year=year, user=staff)
    assert enrollment.risk_class == "sedang"
    chosen = services.enrollment_propose(
        worker=WorkerFactory(worker_type=WorkerType.PU, segment=worker.segment),
        program_year=year,
        user=staff,
        risk_class="tinggi",
    )
    assert chosen.risk_class == "tinggi"


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (S.PROPOSED, S.SUBMITTED),
        (S.PROPOSED, S.ACTIVE),
        (S.VERIFIED, S.ACTIVE),
        (S.SUBMITTED, S.VERIFIED),
        (S.ACTIVE, S.VERIFIED),
    ],
)
def test_illegal_jumps_are_refused(year, staff, start, target):
    enrollment = advance(EnrollmentFactory(program_year=year), start)
    calls = {
        S.VERIFIED: lambda: services.enrollment_verify(enrollment=enrollment, user=staff),
        S.SUBMITTED: lambda: services.enrollment_submit(enrollment=enrollment, user=staff),
        S.ACTIVE: lambda: services.enrollment_activate(
            enrollment=enrollment,
            kpj_number="12345678901",
            coverage_start=datetime.date(2024, 1, 1),
            user=staff,
        ),
    }
    with pytest.raises(ValidationError) as exc:
        calls[target]()
    assert codes(exc.value) == {"illegal_transition"}
    enrollment.refresh_from_db()
    assert enrollment.status == start


def test_rejected_is_final(year, staff):
    enrollment = EnrollmentFactory(program_year=year)
    services.enrollment_reject(enrollment=enrollment, user=staff, reason="data tidak lengkap")
    assert enrollment.status == S.REJECTED
    with pytest.raises(ValidationError):
        services.enrollment_verify(enrollment=enrollment, user=staff)


def test_reject_needs_a_reason(year, staff):
    enrollment = EnrollmentFactory(program_year=year)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_reject(enrollment=enrollment, user=staff, reason=" ")
    assert codes(exc.value) == {"reason_missing"}


def test_terminating_an_active_enrollment_keeps_the_months_covered(year, staff):
    enrollment = advance(EnrollmentFactory(program_year=year), S.ACTIVE, user=staff)
    services.enrollment_terminate(
        enrollment=enrollment,
        termination_reason=TerminationReason.MOVED,
        effective_date=datetime.date(2024, 3, 10),
        user=staff,
        reason="pindah ke Surabaya",
    )
    assert enrollment.status == S.TERMINATED
    assert enrollment.termination_reason == TerminationReason.MOVED
    assert enrollment.coverage_end == datetime.date(2024, 3, 10)
    assert enrollment.committed_amount == 3 * 16_800
    assert enrollment.events.last().reason == "pindah ke Surabaya"


def test_terminating_before_activation_frees_the_money(year, staff):
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED, user=staff)
    services.enrollment_terminate(
        enrollment=enrollment, termination_reason=TerminationReason.BPJS_REJECTED, user=staff
    )
    assert enrollment.committed_amount == 0


def test_terminate_needs_a_known_reason(year, staff):
    enrollment = EnrollmentFactory(program_year=year)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_terminate(enrollment=enrollment, termination_reason="bosan", user=staff)
    assert codes(exc.value) == {"termination_reason"}


def test_end_only_after_coverage_ran_out(year, staff):
    enrollment = advance(EnrollmentFactory(program_year=year), S.ACTIVE, user=staff)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_end(enrollment=enrollment, user=staff)
    assert codes(exc.value) == {"coverage_not_over"}
    services.enrollment_end(enrollment=enrollment, user=staff, today=datetime.date(2025, 1, 1))
    assert enrollment.status == S.ENDED


def test_end_expired_ends_every_run_out_enrollment(year, staff):
    enrollments = [advance(EnrollmentFactory(program_year=year), S.ACTIVE) for _ in range(2)]
    ended = services.enrollments_end_expired(
        program_year=year, user=staff, today=datetime.date(2025, 1, 2)
    )
    assert ended == 2
    assert {e.status for e in Enrollment.objects.filter(pk__in=[e.pk for e in enrollments])} == {
        S.ENDED
    }


def test_closed_year_is_read_only(year, staff):
    enrollment = EnrollmentFactory(program_year=year)
    year.status = ProgramYearStatus.CLOSED
    year.save()
    with pytest.raises(ValidationError) as exc:
        services.enrollment_verify(enrollment=enrollment, user=staff)
    assert codes(exc.value) == {"year_closed"}
    with pytest.raises(ValidationError):
        services.enrollment_propose(worker=WorkerFactory(), program_year=year, user=staff)


def test_activation_checks_kpj_format(year, staff):
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_activate(
            enrollment=enrollment,
            kpj_number="12345",
            coverage_start=datetime.date(2024, 1, 1),
            user=staff,
        )
    assert "kpj_number" in exc.value.message_dict
    enrollment.refresh_from_db()
    assert enrollment.status == S.SUBMITTED


def test_kpj_is_unique_within_a_year(year, staff):
    first = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    second = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    with pytest.raises(ValidationError):
        services.enrollment_activate(
            enrollment=second,
            kpj_number=first.kpj_number,
            coverage_start=datetime.date(2024, 1, 1),
            user=staff,
        )


# --- eligibility -------------------------------------------------------------------------------


def eligibility(worker, year):
    return enrollment_eligibility(worker=worker, program_year=year)


def test_eligible_worker_with_heirs_has_no_findings(year):
    worker = HeirFactory(
        worker=WorkerFactory(
            dtks_status=DtksStatus.NOT_REGISTERED, dtks_checked_on=datetime.date(2023, 6, 1)
        )
    ).worker
    result = eligibility(worker, year)
    assert result.is_eligible
    assert result.warnings == []


def test_no_heirs_is_a_warning_not_a_refusal(year):
    worker = WorkerFactory(
        dtks_status=DtksStatus.NOT_REGISTERED, dtks_checked_on=datetime.date(2023, 6, 1)
    )
    result = eligibility(worker, year)
    assert result.is_eligible
    assert [w.code for w in result.warnings] == ["no_heirs"]


def test_deceased_worker_is_not_eligible(year):
    worker = WorkerFactory(death_date=datetime.date(2023, 12, 1))
    assert "deceased" in {e.code for e in eligibility(worker, year).errors}


def test_deactivated_worker_is_not_eligible(year):
    worker = WorkerFactory(is_active=False, deactivation_reason="Data ganda")
    errors = eligibility(worker, year).errors
    assert "deactivated" in {e.code for e in errors}
    assert any("Data ganda" in e.message for e in errors)


@pytest.mark.parametrize(
    ("birth_date", "eligible"),
    [
        (datetime.date(2006, 1, 1), True),  # 18 on 1 January 2024
        (datetime.date(2006, 1, 2), False),  # 17 on 1 January 2024
        (datetime.date(1958, 1, 2), True),  # 65
        (datetime.date(1958, 1, 1), False),  # 66 that day
    ],
)
def test_age_range_on_coverage_start(year, birth_date, eligible):
    worker = WorkerFactory(birth_date=birth_date)
    result = enrollment_eligibility(
        worker=worker, program_year=year, coverage_start=datetime.date(2024, 1, 1)
    )
    found = {e.code for e in result.errors}
    assert ("age_out_of_range" not in found) is eligible


def test_invalid_nik_is_an_error(year):
    worker = WorkerFactory()
    worker.nik = "3577010000000000"
    assert "nik_invalid" in {e.code for e in eligibility(worker, year).errors}


def test_nik_from_outside_the_city_is_a_warning(year):
    worker = WorkerFactory(nik="3519014101900001", birth_date=datetime.date(1990, 1, 1), sex="P")
    result = eligibility(worker, year)
    assert result.is_eligible
    assert "nik_outside_city" in {w.code for w in result.warnings}


def test_employer_covered_worker_cannot_get_bpu(year):
    worker = WorkerFactory(employer_covered=True)
    assert "employer_covered" in {e.code for e in eligibility(worker, year).errors}
    pu = WorkerFactory(employer_covered=True, worker_type=WorkerType.PU)
    assert "employer_covered" not in {e.code for e in eligibility(pu, year).errors}


def test_one_enrollment_per_worker_and_year(year, staff):
    enrollment = EnrollmentFactory(program_year=year)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_propose(worker=enrollment.worker, program_year=year, user=staff)
    assert "already_enrolled" in codes(exc.value)


def test_one_enrollment_per_worker_and_year_in_the_database(year):
    from django.db import IntegrityError

    enrollment = EnrollmentFactory(program_year=year)
    with pytest.raises(IntegrityError):
        EnrollmentFactory(program_year=year, worker=enrollment.worker)


def test_verify_rechecks_eligibility(year, staff):
    enrollment = EnrollmentFactory(program_year=year)
    enrollment.worker.employer_covered = True
    enrollment.worker.save()
    with pytest.raises(ValidationError) as exc:
        services.enrollment_verify(enrollment=enrollment, user=staff)
    assert codes(exc.value) == {"employer_covered"}


# --- limits ------------------------------------------------------------------------------------


def test_quota_is_a_hard_limit(year, staff):
    QuotaTargetFactory(program_year=year, worker_type=WorkerType.BPU, target=1)
    advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    second = EnrollmentFactory(program_year=year)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_verify(enrollment=second, user=staff)
    assert codes(exc.value) == {"quota_full"}
    assert "penuh" in exc.value.messages[0]


def test_segment_quota_applies_only_to_its_segment(year, staff):
    from participants.models import Segment

    pkl = Segment.objects.get(code="pkl")
    QuotaTargetFactory(program_year=year, segment=pkl, target=1)
    advance(EnrollmentFactory(program_year=year, worker=WorkerFactory(segment=pkl)), S.VERIFIED)
    ojol = EnrollmentFactory(program_year=year)
    services.enrollment_verify(enrollment=ojol, user=staff)
    with pytest.raises(ValidationError):
        services.enrollment_verify(
            enrollment=EnrollmentFactory(program_year=year, worker=WorkerFactory(segment=pkl)),
            user=staff,
        )


@pytest.mark.parametrize(
    "release",
    [
        lambda e, user: services.enrollment_terminate(
            enrollment=e, termination_reason=TerminationReason.DUPLICATE, user=user
        ),
        lambda e, user: services.enrollment_reject(enrollment=e, user=user, reason="data ganda"),
    ],
    ids=["terminated", "rejected"],
)
def test_terminated_and_rejected_free_their_place(year, staff, release):
    quota = QuotaTargetFactory(program_year=year, target=1)
    holder = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    waiting = EnrollmentFactory(program_year=year)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_verify(enrollment=waiting, user=staff)
    assert codes(exc.value) == {"quota_full"}

    release(holder, staff)

    holder.refresh_from_db()
    assert holder.status in (S.TERMINATED, S.REJECTED)
    assert holder.committed_amount == 0
    assert limits.quota_used(quota) == 0
    assert limits.year_committed(year) == 0
    services.enrollment_verify(enrollment=waiting, user=staff)
    assert waiting.status == S.VERIFIED
    assert limits.quota_used(quota) == 1


# --- the place stays where it was verified (issue 11.3) -----------------------------------------


def test_editing_a_verified_workers_kelurahan_does_not_move_the_place(year, staff):
    kelun = Kelurahan.objects.get(name="Kelun")  # Kartoharjo, like the factory's kelurahan
    taman = Kelurahan.objects.exclude(kecamatan=kelun.kecamatan).first()
    here = QuotaTargetFactory(program_year=year, kecamatan=kelun.kecamatan, target=1)
    there = QuotaTargetFactory(program_year=year, kecamatan=taman.kecamatan, target=1)
    held = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    assert (held.segment_id, held.kelurahan_id) == (
        held.worker.segment_id,
        held.worker.kelurahan_id,
    )

    worker_update(worker=held.worker, user=staff, data={"kelurahan": taman})

    assert (limits.quota_used(here), limits.quota_used(there)) == (1, 0)
    with pytest.raises(ValidationError) as exc:  # the place in Kartoharjo is still taken
        services.enrollment_verify(enrollment=EnrollmentFactory(program_year=year), user=staff)
    assert codes(exc.value) == {"quota_full"}
    moved_in = EnrollmentFactory(program_year=year, worker=WorkerFactory(kelurahan=taman))
    services.enrollment_verify(enrollment=moved_in, user=staff)  # Taman's place is free
    assert limits.quota_used(there) == 1


def test_editing_a_verified_workers_segment_does_not_fill_another_quota(year, staff):
    ojol, pkl = Segment.objects.get(code="ojol"), Segment.objects.get(code="pkl")
    pkl_quota = QuotaTargetFactory(program_year=year, segment=pkl, target=1)
    advance(EnrollmentFactory(program_year=year, worker=WorkerFactory(segment=pkl)), S.VERIFIED)
    ojol_worker = advance(EnrollmentFactory(program_year=year), S.VERIFIED).worker

    worker_update(worker=ojol_worker, user=staff, data={"segment": pkl})

    assert limits.quota_used(pkl_quota) == 1  # not 2: the quota is not pushed past its target
    assert ojol_worker.enrollments.get().segment == ojol


def test_verification_takes_the_place_where_the_worker_is_then(year, staff):
    """A proposal counts where the worker was when proposed; verification counts them anew."""
    pkl = Segment.objects.get(code="pkl")
    enrollment = EnrollmentFactory(program_year=year)
    worker_update(worker=enrollment.worker, user=staff, data={"segment": pkl})
    services.enrollment_verify(enrollment=enrollment, user=staff)
    enrollment.refresh_from_db()
    assert enrollment.segment == pkl


def test_a_proposal_records_the_workers_segment_and_kelurahan(year, staff):
    worker = WorkerFactory()
    enrollment = services.enrollment_propose(worker=worker, program_year=year, user=staff)
    assert (enrollment.segment_id, enrollment.kelurahan_id) == (
        worker.segment_id,
        worker.kelurahan_id,
    )


def test_supervisor_may_override_the_quota_with_a_reason(year, staff, supervisor):
    QuotaTargetFactory(program_year=year, target=0)
    enrollment = EnrollmentFactory(program_year=year)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_verify(
            enrollment=enrollment, user=staff, override_quota_reason="instruksi wali kota"
        )
    assert codes(exc.value) == {"quota_override_forbidden"}
    services.enrollment_verify(
        enrollment=enrollment, user=supervisor, override_quota_reason="instruksi wali kota"
    )
    assert enrollment.quota_override
    assert enrollment.quota_override_by == supervisor
    assert enrollment.quota_override_reason == "instruksi wali kota"
    assert EnrollmentEvent.objects.filter(
        enrollment=enrollment, reason="instruksi wali kota"
    ).exists()


def test_budget_is_a_hard_limit_even_for_a_supervisor(staff, supervisor):
    year = ProgramYearFactory(year=2024, budget=16_800 * 12 + 100)
    advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    enrollment = EnrollmentFactory(program_year=year)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_verify(
            enrollment=enrollment, user=supervisor, override_quota_reason="darurat"
        )
    assert codes(exc.value) == {"budget_exceeded"}


def test_a_batch_counts_its_own_earlier_verifications_against_quota_and_budget(staff):
    year = ProgramYearFactory(year=2024, budget=16_800 * 12 * 3)
    QuotaTargetFactory(program_year=year, worker_type=WorkerType.BPU, target=2)
    batch = [EnrollmentFactory(program_year=year) for _ in range(3)]
    pu = EnrollmentFactory(
        program_year=year,
        worker=WorkerFactory(worker_type=WorkerType.PU, monthly_income=10_000_000),
        worker_type=WorkerType.PU,
        risk_class="sangat_rendah",
    )
    outcome = services.enrollments_verify(enrollments=[*batch, pu], user=staff)
    assert [e.pk for e in outcome.verified] == [batch[0].pk, batch[1].pk]
    refused = {e.pk: codes(exc) for e, exc in outcome.refused}
    # The third BPU finds the quota full; the PU then finds the money used by the first two.
    assert refused == {batch[2].pk: {"quota_full"}, pu.pk: {"budget_exceeded"}}
    for enrollment in batch[:2]:
        enrollment.refresh_from_db()
        assert (enrollment.status, enrollment.monthly_premium) == (S.VERIFIED, 16_800)
        assert enrollment.events.get(to_status=S.VERIFIED).by == staff
        assert enrollment.history.first().history_type == "~"
    batch[2].refresh_from_db()
    assert batch[2].status == S.PROPOSED


def test_a_batch_with_already_verified_enrollments_keeps_their_money_counted(staff):
    year = ProgramYearFactory(year=2024, budget=16_800 * 12 * 2)
    verified = [advance(EnrollmentFactory(program_year=year), S.VERIFIED) for _ in range(2)]
    proposal = EnrollmentFactory(program_year=year)
    outcome = services.enrollments_verify(enrollments=[*verified, proposal], user=staff)
    assert outcome.verified == []
    refused = {e.pk: codes(exc) for e, exc in outcome.refused}
    assert refused == {
        verified[0].pk: {"illegal_transition"},
        verified[1].pk: {"illegal_transition"},
        proposal.pk: {"budget_exceeded"},
    }
    assert limits.year_committed(year) == year.budget


def test_partial_year_costs_fewer_months(staff):
    year = ProgramYearFactory(year=2024, budget=16_800 * 12)
    first = EnrollmentFactory(program_year=year, coverage_start=datetime.date(2024, 7, 15))
    services.enrollment_verify(enrollment=first, user=staff)
    assert first.committed_amount == 16_800 * 6
    second = EnrollmentFactory(program_year=year, coverage_start=datetime.date(2024, 7, 1))
    services.enrollment_verify(enrollment=second, user=staff)
    assert limits.year_committed(year) == year.budget


def test_activation_with_an_earlier_start_cannot_overrun_the_budget(staff):
    year = ProgramYearFactory(year=2024, budget=16_800 * 6)
    enrollment = EnrollmentFactory(program_year=year, coverage_start=datetime.date(2024, 7, 1))
    advance(enrollment, S.SUBMITTED)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_activate(
            enrollment=enrollment,
            kpj_number="12345678901",
            coverage_start=datetime.date(2024, 6, 1),
            user=staff,
        )
    assert codes(exc.value) == {"budget_exceeded"}


def test_new_year_copies_rates(staff):
    from enrollment.models import ProgramYear

    source = ProgramYearFactory(year=2024)
    target = ProgramYear.objects.create(
        year=2026,
        budget=0,
        coverage_start=datetime.date(2026, 1, 1),
        coverage_end=datetime.date(2026, 12, 31),
    )
    assert services.program_year_copy_rates(program_year=target, source=source) == 6
    assert services.program_year_copy_rates(program_year=target, source=source) == 0
