"""The priority list page: next year's list without this year's participants until renewal,
compact rows with the details on demand, help inside the page; the batch page's rule table."""

import datetime

import pytest
import time_machine
from django.urls import reverse

from enrollment import renewal
from enrollment.models import EnrollmentStatus
from participants.models import DtksStatus
from targeting.models import ProposalBatch, TargetingRule
from targeting.selectors import awaiting_renewal, ranked_candidates, rule_for
from targeting.services import proposals_from_priority
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance
from tests.factories import UserFactory, WorkerFactory
from tests.targeting.conftest import user_with

pytestmark = pytest.mark.django_db


def in_dtks(desil, **kwargs):
    return WorkerFactory(
        dtks_status=DtksStatus.REGISTERED,
        dtks_desil=desil,
        dtks_checked_on=datetime.date(2023, 12, 1),
        **kwargs,
    )


@pytest.fixture
def years():
    this_year = ProgramYearFactory(year=2024, budget=1_000_000_000)
    next_year = ProgramYearFactory(year=2025, budget=1_000_000_000)
    return this_year, next_year


def participant(year, desil):
    """A worker covered this year (ranked high: in DTKS, low desil)."""
    enrollment = EnrollmentFactory(program_year=year, worker=in_dtks(desil))
    return advance(enrollment, EnrollmentStatus.ACTIVE, user=UserFactory()).worker


def test_next_years_list_leaves_out_this_years_participants_until_renewal(years):
    this_year, next_year = years
    covered = [participant(this_year, 1), participant(this_year, 2)]
    newcomer = in_dtks(8)
    rule = rule_for(next_year)

    assert [w.pk for w in ranked_candidates(program_year=next_year, rule=rule)] == [newcomer.pk]
    pending = awaiting_renewal(next_year)
    assert (pending.previous_year, pending.count) == (this_year, 2)

    # "Propose top N" does not take them as new places either.
    outcome = proposals_from_priority(
        program_year=next_year, worker_type="BPU", count=5, user=UserFactory()
    )
    assert [e.worker_id for e in outcome.proposed] == [newcomer.pk]
    assert all(e.renewed_from is None for e in outcome.proposed)

    # Once renewal has run, the list no longer leaves anyone out for it.
    renewal.enrollments_renew(from_year=this_year, to_year=next_year, user=UserFactory())
    assert awaiting_renewal(next_year) is None
    assert all(w.enrollments.filter(program_year=next_year).exists() for w in covered)


def test_after_renewal_a_participant_it_could_not_renew_is_a_candidate(years):
    this_year, next_year = years
    renewed = participant(this_year, 1)
    left = participant(this_year, 2)
    left.is_active = False  # ineligible at renewal …
    left.deactivation_reason = "Pindah sementara"
    left.save()
    renewal.enrollments_renew(from_year=this_year, to_year=next_year, user=UserFactory())
    left.is_active = True  # … and back afterwards
    left.deactivation_reason = ""
    left.save()

    ranked = [w.pk for w in ranked_candidates(program_year=next_year, rule=rule_for(next_year))]

    assert ranked == [left.pk]
    assert renewed.enrollments.filter(program_year=next_year).exists()


def test_the_page_says_who_is_left_out_and_explains_rows_compactly(client, years):
    this_year, next_year = years
    participant(this_year, 1)
    rule = TargetingRule.objects.create(program_year=next_year)
    with time_machine.travel(datetime.datetime(2023, 10, 12, 9, tzinfo=datetime.UTC)):
        in_dtks(2, full_name="Calon Baru")
    client.force_login(user_with("view_targetingrule", "add_enrollment", "view_programyear"))

    page = client.get(reverse("admin:targeting_targetingrule_priority", args=[rule.pk]))
    html = page.content.decode()

    assert "Calon Baru" in html
    assert "1 peserta 2024 tidak dicantumkan" in html
    assert reverse("admin:enrollment_programyear_changelist") in html
    # One line per row: the parts that earned points, the arithmetic on demand.
    assert "<summary>DTKS +20 · Desil 2 +45 · BPU +10 · 3×30 hari menunggu +3</summary>" in html
    assert "9 × 5 = 45" in html
    # The help is in the page, never a file of the code repository.
    assert 'id="priority-help"' in html
    assert "docs/" not in html
    assert "SHA-256" in html


def test_the_batch_page_shows_the_rule_as_a_labelled_table_in_wib(client, years):
    _this_year, next_year = years
    in_dtks(2)
    user = user_with("view_proposalbatch", "view_targetingrule", "add_enrollment")
    with time_machine.travel(datetime.datetime(2024, 1, 15, 20, 30, tzinfo=datetime.UTC)):
        outcome = proposals_from_priority(
            program_year=next_year, worker_type="BPU", count=1, user=None
        )
    client.force_login(user)

    batch = ProposalBatch.objects.get()
    assert batch == outcome.batch
    assert "16-01-2024 03:30" in str(batch)  # 20:30 UTC is 03:30 WIB the next day
    html = client.get(
        reverse("admin:targeting_proposalbatch_change", args=[batch.pk])
    ).content.decode()

    assert "Poin terdaftar di DTKS/DTSEN" in html
    assert "dtks_registered_points" not in html
    assert "sha256(tahun:NIK)" in html
    assert "16-01-2024 03:30" in html
    assert "None" not in html


def test_a_batch_from_before_the_neutral_tie_break_says_how_its_ties_went():
    from targeting.admin import rule_snapshot_rows

    rows = dict(rule_snapshot_rows({"desil_points": 5}))
    assert rows["Poin per desil di bawah 11"] == "5"
    assert rows["Penentu urutan untuk skor yang sama"].startswith("waktu pendaftaran, lalu NIK")
