"""Figures for officials: DTKS coverage by result and desil, school-age heirs, per area.

School age is taken on 1 July of the program year, as on the dashboard."""

import datetime
from decimal import Decimal

import pytest

from dashboard.selectors import dashboard_figures
from enrollment.services import enrollment_verify
from participants.models import DtksStatus, Kelurahan
from targeting.selectors import targeting_figures
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.factories import HeirFactory, WorkerFactory

pytestmark = pytest.mark.django_db


def participant(year, **worker):
    enrollment = EnrollmentFactory(program_year=year, worker=WorkerFactory(**worker))
    enrollment_verify(enrollment=enrollment, user=None)
    return enrollment.worker


def checked(status, desil=None):
    return {
        "dtks_status": status,
        "dtks_desil": desil,
        "dtks_checked_on": datetime.date(2023, 9, 1),
    }


@pytest.fixture
def year():
    return ProgramYearFactory(year=2024)


def test_shares_per_year_city_wide(year):
    with_child = participant(year, **checked(DtksStatus.REGISTERED, 1))
    HeirFactory(worker=with_child, birth_date=datetime.date(2012, 1, 1))
    participant(year, **checked(DtksStatus.REGISTERED, 1))
    participant(year, **checked(DtksStatus.NOT_REGISTERED))
    participant(year)
    EnrollmentFactory(program_year=year, worker=WorkerFactory(**checked(DtksStatus.REGISTERED)))
    WorkerFactory()  # not a participant

    (city,) = targeting_figures(program_year=year)

    assert (city.participants, city.checked, city.registered, city.not_registered) == (4, 3, 2, 1)
    assert city.unchecked == 1
    assert city.by_desil[1] == 2 and sum(city.by_desil.values()) == 2
    assert city.checked_share == Decimal("75.0")
    assert city.with_school_age_heirs == 1
    assert city.school_age_heirs_share == Decimal("25.0")


def test_per_kecamatan_and_kelurahan(year):
    taman = Kelurahan.objects.get(name="Taman")
    participant(year, kelurahan=taman, **checked(DtksStatus.REGISTERED, 4))
    participant(year)
    participant(year)

    by_kecamatan = {row.area: row for row in targeting_figures(program_year=year, by="kecamatan")}
    by_kelurahan = {row.area: row for row in targeting_figures(program_year=year, by="kelurahan")}

    assert by_kecamatan["Taman"].registered_share == Decimal("100.0")
    assert by_kecamatan["Kartoharjo"].checked_share == Decimal("0.0")
    assert by_kelurahan["Taman"].by_desil[4] == 1
    assert set(by_kelurahan) == {"Taman", "Kartoharjo"}


def test_figures_are_the_dashboards(year):
    taman = Kelurahan.objects.get(name="Taman")
    participant(year, kelurahan=taman, **checked(DtksStatus.NOT_REGISTERED))
    participant(year)

    (city,) = targeting_figures(program_year=year)
    dashboard = dashboard_figures(year).targeting

    assert (city.area, city.participants, city.checked) == ("Kota Madiun", 2, 1)
    assert (city.checked, city.by_desil) == (dashboard.total.checked, dashboard.total.by_desil)
    with pytest.raises(ValueError, match="area"):
        targeting_figures(program_year=year, by="rt")
