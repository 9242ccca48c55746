import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from participants.models import DtksStatus, Heir, Relationship, SchoolLevel, Worker, years_between
from participants.services import worker_create, worker_update
from tests.factories import HeirFactory, UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db


def test_duplicate_nik_is_refused_by_the_database():
    worker = WorkerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Worker.objects.bulk_create([WorkerFactory.build(nik=worker.nik)])


def test_duplicate_nik_is_refused_by_validation_with_a_message():
    worker = WorkerFactory()
    with pytest.raises(ValidationError) as exc:
        WorkerFactory.build(nik=worker.nik).full_clean()
    assert "nik" in exc.value.message_dict


@pytest.mark.parametrize("nik", ["123", "35770101019000ab", " 357701010190001"])
def test_database_refuses_a_nik_that_is_not_sixteen_digits(nik):
    with pytest.raises(IntegrityError), transaction.atomic():
        Worker.objects.bulk_create([WorkerFactory.build(nik=nik)])


def test_database_refuses_negative_income_and_an_impossible_desil():
    with pytest.raises(IntegrityError), transaction.atomic():
        Worker.objects.bulk_create([WorkerFactory.build(monthly_income=-1)])
    with pytest.raises(IntegrityError), transaction.atomic():
        Worker.objects.bulk_create([WorkerFactory.build(dtks_desil=11)])


def test_database_refuses_a_death_before_birth():
    with pytest.raises(IntegrityError), transaction.atomic():
        Worker.objects.bulk_create(
            [
                WorkerFactory.build(
                    birth_date=datetime.date(1990, 1, 1), death_date=datetime.date(1980, 1, 1)
                )
            ]
        )


def test_create_normalises_the_phone_and_records_the_author():
    staff = UserFactory()
    data = {
        k: v
        for k, v in WorkerFactory.build(phone="0812-3456-7890").__dict__.items()
        if not k.startswith("_")
    }
    data.pop("id")
    worker = worker_create(user=staff, **data)
    assert worker.phone == "+6281234567890"
    assert worker.created_by == staff and worker.updated_by == staff


def test_update_reports_only_what_changed_and_refuses_bad_values():
    worker = WorkerFactory(full_name="Budi")
    assert worker_update(worker=worker, user=None, data={"full_name": "Budi"}) == []
    assert worker_update(worker=worker, user=None, data={"full_name": "Budi Santoso"}) == [
        "full_name"
    ]
    with pytest.raises(ValidationError):
        worker_update(worker=worker, user=None, data={"full_name": "=cmd()"})


def test_dtks_desil_only_for_workers_in_dtks_and_checks_need_a_date():
    worker = WorkerFactory.build(dtks_status=DtksStatus.NOT_REGISTERED, dtks_desil=3)
    with pytest.raises(ValidationError) as exc:
        worker.full_clean()
    assert set(exc.value.message_dict) >= {"dtks_desil", "dtks_checked_on"}


def test_a_dead_worker_is_kept_and_filtered_as_deceased():
    alive = WorkerFactory()
    dead = WorkerFactory(death_date=datetime.date(2024, 5, 1))
    assert list(Worker.objects.alive(datetime.date(2024, 6, 1))) == [alive]
    assert set(Worker.objects.all()) == {alive, dead}


def test_warnings_flag_nik_mismatches_and_a_nik_from_outside_the_city():
    worker = WorkerFactory.build(
        nik="3519015203850002", birth_date=datetime.date(1985, 3, 12), sex="L"
    )
    assert [w.code for w in worker.warnings()] == ["nik_sex_mismatch", "nik_outside_city"]


def test_heirs_with_and_without():
    with_heir = HeirFactory().worker
    without = WorkerFactory()
    assert list(Worker.objects.with_heirs()) == [with_heir]
    assert list(Worker.objects.without_heirs()) == [without]


def test_an_heir_nik_is_optional_but_validated_and_unique_per_worker():
    heir = HeirFactory(nik="")
    heir.full_clean()
    heir.nik = "12"
    with pytest.raises(ValidationError):
        heir.full_clean()
    HeirFactory(worker=heir.worker, nik="3577015203100002")
    with pytest.raises(IntegrityError), transaction.atomic():
        HeirFactory(worker=heir.worker, nik="3577015203100002")


@time_machine.travel(datetime.date(2026, 7, 1))
@pytest.mark.parametrize(
    "born,relationship,level,expected",
    [
        (datetime.date(2022, 7, 1), Relationship.CHILD, "", True),  # turns 4 today
        (datetime.date(2022, 7, 2), Relationship.CHILD, "", False),  # 3 until tomorrow
        (datetime.date(2003, 7, 2), Relationship.CHILD, "", True),  # 22, turns 23 tomorrow
        (datetime.date(2003, 7, 1), Relationship.CHILD, "", False),  # 23 today
        (datetime.date(2012, 1, 1), Relationship.SPOUSE, "", False),  # only children count
        (None, Relationship.CHILD, SchoolLevel.SMP, True),  # no birth date: level decides
        (None, Relationship.CHILD, SchoolLevel.TK, True),  # the scholarship starts at TK
        (None, Relationship.CHILD, SchoolLevel.NOT_YET, False),
        (None, Relationship.CHILD, SchoolLevel.NONE, False),
    ],
)
def test_school_age_follows_the_jkm_scholarship_rule(born, relationship, level, expected):
    heir = HeirFactory(birth_date=born, relationship=relationship, school_level=level)
    today = datetime.date(2026, 7, 1)
    assert heir.is_school_age_on(today) is expected
    assert Heir.objects.school_age_on(today).filter(pk=heir.pk).exists() is expected


class SchoolAgeSqlMatchesPython(HypothesisTestCase):
    @settings(max_examples=40, deadline=None)
    @given(
        born=st.dates(datetime.date(1995, 1, 1), datetime.date(2026, 12, 31)),
        on=st.dates(datetime.date(2020, 1, 1), datetime.date(2030, 12, 31)),
    )
    def test_the_queryset_and_the_method_agree(self, born, on):
        heir = HeirFactory(birth_date=born)
        in_sql = Heir.objects.school_age_on(on).filter(pk=heir.pk).exists()
        assert in_sql is heir.is_school_age_on(on)
        assert heir.age_on(on) == years_between(born, on)
