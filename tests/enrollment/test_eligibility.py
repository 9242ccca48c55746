"""The year's eligibility requirements per worker type and the DTKS check warnings: one rule
(``enrollment_eligibility``) that proposal, verification, renewal and the priority list apply."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from enrollment import renewal, services
from enrollment.eligibility import enrollment_eligibility
from enrollment.models import EligibilityRequirement, EnrollmentStatus
from participants.models import DtksStatus, Segment, WorkerType
from targeting.selectors import eligible_candidates, ranked_candidates, rule_for
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance
from tests.factories import HeirFactory, WorkerFactory

pytestmark = pytest.mark.django_db


def in_dtks(desil=None, **kwargs):
    return WorkerFactory(
        dtks_status=DtksStatus.REGISTERED,
        dtks_desil=desil,
        dtks_checked_on=datetime.date(2023, 9, 1),
        **kwargs,
    )


def codes(result):
    return {f.code for f in result.errors}


def fresh(year):
    """The year as a new request would load it (requirements are read once per instance)."""
    year.refresh_from_db()
    year.__dict__.pop("_eligibility_requirements", None)
    return year


# --- DTKS check warnings -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "checked_on", "expected"),
    [
        (DtksStatus.UNCHECKED, None, ["dtks_unchecked"]),
        (DtksStatus.REGISTERED, datetime.date(2023, 1, 14), ["dtks_stale"]),  # 12 months + 1 day
        (DtksStatus.NOT_REGISTERED, datetime.date(2023, 1, 15), []),  # exactly 12 months
        (DtksStatus.REGISTERED, datetime.date(2024, 1, 10), []),
    ],
)
def test_a_missing_or_old_dtks_check_warns_but_does_not_refuse(year, status, checked_on, expected):
    worker = HeirFactory(
        worker=WorkerFactory(dtks_status=status, dtks_checked_on=checked_on)
    ).worker

    result = enrollment_eligibility(worker=worker, program_year=year)

    assert result.is_eligible
    assert [w.code for w in result.warnings] == expected
    if expected == ["dtks_stale"]:
        assert "14-01-2023" in str(result.warnings[0])


# --- requirements ------------------------------------------------------------------------------


def test_dtks_and_highest_desil_required_for_bpu_only(year):
    EligibilityRequirement.objects.create(
        program_year=year, worker_type=WorkerType.BPU, dtks_required=True, max_desil=5
    )
    year = fresh(year)
    unchecked = WorkerFactory()
    not_in = WorkerFactory(
        dtks_status=DtksStatus.NOT_REGISTERED, dtks_checked_on=datetime.date(2023, 9, 1)
    )

    assert "dtks_required" in codes(enrollment_eligibility(worker=unchecked, program_year=year))
    assert "dtks_required" in codes(enrollment_eligibility(worker=not_in, program_year=year))
    assert "desil_unknown" in codes(enrollment_eligibility(worker=in_dtks(), program_year=year))
    assert "desil_too_high" in codes(enrollment_eligibility(worker=in_dtks(6), program_year=year))
    assert enrollment_eligibility(worker=in_dtks(5), program_year=year).is_eligible
    pu = WorkerFactory(worker_type=WorkerType.PU)  # no requirement for PU this year
    assert enrollment_eligibility(worker=pu, program_year=year).is_eligible


def test_income_ceiling_and_accepted_segments(year):
    requirement = EligibilityRequirement.objects.create(
        program_year=year, worker_type=WorkerType.BPU, income_ceiling=1_000_000
    )
    pkl = Segment.objects.exclude(code="ojol").first()
    requirement.segments.add(pkl)
    year = fresh(year)

    at_ceiling = WorkerFactory(monthly_income=1_000_000, segment=pkl)
    above = WorkerFactory(monthly_income=1_000_001, segment=pkl)
    other_segment = WorkerFactory(monthly_income=500_000)  # ojol

    assert enrollment_eligibility(worker=at_ceiling, program_year=year).is_eligible
    result = enrollment_eligibility(worker=above, program_year=year)
    assert codes(result) == {"income_above_ceiling"}
    assert "Rp 1.000.000" in str(result.errors[0]) and "Rp 1.000.001" in str(result.errors[0])
    assert codes(enrollment_eligibility(worker=other_segment, program_year=year)) == {
        "segment_not_accepted"
    }
    unknown = WorkerFactory(segment=pkl)
    unknown.monthly_income = None  # "not known" once the registry keeps it so
    assert codes(enrollment_eligibility(worker=unknown, program_year=year)) == {"income_unknown"}


def test_a_desil_needs_dtks_required(year):
    with pytest.raises(ValidationError) as caught:
        EligibilityRequirement(
            program_year=year, worker_type=WorkerType.BPU, max_desil=4
        ).full_clean()
    assert "max_desil" in caught.value.message_dict


def test_propose_verify_and_renew_apply_the_requirement(year, staff):
    worker = WorkerFactory(monthly_income=2_000_000)
    proposed = EnrollmentFactory(program_year=year)
    EligibilityRequirement.objects.create(
        program_year=year, worker_type=WorkerType.BPU, income_ceiling=1_000_000
    )

    with pytest.raises(ValidationError) as caught:
        services.enrollment_propose(worker=worker, program_year=fresh(year), user=staff)
    assert "income_above_ceiling" in {e.code for e in caught.value.error_list}

    proposed.worker.monthly_income = 1_500_000
    proposed.worker.save()
    with pytest.raises(ValidationError) as caught:
        services.enrollment_verify(enrollment=proposed, user=staff)
    assert "income_above_ceiling" in {e.code for e in caught.value.error_list}

    next_year = ProgramYearFactory(year=2025)
    EligibilityRequirement.objects.create(
        program_year=next_year, worker_type=WorkerType.BPU, dtks_required=True
    )
    active = advance(EnrollmentFactory(program_year=year), EnrollmentStatus.ACTIVE, user=staff)
    report = renewal.enrollments_renew(from_year=year, to_year=next_year, user=staff, dry_run=True)
    assert [r.worker_id for r in report.not_renewed] == [active.worker.pk]
    assert "DTKS" in report.not_renewed[0].reason


def test_the_priority_list_applies_the_requirement_like_the_rule(year):
    requirement = EligibilityRequirement.objects.create(
        program_year=year, worker_type=WorkerType.BPU, dtks_required=True, max_desil=4,
        income_ceiling=1_000_000,
    )  # fmt: skip
    pkl = Segment.objects.exclude(code="ojol").first()
    requirement.segments.add(pkl)
    EligibilityRequirement.objects.create(
        program_year=year, worker_type=WorkerType.PU, income_ceiling=3_000_000
    )
    year = fresh(year)
    workers = [
        in_dtks(4, monthly_income=1_000_000, segment=pkl),  # passes
        in_dtks(5, monthly_income=900_000, segment=pkl),
        in_dtks(None, monthly_income=900_000, segment=pkl),
        in_dtks(2, monthly_income=1_100_000, segment=pkl),
        in_dtks(2, monthly_income=900_000),  # ojol
        WorkerFactory(monthly_income=900_000, segment=pkl),  # not checked
        WorkerFactory(worker_type=WorkerType.PU, monthly_income=3_000_000),  # passes
        WorkerFactory(worker_type=WorkerType.PU, monthly_income=3_000_001),
    ]

    listed = set(eligible_candidates(year).values_list("pk", flat=True))

    for worker in workers:
        eligible = enrollment_eligibility(worker=worker, program_year=year).is_eligible
        assert (worker.pk in listed) == eligible, worker
    assert listed == {workers[0].pk, workers[6].pk}
    ranked = ranked_candidates(program_year=year, rule=rule_for(year))
    assert {w.pk for w in ranked} == listed


def form_data(response) -> dict:
    """The POST a browser would send back for an admin change page, inlines included."""
    data = {}

    def put(bound):
        value = bound.value()
        if value is None or value is False:
            return
        if isinstance(value, (list, tuple)):
            data[bound.html_name] = [str(v) for v in value]
        elif isinstance(value, datetime.date):
            data[bound.html_name] = value.isoformat()
        else:
            data[bound.html_name] = "on" if value is True else str(value)

    for bound in response.context["adminform"].form:
        put(bound)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for bound in formset.management_form:
            put(bound)
        for form in formset.forms:
            for bound in form:
                put(bound)
    return data


def test_administrators_set_requirements_on_the_year_page(admin_client, year):
    url = reverse("admin:enrollment_programyear_change", args=[year.pk])
    data = form_data(admin_client.get(url))
    pkl = Segment.objects.exclude(code="ojol").first()
    data.update(
        {
            "eligibility_requirements-TOTAL_FORMS": "1",
            "eligibility_requirements-0-worker_type": "BPU",
            "eligibility_requirements-0-dtks_required": "on",
            "eligibility_requirements-0-max_desil": "5",
            "eligibility_requirements-0-income_ceiling": "1000000",
            "eligibility_requirements-0-segments": [str(pkl.pk)],
            "eligibility_requirements-0-legal_basis": "Kriteria BPU Disnaker, November 2024",
        }
    )

    response = admin_client.post(url, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    requirement = EligibilityRequirement.objects.get(program_year=year)
    assert (requirement.worker_type, requirement.dtks_required, requirement.max_desil) == (
        "BPU",
        True,
        5,
    )
    assert list(requirement.segments.all()) == [pkl]
    # Audited, the accepted segments included.
    assert [s.segment_id for s in requirement.history.latest().segments.all()] == [pkl.pk]

    data["eligibility_requirements-0-dtks_required"] = ""  # a desil without DTKS: refused
    data["eligibility_requirements-INITIAL_FORMS"] = "1"
    data["eligibility_requirements-0-id"] = str(requirement.pk)
    data["eligibility_requirements-0-program_year"] = str(year.pk)
    del data["eligibility_requirements-0-dtks_required"]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    requirement.refresh_from_db()
    assert requirement.dtks_required


def test_proposing_on_the_admin_form_shows_the_dtks_warning(admin_client, year):
    worker = HeirFactory().worker  # heirs recorded, never checked against DTKS
    response = admin_client.post(
        reverse("admin:enrollment_enrollment_add"),
        {"worker": worker.pk, "program_year": year.pk, "reason": "usulan RT"},
        follow=True,
    )
    assert worker.enrollments.get().status == EnrollmentStatus.PROPOSED  # warned, not refused
    shown = [str(m) for m in response.context["messages"]]
    assert any("belum dicek di DTKS/DTSEN" in m for m in shown), shown
