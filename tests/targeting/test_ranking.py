"""The priority list: who is a candidate, how the score is made, and the order of ties."""

import datetime
import hashlib

import pytest
import time_machine

from enrollment.eligibility import enrollment_eligibility
from participants.models import (
    DtksStatus,
    Kelurahan,
    Relationship,
    SchoolLevel,
    Segment,
    Sex,
    Worker,
    WorkerType,
)
from targeting.models import TargetingRule
from targeting.selectors import (
    eligible_candidates,
    explain,
    ranked_candidates,
    rule_for,
    tie_break_key,
)
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.factories import HeirFactory, WorkerFactory, make_nik

pytestmark = pytest.mark.django_db


@pytest.fixture
def year():
    return ProgramYearFactory(year=2024, budget=1_000_000_000)


def only(rule_year, **weights):
    """A rule with every weight 0 except those given."""
    zero = {
        "dtks_registered_points": 0,
        "desil_points": 0,
        "school_age_heir_points": 0,
        "bpu_points": 0,
        "disability_points": 0,
        "waiting_points": 0,
        "waiting_max_periods": 24,
    }
    return TargetingRule(program_year=rule_year, **{**zero, **weights})


def ranked(year, rule, **kwargs):
    return list(ranked_candidates(program_year=year, rule=rule, **kwargs))


def registered(desil=None, **kwargs):
    return WorkerFactory(
        dtks_status=DtksStatus.REGISTERED,
        dtks_desil=desil,
        dtks_checked_on=datetime.date(2023, 12, 1),
        **kwargs,
    )


def test_lower_desil_ranks_higher_and_unchecked_last(year):
    unchecked = WorkerFactory()
    desil_5 = registered(5)
    desil_1 = registered(1)
    no_desil = registered()

    rule = only(year, dtks_registered_points=20, desil_points=5)
    scores = {w.pk: w.score for w in ranked(year, rule)}

    assert scores == {desil_1.pk: 70, desil_5.pk: 50, no_desil.pk: 20, unchecked.pk: 0}
    assert [w.pk for w in ranked(year, rule)] == [desil_1.pk, desil_5.pk, no_desil.pk, unchecked.pk]


def test_school_age_children_count_up_to_two(year):
    three_children = WorkerFactory()
    for _ in range(3):
        HeirFactory(worker=three_children, birth_date=datetime.date(2012, 5, 1))
    one_child = WorkerFactory()
    HeirFactory(worker=one_child, birth_date=datetime.date(2015, 5, 1))
    HeirFactory(worker=one_child, birth_date=datetime.date(1990, 5, 1))  # grown up
    HeirFactory(worker=one_child, relationship=Relationship.SPOUSE, birth_date=None)
    level_only = WorkerFactory()
    HeirFactory(worker=level_only, birth_date=None, school_level=SchoolLevel.SMP)

    rule = only(year, school_age_heir_points=15)
    scores = {w.pk: w.score for w in ranked(year, rule)}

    assert scores == {three_children.pk: 30, one_child.pk: 15, level_only.pk: 15}


def test_bpu_disability_and_waiting_time(year):
    with time_machine.travel(datetime.datetime(2023, 1, 1, 12, tzinfo=datetime.UTC)):
        waited = WorkerFactory(worker_type=WorkerType.PU)  # 379 days by 15-01-2024: 12 periods
    with time_machine.travel(datetime.datetime(2023, 12, 16, 12, tzinfo=datetime.UTC)):
        exactly_30_days = WorkerFactory(worker_type=WorkerType.PU)
    disabled = WorkerFactory(worker_type=WorkerType.PU, has_disability=True)
    bpu = WorkerFactory(worker_type=WorkerType.BPU)

    rule = only(year, bpu_points=10, disability_points=7, waiting_points=1)
    scores = {w.pk: w.score for w in ranked(year, rule)}

    assert scores == {waited.pk: 12, exactly_30_days.pk: 1, disabled.pk: 7, bpu.pk: 10}


def test_waiting_periods_stop_at_the_cap(year):
    with time_machine.travel(datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)):
        old = WorkerFactory()
    rule = only(year, waiting_points=2, waiting_max_periods=6)
    assert ranked(year, rule)[0].pk == old.pk
    assert ranked(year, rule)[0].score == 12


def test_the_explanation_adds_up_to_the_score(year):
    worker = registered(3, has_disability=True)
    HeirFactory(worker=worker, birth_date=datetime.date(2010, 1, 1))
    HeirFactory(worker=worker, birth_date=None, school_level=SchoolLevel.SD)
    with time_machine.travel(datetime.datetime(2023, 3, 1, tzinfo=datetime.UTC)):
        registered(8)
    WorkerFactory(worker_type=WorkerType.PU)
    rule = rule_for(year)  # the documented defaults

    rows = ranked(year, rule)

    assert len(rows) == 3
    for row in rows:
        parts = explain(row, rule)
        assert sum(p.points for p in parts) == row.score
    top = {p.code: (p.count, p.points) for p in explain(rows[0], rule)}
    assert top == {
        "dtks": (1, 20),
        "desil": (8, 40),
        "school_age_heirs": (2, 30),
        "bpu": (1, 10),
        "disability": (1, 10),
        "waiting": (0, 0),
    }


def tied_group(size: int) -> list[Worker]:
    """``size`` workers imported at one instant with equal scores: half from Kartoharjo
    (NIK 357701…), half from Taman (357703…), each half half men and half women."""
    kartoharjo = Kelurahan.objects.get(name="Kartoharjo")
    taman = Kelurahan.objects.get(name="Taman")
    workers = []
    with time_machine.travel(datetime.datetime(2024, 1, 10, 8, tzinfo=datetime.UTC), tick=False):
        for i in range(size):
            kelurahan, region = (kartoharjo, "357701") if i % 2 == 0 else (taman, "357703")
            sex = Sex.MALE if i % 4 < 2 else Sex.FEMALE
            born = datetime.date(1970, 1, 1) + datetime.timedelta(days=i * 53 % 9000)
            nik = make_nik(birth_date=born, sex=sex, serial=i, region=region)
            workers.append(
                WorkerFactory.build(
                    nik=nik,
                    birth_date=born,
                    sex=sex,
                    kelurahan=kelurahan,
                    segment=Segment.objects.get(code="ojol"),
                )
            )
        Worker.objects.bulk_create(workers)
    return list(Worker.objects.all())


def test_a_tied_group_cut_in_two_is_not_ordered_by_kecamatan_or_sex(year):
    """Issue 11: everyone imported from one file shares ``created_at`` and NIK digits encode
    kecamatan and sex, so a cut-off inside a tied group chose 196/196 from Kartoharjo and 7/200
    from Taman. The chosen half of a tied group of 400 must be about balanced."""
    tied_group(400)
    rule = only(year, bpu_points=10)

    chosen = ranked(year, rule)[:200]

    assert len({w.score for w in ranked(year, rule)}) == 1  # really one tied group
    from_kartoharjo = sum(w.kelurahan.name == "Kartoharjo" for w in chosen)
    women = sum(w.sex == Sex.FEMALE for w in chosen)
    # Chance alone gives 100 ± 7 (hypergeometric): 75..125 is more than 3 standard deviations.
    assert 75 <= from_kartoharjo <= 125, from_kartoharjo
    assert 75 <= women <= 125, women
    # Sorting by NIK (the old tie-break) takes every Kartoharjo worker first: the check bites.
    by_nik = sorted(Worker.objects.all(), key=lambda w: w.nik)[:200]
    assert sum(w.kelurahan.name == "Kartoharjo" for w in by_nik) == 200


def test_ties_are_reproducible_and_follow_the_documented_key(year):
    """Same inputs, same order; the order is sha256("<year>:<NIK>") as docs/targeting.md says,
    whatever the database."""
    workers = tied_group(40)
    rule = only(year, bpu_points=10)

    order = [w.nik for w in ranked(year, rule)]

    assert order == [w.nik for w in ranked(year, rule)]
    expected = sorted(workers, key=lambda w: hashlib.sha256(f"2024:{w.nik}".encode()).hexdigest())
    assert order == [w.nik for w in expected]
    assert order == sorted(order, key=lambda nik: tie_break_key(year, nik))
    # Another year's salt reorders the group: one group does not always lose.
    next_year = ProgramYearFactory(year=2025)
    assert [w.nik for w in ranked(next_year, only(next_year, bpu_points=10))] != order


def test_the_batch_records_the_tie_break(year):
    snapshot = rule_for(year).snapshot()
    assert snapshot["tie_break"] == "sha256(tahun:NIK)"
    assert snapshot["tie_break_salt"] == "2024"


def test_only_eligible_workers_not_yet_in_the_year_are_candidates(year):
    fine = WorkerFactory()
    EnrollmentFactory(program_year=year)  # already proposed
    WorkerFactory(death_date=datetime.date(2023, 5, 1))
    WorkerFactory(birth_date=datetime.date(2010, 1, 1))  # 14 years old
    WorkerFactory(birth_date=datetime.date(1958, 1, 1))  # 66
    WorkerFactory(worker_type=WorkerType.BPU, employer_covered=True)
    WorkerFactory(is_active=False, deactivation_reason="Pindah")

    candidates = list(eligible_candidates(year))

    assert candidates == [fine]
    assert ranked(year, only(year), worker_type=WorkerType.PU) == []


def test_the_sql_filter_agrees_with_the_enrollment_eligibility_rule(year):
    for birth in (datetime.date(1959, 1, 1), datetime.date(1958, 12, 31), datetime.date(2006, 1, 1),
                  datetime.date(2006, 1, 2), datetime.date(1990, 6, 6)):  # fmt: skip
        WorkerFactory(birth_date=birth)
    WorkerFactory(worker_type=WorkerType.BPU, employer_covered=True)
    WorkerFactory(worker_type=WorkerType.PU, employer_covered=True)
    WorkerFactory(death_date=datetime.date(2023, 5, 1))

    listed = set(eligible_candidates(year).values_list("pk", flat=True))

    for worker in Worker.objects.all():
        eligible = enrollment_eligibility(worker=worker, program_year=year).is_eligible
        assert (worker.pk in listed) == eligible, worker.birth_date


def test_the_example_in_docs_targeting_md(year):
    with time_machine.travel(datetime.datetime(2023, 10, 12, 9, tzinfo=datetime.UTC)):
        worker = registered(2)
    HeirFactory(worker=worker, birth_date=datetime.date(2012, 1, 1))
    HeirFactory(worker=worker, birth_date=datetime.date(2015, 1, 1))

    (row,) = ranked(year, rule_for(year))

    assert row.score == 20 + 9 * 5 + 2 * 15 + 10 + 0 + 3 * 1 == 108
