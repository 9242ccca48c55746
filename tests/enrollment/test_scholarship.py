"""The JKM scholarship follow-up (PP 82/2019, ../shared/DOMAIN.md): at most two children, 36
months of contributions for a death other than a work accident, the death within cover,
children under school age as future recipients, amounts per level, a reason per exclusion."""

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.urls import reverse

from enrollment import claims, services
from enrollment.models import ClaimType, EnrollmentStatus, ProgramYear
from enrollment.scholarship import (
    EXCLUDED,
    FUTURE,
    RECIPIENT,
    covered_months,
    scholarship_cases,
)
from participants.models import Relationship, SchoolLevel
from participants.services import worker_update
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance
from tests.factories import HeirFactory, UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2024, 1, 15)


def covered(worker, *years):
    """Cover ``worker`` in each of ``years`` through the real services, each run in its time."""
    enrollments = []
    rates_from = ProgramYear.objects.get(year=2024)
    for year in years:
        with time_machine.travel(datetime.datetime(year - 1, 12, 20, 9, tzinfo=datetime.UTC)):
            program_year = ProgramYearFactory(year=year)
            if not program_year.rates.exists():
                services.program_year_copy_rates(program_year=program_year, source=rates_from)
            enrollment = EnrollmentFactory(program_year=program_year, worker=worker)
            advance(enrollment, EnrollmentStatus.ACTIVE)
        enrollments.append(enrollment)
    return enrollments


def die(enrollment, *, day=datetime.date(2024, 1, 5), claim_type=ClaimType.JKM):
    claims.claim_record(
        enrollment=enrollment, claim_type=claim_type, event_date=day, fatal=True, user=None
    )


def child(worker, name, born=None, level=""):
    return HeirFactory(
        worker=worker,
        name=name,
        relationship=Relationship.CHILD,
        birth_date=born,
        school_level=level,
    )


def outcomes(case):
    return {c.heir.name: (c.status, c.per_year) for c in case.children}


def reasons(case):
    return {c.heir.name: (c.code, c.reason) for c in case.children if c.status == EXCLUDED}


def test_after_three_years_two_eldest_children_receive_and_the_third_is_refused_with_why():
    worker = WorkerFactory()
    *_, current = covered(worker, 2021, 2022, 2023, 2024)
    child(worker, "Sulung", datetime.date(2007, 3, 1), SchoolLevel.SMA)
    child(worker, "Tengah", datetime.date(2013, 6, 1), SchoolLevel.SD)
    child(worker, "Bungsu", datetime.date(2016, 6, 1), SchoolLevel.SD)
    HeirFactory(worker=worker, name="Istri", relationship=Relationship.SPOUSE)
    die(current)

    [case] = scholarship_cases(TODAY)

    assert case.entitled and case.months == 37 and case.covering == current
    assert outcomes(case) == {
        "Sulung": (RECIPIENT, 3_000_000),
        "Tengah": (RECIPIENT, 1_500_000),
        "Bungsu": (EXCLUDED, None),
    }
    assert reasons(case) == {
        "Bungsu": (
            "beyond_max_children",
            "Beasiswa dibayarkan untuk paling banyak 2 anak (yang tertua).",
        )
    }
    assert [h.name for h in case.other_heirs] == ["Istri"]


def test_children_under_school_age_are_future_recipients_and_the_over_23_are_not():
    worker = WorkerFactory()
    current = covered(worker, 2024)[0]
    child(worker, "Dewasa", datetime.date(2000, 1, 1), SchoolLevel.UNIVERSITY)  # 24
    child(worker, "Putus", datetime.date(2010, 1, 1), SchoolLevel.NONE)
    child(worker, "Balita", datetime.date(2022, 5, 1))  # 1 year old, no level yet
    child(worker, "Belum", None, SchoolLevel.NOT_YET)
    child(worker, "Tanpa Data")
    die(current, claim_type=ClaimType.JKK)  # a work-accident death qualifies at once

    [case] = scholarship_cases(TODAY)

    assert case.entitled and case.months == 1
    assert outcomes(case) == {
        "Dewasa": (EXCLUDED, None),
        "Putus": (EXCLUDED, None),
        "Balita": (FUTURE, 1_500_000),  # paid from TK
        "Belum": (FUTURE, 1_500_000),
        "Tanpa Data": (EXCLUDED, None),
    }
    why = reasons(case)
    assert why["Dewasa"] == ("over_age", "Berusia 24: beasiswa berakhir pada usia 23.")
    assert why["Putus"][0] == "not_in_school"
    assert why["Tanpa Data"][0] == "incomplete"


def test_a_jkm_death_before_three_years_of_contributions_entitles_no_child():
    worker = WorkerFactory()
    *_, current = covered(worker, 2022, 2023, 2024)
    child(worker, "Anak", datetime.date(2014, 1, 1), SchoolLevel.SD)
    die(current)  # JKM: 25 months of cover, 36 needed

    [case] = scholarship_cases(TODAY)

    assert (case.months, case.entitled) == (25, False)
    assert case.failure_code == "contributions_short"
    assert "iuran 36 bulan" in case.failure and "25 bulan" in case.failure
    assert outcomes(case) == {"Anak": (EXCLUDED, None)}
    assert reasons(case) == {"Anak": ("contributions_short", case.failure)}


def test_a_death_outside_cover_entitles_no_child(staff):
    worker = WorkerFactory()
    covered(worker, 2021, 2022, 2023)  # cover ended on 31-12-2023
    child(worker, "Anak", datetime.date(2014, 1, 1), SchoolLevel.SD)
    worker_update(worker=worker, user=staff, data={"death_date": datetime.date(2024, 1, 5)})

    [case] = scholarship_cases(TODAY)

    assert case.covering is None and case.months == 36
    assert case.failure_code == "outside_cover"
    assert "di luar masa perlindungan" in case.failure
    assert reasons(case) == {"Anak": ("outside_cover", case.failure)}


def test_months_are_calendar_months_touched_each_counted_once():
    class Cover:
        def __init__(self, start, end):
            self.coverage_start, self.coverage_end = start, end

    d = datetime.date
    assert covered_months([Cover(d(2024, 3, 15), d(2024, 12, 31))], d(2024, 5, 10)) == 3
    assert covered_months([Cover(d(2024, 1, 31), d(2024, 12, 31))], d(2024, 2, 1)) == 2
    overlapping = [Cover(d(2023, 1, 1), d(2023, 12, 31)), Cover(d(2023, 12, 1), d(2024, 6, 30))]
    assert covered_months(overlapping, d(2024, 6, 30)) == 18


def test_the_page_shows_amounts_statuses_and_reasons_with_masked_niks(client):
    worker = WorkerFactory(full_name="Almarhum Budi")
    current = covered(worker, 2024)[0]
    child(worker, "Sekar", None, SchoolLevel.TK)
    child(worker, "Balita", datetime.date(2022, 5, 1))
    die(current, claim_type=ClaimType.JKK)
    user = UserFactory(username="klaim")
    user.user_permissions.add(Permission.objects.get(codename="view_claim"))
    client.force_login(user)

    html = client.get(reverse("admin:enrollment_claim_scholarship")).content.decode()

    assert "Almarhum Budi" in html
    assert worker.nik not in html  # masked without view_full_nik
    assert "Sekar" in html and "TK/PAUD" in html
    assert "Rp 1.500.000" in html and "Rp 12.000.000" in html  # the level table
    assert "Rp 87.000.000" in html  # all levels for one child
    assert "Penerima mendatang (belum sekolah)" in html
    assert "None" not in html
