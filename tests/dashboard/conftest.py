"""Generated program data for the dashboard tests: two program years (2024 and 2025) with
every lifecycle path — active, ended, terminated mid-year, deceased (JKM claim), rejected,
renewed into 2025, verified beyond a full quota by a supervisor — and events spread over
the months, all made through the enrollment services."""

from __future__ import annotations

import datetime
import random

import pytest
import time_machine
from django.contrib.auth.models import Permission

from enrollment import claims, renewal, services
from enrollment.models import ClaimType, EnrollmentStatus, TerminationReason
from participants.models import (
    DtksStatus,
    Kelurahan,
    Relationship,
    SchoolLevel,
    Segment,
    Sex,
    WorkerType,
)
from tests.enrollment.factories import (
    PremiumInvoiceFactory,
    ProgramYearFactory,
    QuotaTargetFactory,
)
from tests.enrollment.helpers import approve, next_kpj
from tests.factories import HeirFactory, UserFactory, WorkerFactory

S = EnrollmentStatus


def at(day: datetime.date, hour: int = 9):
    """Travel to ``day`` in Jakarta (UTC+7) at ``hour`` local time."""
    moment = datetime.datetime(day.year, day.month, day.day, hour, 0, tzinfo=datetime.UTC)
    return time_machine.travel(moment - datetime.timedelta(hours=7), tick=False)


def make_workers(rng: random.Random, count: int) -> list:
    kelurahan = list(Kelurahan.objects.order_by("code"))
    segments = list(Segment.objects.order_by("pk"))[:5]
    workers = []
    with at(datetime.date(2023, 11, 1)):
        for i in range(count):
            sex = rng.choice([Sex.MALE, Sex.FEMALE])
            dtks = rng.choice(list(DtksStatus))
            worker_type = WorkerType.PU if i % 4 == 0 else WorkerType.BPU
            worker = WorkerFactory(
                sex=sex,
                birth_date=datetime.date(1962 + rng.randrange(40), rng.randrange(1, 13), 1)
                + datetime.timedelta(days=rng.randrange(27)),
                kelurahan=rng.choice(kelurahan[:6] + kelurahan[12:14]),
                segment=segments[i % len(segments)],
                worker_type=worker_type,
                monthly_income=2_000_000 + 50_000 * i,
                dtks_status=dtks,
                dtks_desil=rng.randrange(1, 11) if dtks == DtksStatus.REGISTERED else None,
                dtks_checked_on=(
                    datetime.date(2023, 10, 1) if dtks != DtksStatus.UNCHECKED else None
                ),
            )
            for _ in range(rng.choice([0, 0, 1, 2, 3])):
                known = rng.random() < 0.7
                HeirFactory(
                    worker=worker,
                    relationship=rng.choice(
                        [Relationship.CHILD, Relationship.CHILD, Relationship.SPOUSE]
                    ),
                    birth_date=(
                        datetime.date(1998 + rng.randrange(26), 7, 1)
                        + datetime.timedelta(days=rng.randrange(-3, 3))
                        if known
                        else None
                    ),
                    school_level=rng.choice([c.value for c in SchoolLevel] + [""]),
                )
            if i in (1, 31):
                # A kindergarten child without birth date is school-age by its level alone
                # (the JKM scholarship starts at TK): one participant in 2024, one new in 2025.
                HeirFactory(
                    worker=worker,
                    relationship=Relationship.CHILD,
                    birth_date=None,
                    school_level=SchoolLevel.TK,
                )
            workers.append(worker)
    return workers


def build_program(count: int = 36, seed: int = 7) -> dict:
    rng = random.Random(seed)
    staff = UserFactory(username="petugas-dashboard")
    supervisor = UserFactory(username="supervisor-dashboard")
    supervisor.user_permissions.add(Permission.objects.get(codename="override_quota"))
    y2024 = ProgramYearFactory(year=2024, budget=2_000_000_000)
    y2025 = ProgramYearFactory(year=2025, budget=2_000_000_000)
    workers = make_workers(rng, count)
    first_kecamatan_segment = workers[0].segment
    QuotaTargetFactory(program_year=y2024, worker_type=WorkerType.BPU, target=40)
    QuotaTargetFactory(program_year=y2024, worker_type=WorkerType.PU, target=12)
    QuotaTargetFactory(program_year=y2025, worker_type=WorkerType.BPU, target=18)
    QuotaTargetFactory(program_year=y2025, worker_type=WorkerType.PU, target=4)
    QuotaTargetFactory(
        program_year=y2025,
        worker_type=WorkerType.BPU,
        segment=first_kecamatan_segment,
        target=9,
    )
    QuotaTargetFactory(
        program_year=y2025,
        worker_type=WorkerType.BPU,
        kecamatan=workers[0].kelurahan.kecamatan,
        target=30,
    )

    def propose(worker, year, day):
        with at(day):
            return services.enrollment_propose(
                worker=worker,
                program_year=year,
                user=staff,
                risk_class="rendah" if worker.worker_type == WorkerType.PU else "",
            )

    def advance_to(enrollment, status, day, start=None):
        steps = [S.VERIFIED, S.SUBMITTED, S.ACTIVE]
        for step in steps[: steps.index(status) + 1]:
            if enrollment.status in (step, S.ACTIVE):
                continue
            with at(day):
                if step == S.VERIFIED:
                    services.enrollment_verify(enrollment=enrollment, user=staff)
                elif step == S.SUBMITTED:
                    approve([enrollment])
                    services.enrollment_submit(enrollment=enrollment, user=staff)
                else:
                    services.enrollment_activate(
                        enrollment=enrollment,
                        kpj_number=next_kpj(),
                        coverage_start=start or enrollment.coverage_start,
                        user=staff,
                    )
            day += datetime.timedelta(days=9)
        return enrollment

    # 2024: most workers become active, verified from January to May.
    e2024 = {}
    for worker in workers[:30]:
        e2024[worker.pk] = propose(worker, y2024, datetime.date(2023, 12, 20))
    for i, worker in enumerate(workers[:30]):
        enrollment = e2024[worker.pk]
        day = datetime.date(2024, 1 + i % 5, 3 + i % 20)
        if i == 29:
            with at(day):
                services.enrollment_reject(enrollment=enrollment, user=staff, reason="data ganda")
        elif i == 28:
            continue  # stays proposed
        elif i == 27:
            advance_to(enrollment, S.VERIFIED, day)
        else:
            advance_to(enrollment, S.ACTIVE, day, start=datetime.date(2024, 1 + i % 5, 1))
    # Terminated mid-year (moved away) and deceased (JKM claim) in 2024.
    with at(datetime.date(2024, 6, 20)):
        services.enrollment_terminate(
            enrollment=e2024[workers[3].pk],
            termination_reason=TerminationReason.MOVED,
            effective_date=datetime.date(2024, 6, 15),
            user=staff,
        )
    with at(datetime.date(2024, 7, 10)):
        claims.claim_record(
            enrollment=e2024[workers[5].pk],
            claim_type=ClaimType.JKM,
            event_date=datetime.date(2024, 7, 2),
            user=staff,
        )
    with at(datetime.date(2024, 12, 28)):
        approve([e2024[workers[27].pk]])
        services.enrollment_submit(enrollment=e2024[workers[27].pk], user=staff)
    with at(datetime.date(2025, 1, 2)):
        services.enrollments_end_expired(program_year=y2024, user=staff)
    for month in (1, 2, 3):
        PremiumInvoiceFactory(
            program_year=y2025,
            month=month,
            amount=1_000_000 * month,
            paid_on=datetime.date(2025, month, 25) if month < 3 else None,
        )

    # 2025: renewal of the ended 2024 participants (the small PU quota stops some), new
    # proposals, a supervisor override past the full BPU quota, a mid-year termination.
    with at(datetime.date(2025, 1, 3)):
        report = renewal.enrollments_renew(from_year=y2024, to_year=y2025, user=staff)
    renewed = list(y2025.enrollments.select_related("worker").order_by("pk"))
    for i, enrollment in enumerate(renewed):
        day = datetime.date(2025, 1 + i % 4, 5 + i % 15)
        try:
            advance_to(enrollment, [S.VERIFIED, S.SUBMITTED, S.ACTIVE][i % 3], day)
        except Exception:  # quota full: left proposed, as staff would
            enrollment.refresh_from_db()
    new = [propose(w, y2025, datetime.date(2025, 2, 1)) for w in workers[30:]]
    overridden = None
    for enrollment in new:
        try:
            advance_to(enrollment, S.ACTIVE, datetime.date(2025, 3, 3))
        except Exception:
            enrollment.refresh_from_db()
            if overridden is None and enrollment.status == S.PROPOSED:
                with at(datetime.date(2025, 3, 10)):
                    services.enrollment_verify(
                        enrollment=enrollment,
                        user=supervisor,
                        override_quota_reason="korban bencana",
                    )
                overridden = enrollment
    active_2025 = [e for e in y2025.enrollments.filter(status=S.ACTIVE).order_by("pk")]
    if active_2025:
        with at(datetime.date(2025, 5, 20)):
            services.enrollment_terminate(
                enrollment=active_2025[0],
                termination_reason=TerminationReason.WITHDREW,
                effective_date=datetime.date(2025, 5, 19),
                user=staff,
            )
    return {
        "y2024": y2024,
        "y2025": y2025,
        "workers": workers,
        "staff": staff,
        "supervisor": supervisor,
        "renewal": report,
        "overridden": overridden,
    }


@pytest.fixture
def program(db):
    return build_program()


@pytest.fixture
def official(db):
    user = UserFactory(username="kepala-dinas", is_staff=False)
    user.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    return user


@pytest.fixture
def official_exact(official):
    """An official who may also see personal data, so sees exact small counts
    (dashboard.privacy): for tests comparing figures with the database."""
    official.user_permissions.add(Permission.objects.get(codename="view_full_nik"))
    return official
