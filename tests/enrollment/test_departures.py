"""A death or a deactivation, recorded on any path, ends the worker's open cover (issue 11.2)."""

import datetime

import pytest
import tablib
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from enrollment import limits, services
from enrollment.departures import enrollments_end_for_departed
from enrollment.models import Enrollment, EnrollmentStatus, ProgramYearStatus, TerminationReason
from participants.models import Worker
from participants.resources import WorkerResource
from participants.services import worker_update
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory, QuotaTargetFactory
from tests.enrollment.helpers import advance, next_kpj

S = EnrollmentStatus
BPU_MONTHLY = 16_800  # JKK Rp 10.000 + JKM Rp 6.800 (migration 0002)
pytestmark = pytest.mark.django_db


def on(day: datetime.date):
    """Travel to ``day`` (a date of death may not be in the future)."""
    return time_machine.travel(datetime.datetime.combine(day, datetime.time(10)), tick=False)


def active(year, **kwargs) -> Enrollment:
    return advance(EnrollmentFactory(program_year=year, **kwargs), S.ACTIVE)


@pytest.mark.parametrize(
    ("death", "months"),
    [
        (datetime.date(2024, 1, 1), 1),  # the first day of cover: that month is paid
        (datetime.date(2024, 3, 1), 3),  # first day of a month: the month counts
        (datetime.date(2024, 3, 31), 3),  # last day of a month: not the next one
        (datetime.date(2024, 12, 31), 12),  # the last day of cover: the whole year
    ],
)
def test_a_death_on_the_worker_page_ends_active_cover_on_that_day(year, staff, death, months):
    quota = QuotaTargetFactory(program_year=year, target=5)
    enrollment = active(year)
    assert limits.quota_used(quota) == 1
    with on(death):
        worker_update(worker=enrollment.worker, user=staff, data={"death_date": death})

    enrollment.refresh_from_db()
    assert enrollment.status == S.TERMINATED
    assert enrollment.termination_reason == TerminationReason.DECEASED
    assert enrollment.coverage_end == death
    assert enrollment.committed_amount == BPU_MONTHLY * months
    assert limits.year_committed(year) == BPU_MONTHLY * months  # the rest is released
    assert limits.quota_used(quota) == 0  # the place is free
    event = enrollment.events.latest("id")
    assert (event.from_status, event.to_status, event.by) == (S.ACTIVE, S.TERMINATED, staff)
    assert death.strftime("%d-%m-%Y") in event.reason


@pytest.mark.parametrize("status", [S.PROPOSED, S.VERIFIED, S.SUBMITTED])
def test_a_death_before_activation_costs_nothing_and_frees_the_place(year, staff, status):
    quota = QuotaTargetFactory(program_year=year, target=5)
    enrollment = advance(EnrollmentFactory(program_year=year), status)
    worker_update(
        worker=enrollment.worker, user=staff, data={"death_date": datetime.date(2024, 1, 10)}
    )
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.termination_reason) == (
        S.TERMINATED,
        TerminationReason.DECEASED,
    )
    assert enrollment.committed_amount == 0
    assert limits.quota_used(quota) == 0
    assert limits.year_committed(year) == 0


def test_a_death_before_cover_began_costs_nothing(year, staff):
    """BPJS started cover on 1 June; the worker had died on 20 May (reported late)."""
    enrollment = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    with on(datetime.date(2024, 6, 10)):
        services.enrollment_activate(
            enrollment=enrollment,
            kpj_number=next_kpj(),
            coverage_start=datetime.date(2024, 6, 1),
            user=staff,
        )
        worker_update(
            worker=enrollment.worker, user=staff, data={"death_date": datetime.date(2024, 5, 20)}
        )
    enrollment.refresh_from_db()
    assert enrollment.status == S.TERMINATED
    assert enrollment.committed_amount == 0
    assert enrollment.coverage_end == enrollment.coverage_start == datetime.date(2024, 6, 1)


def test_a_death_date_moved_earlier_shortens_cover_already_ended(year, staff):
    enrollment = active(year)
    with on(datetime.date(2024, 7, 1)):
        worker_update(
            worker=enrollment.worker, user=staff, data={"death_date": datetime.date(2024, 6, 15)}
        )
        enrollment.refresh_from_db()
        assert enrollment.committed_amount == BPU_MONTHLY * 6
        worker_update(
            worker=enrollment.worker, user=staff, data={"death_date": datetime.date(2024, 4, 2)}
        )
    enrollment.refresh_from_db()
    assert enrollment.coverage_end == datetime.date(2024, 4, 2)
    assert enrollment.committed_amount == BPU_MONTHLY * 4


def test_deactivation_ends_cover_today_with_its_reason(year, staff):
    enrollment = active(year)
    with on(datetime.date(2024, 5, 20)):
        worker_update(
            worker=enrollment.worker,
            user=staff,
            data={"is_active": False, "deactivation_reason": "Pindah ke Surabaya"},
        )
    enrollment.refresh_from_db()
    assert enrollment.status == S.TERMINATED
    assert enrollment.termination_reason == TerminationReason.DEACTIVATED
    assert enrollment.coverage_end == datetime.date(2024, 5, 20)
    assert enrollment.committed_amount == BPU_MONTHLY * 5
    assert "Pindah ke Surabaya" in enrollment.status_note


def test_every_open_enrollment_of_the_worker_ends_but_closed_years_stay(staff):
    closed = ProgramYearFactory(year=2023, status=ProgramYearStatus.RUNNING)
    old = EnrollmentFactory(program_year=closed)
    closed.status = ProgramYearStatus.CLOSED
    closed.save()
    this_year = ProgramYearFactory(year=2024)
    next_year = ProgramYearFactory(year=2025, status=ProgramYearStatus.PLANNING)
    current = active(this_year, worker=old.worker)
    coming = EnrollmentFactory(program_year=next_year, worker=old.worker)
    worker_update(worker=old.worker, user=staff, data={"death_date": datetime.date(2024, 1, 12)})
    assert Enrollment.objects.get(pk=old.pk).status == S.PROPOSED  # a closed year never changes
    assert Enrollment.objects.get(pk=current.pk).status == S.TERMINATED
    assert Enrollment.objects.get(pk=coming.pk).status == S.TERMINATED


def test_cover_that_ran_out_before_the_death_is_left_to_end(staff):
    year = ProgramYearFactory(year=2024)
    enrollment = active(year)
    with on(datetime.date(2025, 2, 3)):
        worker_update(
            worker=enrollment.worker, user=staff, data={"death_date": datetime.date(2025, 2, 1)}
        )
    enrollment.refresh_from_db()
    assert enrollment.status == S.ACTIVE
    assert enrollment.committed_amount == BPU_MONTHLY * 12


def test_the_worker_page_records_a_death_and_ends_cover(year, admin_client):
    enrollment = active(year)
    worker = enrollment.worker
    data = {
        "nik": worker.nik,
        "kk_number": worker.kk_number,
        "full_name": worker.full_name,
        "birth_place": worker.birth_place,
        "birth_date": worker.birth_date.strftime("%d/%m/%Y"),
        "sex": worker.sex,
        "address": worker.address,
        "rt": worker.rt,
        "rw": worker.rw,
        "kelurahan": worker.kelurahan_id,
        "phone": worker.phone,
        "worker_type": worker.worker_type,
        "segment": worker.segment_id,
        "monthly_income": worker.monthly_income,
        "dtks_status": worker.dtks_status,
        "is_active": "on",
        "death_date": "12/01/2024",
        "heirs-TOTAL_FORMS": "0",
        "heirs-INITIAL_FORMS": "0",
        "heirs-MIN_NUM_FORMS": "0",
        "heirs-MAX_NUM_FORMS": "1000",
    }
    response = admin_client.post(
        reverse("admin:participants_worker_change", args=[worker.pk]), data
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    enrollment.refresh_from_db()
    assert (enrollment.status, enrollment.coverage_end) == (
        S.TERMINATED,
        datetime.date(2024, 1, 12),
    )


def test_a_death_in_an_imported_update_ends_cover(year, staff):
    enrollment = active(year)
    worker = enrollment.worker
    data = tablib.Dataset(
        headers=[
            "NIK",
            "Nama",
            "Tanggal Lahir",
            "Jenis Kelamin",
            "Kelurahan",
            "Jenis Pekerja",
            "Kategori",
            "Tanggal Meninggal",
        ]  # fmt: skip
    )
    data.append(
        [worker.nik, worker.full_name, worker.birth_date.strftime("%d-%m-%Y"), worker.sex,
         worker.kelurahan.name, worker.worker_type, worker.segment.name, "10-01-2024"]
    )  # fmt: skip
    result = WorkerResource().import_data(data, user=staff)
    assert not result.has_validation_errors()
    assert Worker.objects.get(pk=worker.pk).death_date == datetime.date(2024, 1, 10)
    enrollment.refresh_from_db()
    assert enrollment.status == S.TERMINATED
    assert enrollment.committed_amount == BPU_MONTHLY


def test_an_import_refuses_a_death_in_the_future_or_before_birth(year, staff):
    worker = EnrollmentFactory(program_year=year).worker
    data = tablib.Dataset(
        headers=[
            "NIK",
            "Nama",
            "Tanggal Lahir",
            "Jenis Kelamin",
            "Kelurahan",
            "Jenis Pekerja",
            "Kategori",
            "Tanggal Meninggal",
        ]  # fmt: skip
    )
    row = [worker.nik, worker.full_name, worker.birth_date.strftime("%d-%m-%Y"), worker.sex,
           worker.kelurahan.name, worker.worker_type, worker.segment.name]  # fmt: skip
    data.append([*row, "20-01-2024"])
    result = WorkerResource().import_data(data, user=staff, rollback_on_validation_errors=True)
    assert result.has_validation_errors()
    data = tablib.Dataset(headers=data.headers)
    data.append([*row, "01-01-1950"])
    result = WorkerResource().import_data(data, user=staff, rollback_on_validation_errors=True)
    assert result.has_validation_errors()
    assert Worker.objects.get(pk=worker.pk).death_date is None


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"death_date": datetime.date(2024, 1, 3)}, "deceased"),
        ({"is_active": False, "deactivation_reason": "Data ganda"}, "deactivated"),
    ],
)
def test_submit_and_activation_refuse_a_dead_or_deactivated_worker(year, staff, changes, code):
    """Records written before cover ended on departure (or by a path that skipped it)."""
    verified = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    submitted = advance(EnrollmentFactory(program_year=year), S.SUBMITTED)
    Worker.objects.filter(pk__in=[verified.worker_id, submitted.worker_id]).update(**changes)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_submit(enrollment=verified, user=staff)
    assert exc.value.code == code
    with pytest.raises(ValidationError) as exc:
        services.enrollment_activate(
            enrollment=submitted,
            kpj_number=next_kpj(),
            coverage_start=datetime.date(2024, 1, 1),
            user=staff,
        )
    assert code in {e.code for e in exc.value.error_list}
    assert Enrollment.objects.get(pk=verified.pk).status == S.VERIFIED
    assert Enrollment.objects.get(pk=submitted.pk).status == S.SUBMITTED


def test_ending_cover_again_changes_nothing(year, staff):
    enrollment = active(year)
    worker_update(
        worker=enrollment.worker, user=staff, data={"death_date": datetime.date(2024, 1, 5)}
    )
    events = enrollment.events.count()
    assert enrollments_end_for_departed(worker_ids=[enrollment.worker_id], user=staff) == []
    assert enrollment.events.count() == events


def test_a_death_date_in_the_future_is_refused(staff):
    worker = EnrollmentFactory().worker
    with pytest.raises(ValidationError) as exc:
        worker_update(worker=worker, user=staff, data={"death_date": datetime.date(2024, 2, 1)})
    assert "death_date" in exc.value.message_dict
