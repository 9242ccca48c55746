"""Money at the edges (issue 11): months touched, exact premiums rounded once on the invoice
total, the real coverage start for price and age, termination before the start, PU wage base
and risk class."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from openpyxl import load_workbook

from enrollment import bpjs, selectors, services
from enrollment.limits import enrollment_price, year_committed
from enrollment.models import (
    Enrollment,
    EnrollmentStatus,
    PremiumInvoice,
    ProgramYearStatus,
    TerminationReason,
    WageBase,
)
from enrollment.premiums import (
    MICRO,
    default_coverage_start,
    invoice_total,
    monthly_premium,
    months_in_year,
    rate_for,
    round_rupiah,
    wage_base_sen,
)
from participants.models import Segment, WorkerType
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance, next_kpj
from tests.factories import UserFactory, WorkerFactory

D = datetime.date
UMK_2023 = Decimal("2190216.37")  # UMK Kota Madiun 2023 (DOMAIN.md)
PU_VERY_LOW_EXACT = 11_827_168_398  # 0,54 % × Rp 2.190.216,37 = Rp 11.827,168398


def on(day: datetime.date):
    return time_machine.travel(
        datetime.datetime(day.year, day.month, day.day, 9, tzinfo=datetime.UTC), tick=False
    )


def inline_management(client, url) -> dict:
    """The inline formsets' management fields of an admin change page, as a browser posts."""
    data = {}
    for inline in client.get(url).context["inline_admin_formsets"]:
        for field in inline.formset.management_form:
            data[field.html_name] = field.value() if field.value() is not None else ""
    return data


def umk_year(**kwargs):
    defaults = {"year": 2024, "pu_wage_base": WageBase.UMK, "umk": UMK_2023}
    return ProgramYearFactory(**{**defaults, **kwargs})


# --- months: calendar months touched, not elapsed -----------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        (D(2024, 3, 15), D(2024, 5, 10), 3),  # elapsed: 1 month 26 days; touched: Mar-May
        (D(2024, 1, 31), D(2024, 2, 1), 2),  # two days, two months
        (D(2024, 3, 15), D(2024, 4, 14), 2),  # exactly one elapsed month touches two
        (D(2024, 3, 1), D(2024, 3, 31), 1),
        (D(2024, 3, 31), D(2024, 3, 31), 1),  # a single day is a month
        (D(2024, 2, 29), D(2024, 3, 1), 2),  # leap day
        (D(2024, 12, 31), D(2025, 1, 1), 1),  # only December belongs to 2024
        (D(2023, 12, 30), D(2024, 1, 2), 1),  # only January belongs to 2024
        (D(2024, 1, 1), D(2024, 12, 31), 12),
        (D(2024, 6, 1), D(2024, 5, 31), 0),  # never started
    ],
)
def test_months_are_calendar_months_touched(start, end, months):
    assert months_in_year(start, end, 2024) == months


# --- exact premium, rounded once --------------------------------------------------------------


@pytest.mark.django_db
def test_pu_premium_on_the_umk_is_exact_to_a_millionth_of_a_rupiah():
    year = umk_year()
    rate = rate_for(program_year=year, worker_type=WorkerType.PU, risk_class="sangat_rendah")
    wage = wage_base_sen(program_year=year, declared_wage=0)
    assert wage == 219_021_637
    assert monthly_premium(rate=rate, wage_sen=wage) == PU_VERY_LOW_EXACT


def test_7750_people_at_rp_11827_168_are_billed_rp_91660555():
    # DOMAIN.md: 7,750 PU at 0,54 % × UMK; BPJS rounds the invoice total, not each person.
    assert invoice_total([PU_VERY_LOW_EXACT] * 7_750) == 91_660_555
    # Rounding each person first would expect Rp 1.305 less than BPJS bills.
    assert 7_750 * round_rupiah(PU_VERY_LOW_EXACT) == 91_659_250
    # A year of it: Rp 1.099.926.661,01 -> Rp 1.099.926.661.
    assert invoice_total([PU_VERY_LOW_EXACT * 12] * 7_750) == 1_099_926_661


@pytest.mark.parametrize(
    ("amounts", "total"),
    [
        ([6_646_500_000], 6_647),  # Rp 6.646,5: half rounds up
        ([6_646_500_000] * 2, 13_293),  # two halves make a whole rupiah, no double rounding
        ([6_646_499_999], 6_646),
        ([6_646_446_000, 6_646_446_000], 13_293),  # 13.292,892 (per person: 13.292)
        ([], 0),
    ],
)
def test_invoice_total_rounds_the_exact_sum_half_up(amounts, total):
    assert invoice_total(amounts) == total


@pytest.mark.django_db
def test_components_are_not_rounded_apart_any_more():
    year = ProgramYearFactory(year=2024)  # declared wages (the migration's base for 2024)
    rate = rate_for(program_year=year, worker_type=WorkerType.PU, risk_class="sangat_rendah")
    wage = wage_base_sen(program_year=year, declared_wage=2_215_482)
    # 0,24 % = 5.317,1568 and 0,30 % = 6.646,446: rounded apart 5.317 + 6.646 = 11.963;
    # BPJS's 0,54 % × wage = 11.963,6028, which is Rp 11.964 on a one-person bill.
    assert monthly_premium(rate=rate, wage_sen=wage) == 11_963_602_800
    assert invoice_total([monthly_premium(rate=rate, wage_sen=wage)]) == 11_964


@pytest.mark.django_db
def test_7750_umk_participants_reconcile_with_bpjs_to_the_rupiah():
    year = umk_year(budget=2_000_000_000)
    workers = WorkerFactory.create_batch(7_750, worker_type=WorkerType.PU, monthly_income=0)
    probe = Enrollment(
        program_year=year,
        worker_type=WorkerType.PU,
        risk_class="sangat_rendah",
        coverage_start=D(2024, 1, 1),
        coverage_end=D(2024, 12, 31),
    )
    monthly, cost = enrollment_price(probe, year)  # what verification freezes
    assert (monthly, cost) == (PU_VERY_LOW_EXACT, PU_VERY_LOW_EXACT * 12)
    rows = []
    for worker in workers:
        enrollment = Enrollment(
            worker=worker,
            program_year=year,
            worker_type=WorkerType.PU,
            risk_class="sangat_rendah",
            status=EnrollmentStatus.ACTIVE,
            kpj_number=next_kpj(),
            coverage_start=D(2024, 1, 1),
            coverage_end=D(2024, 12, 31),
        )
        enrollment.set_price(monthly_micro=monthly, cost_micro=cost)
        enrollment.take_worker_place(worker)
        rows.append(enrollment)
    Enrollment.objects.bulk_create(rows)
    assert rows[0].monthly_premium == 11_827  # the rounded figure, for display only
    assert rows[0].committed_amount == 141_926  # 141.926,020776

    # The year's commitment: the exact sum rounded once, not 7,750 × Rp 141.926.
    assert year_committed(year) == 1_099_926_661
    assert selectors.year_figures(year).committed == 1_099_926_661

    invoice = PremiumInvoice.objects.create(
        program_year=year, month=3, participants_billed=7_750, amount=91_660_555
    )
    result = selectors.invoice_reconciliation(invoice)
    assert (result.covered_count, result.expected_amount) == (7_750, 91_660_555)
    assert result.amount_difference == 0
    invoice.amount = 91_659_250  # a bill rounded per person would be Rp 1.305 short
    assert selectors.invoice_reconciliation(invoice).amount_difference == -1_305


@pytest.mark.django_db
def test_reconciliation_page_shows_billed_and_expected_totals(admin_client, staff):
    year = umk_year()
    enrollment = EnrollmentFactory(
        program_year=year,
        worker=WorkerFactory(worker_type=WorkerType.PU),
        risk_class="sangat_rendah",
    )
    advance(enrollment, EnrollmentStatus.ACTIVE, user=staff)
    invoice = PremiumInvoice.objects.create(
        program_year=year, month=2, participants_billed=1, amount=11_828
    )
    url = reverse("admin:enrollment_premiuminvoice_reconciliation", args=[invoice.pk])
    page = admin_client.get(url).content.decode()
    assert "Rp 11.827" in page  # 11.827,168 rounds to 11.827 on a one-person bill
    assert "Rp 1 lebih" in page or "Rp 1 more" in page


@pytest.mark.django_db
def test_the_budget_check_uses_the_exact_cost(staff):
    # A year of one PU at the UMK costs Rp 141.926,020776: a budget of Rp 141.926 is short.
    year = umk_year(budget=141_926)
    enrollment = EnrollmentFactory(
        program_year=year,
        worker=WorkerFactory(worker_type=WorkerType.PU),
        risk_class="sangat_rendah",
    )
    with pytest.raises(ValidationError) as exc:
        services.enrollment_verify(enrollment=enrollment, user=staff)
    assert exc.value.code == "budget_exceeded"
    year.budget = 141_927
    year.save()
    services.enrollment_verify(enrollment=enrollment, user=staff)
    assert enrollment.committed_micro == PU_VERY_LOW_EXACT * 12
    assert enrollment.monthly_premium_micro == PU_VERY_LOW_EXACT


@pytest.mark.django_db
def test_a_year_on_the_umk_needs_its_umk(staff):
    year = umk_year(umk=Decimal(0))
    enrollment = EnrollmentFactory(
        program_year=year, worker=WorkerFactory(worker_type=WorkerType.PU), risk_class="rendah"
    )
    with pytest.raises(ValidationError) as exc:
        services.enrollment_verify(enrollment=enrollment, user=staff)
    assert exc.value.code == "umk_missing"
    assert "UMK" in exc.value.messages[0]
    year.status = ProgramYearStatus.RUNNING
    with pytest.raises(ValidationError) as exc:
        year.full_clean()
    assert "umk" in exc.value.error_dict


@pytest.mark.django_db
def test_on_the_umk_a_pu_worker_needs_no_declared_wage_but_on_declared_wages_does(staff):
    worker = WorkerFactory(worker_type=WorkerType.PU, monthly_income=0)
    year = ProgramYearFactory(year=2024, pu_wage_base=WageBase.DECLARED)
    enrollment = EnrollmentFactory(program_year=year, worker=worker, risk_class="rendah")
    with pytest.raises(ValidationError) as exc:
        services.enrollment_verify(enrollment=enrollment, user=staff)
    assert exc.value.code == "wage_missing"
    year.pu_wage_base = WageBase.UMK
    year.umk = UMK_2023
    year.save()
    services.enrollment_verify(enrollment=enrollment, user=staff)
    # 0,54 % JKK (low) + 0,30 % JKM = 0,84 % × 2.190.216,37 = 18.397,817508
    assert enrollment.monthly_premium_micro == 18_397_817_508


# --- the real coverage start ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "start"),
    [
        (D(2023, 12, 15), D(2024, 1, 1)),  # before the year: its start
        (D(2024, 1, 1), D(2024, 1, 1)),  # on the start day: that day
        (D(2024, 1, 2), D(2024, 2, 1)),
        (D(2024, 5, 6), D(2024, 6, 1)),  # the May 2024 expansion
        (D(2024, 5, 31), D(2024, 6, 1)),
        (D(2024, 12, 1), D(2025, 1, 1)),  # after the year's last month starts: too late
    ],
)
@pytest.mark.django_db
def test_default_coverage_start(today, start):
    year = ProgramYearFactory(year=2024)
    assert default_coverage_start(program_year=year, today=today) == start


@pytest.mark.django_db
def test_a_mid_year_proposal_starts_next_month_and_costs_the_months_it_covers(staff):
    year = ProgramYearFactory(year=2024)
    with on(D(2024, 5, 6)):
        enrollment = services.enrollment_propose(
            worker=WorkerFactory(), program_year=year, user=staff
        )
        assert enrollment.coverage_start == D(2024, 6, 1)
        services.enrollment_verify(enrollment=enrollment, user=staff)
    assert enrollment.committed_amount == 7 * 16_800  # June to December
    assert selectors.year_figures(year).committed == 7 * 16_800


@pytest.mark.django_db
def test_a_chosen_start_may_not_lie_in_the_past(staff):
    year = ProgramYearFactory(year=2024)
    with on(D(2024, 5, 6)):
        with pytest.raises(ValidationError) as exc:
            services.enrollment_propose(
                worker=WorkerFactory(),
                program_year=year,
                user=staff,
                coverage_start=D(2024, 5, 5),
            )
        assert exc.value.error_dict["coverage_start"][0].code == "coverage_start_past"
        assert "masa lalu" in exc.value.messages[0]
        assert "05-05-2024" in exc.value.messages[0]
        today = services.enrollment_propose(
            worker=WorkerFactory(), program_year=year, user=staff, coverage_start=D(2024, 5, 6)
        )
    assert today.coverage_start == D(2024, 5, 6)
    assert not Enrollment.objects.exclude(pk=today.pk).exists()


@pytest.mark.django_db
def test_the_add_form_refuses_a_start_in_the_past_with_the_field_named(client, superuser):
    year = ProgramYearFactory(year=2024)
    worker = WorkerFactory()
    with on(D(2024, 5, 6)):
        client.force_login(superuser)
        response = client.post(
            reverse("admin:enrollment_enrollment_add"),
            {
                "worker": worker.pk,
                "program_year": year.pk,
                "coverage_start": "2024-03-01",
                "reason": "",
            },
        )
    assert response.status_code == 200
    assert "coverage_start" in response.context["adminform"].form.errors
    assert not Enrollment.objects.exists()


@pytest.mark.django_db
def test_no_proposal_once_the_years_cover_is_over(staff):
    year = ProgramYearFactory(year=2024)
    with on(D(2024, 12, 2)), pytest.raises(ValidationError) as exc:
        services.enrollment_propose(worker=WorkerFactory(), program_year=year, user=staff)
    assert exc.value.code == "coverage_over"


@pytest.mark.parametrize(
    ("birth", "eligible"),
    [
        (D(1958, 6, 1), False),  # 66 on 1 June 2024, the start of a proposal on 6 May
        (D(1958, 6, 2), True),  # still 65 on 1 June
        (D(2006, 6, 1), True),  # 17 on 6 May, 18 on the start
        (D(2006, 6, 2), False),  # 17 on the start
    ],
)
@pytest.mark.django_db
def test_age_is_judged_on_the_real_start(staff, birth, eligible):
    year = ProgramYearFactory(year=2024)
    worker = WorkerFactory(birth_date=birth)
    with on(D(2024, 5, 6)):
        if eligible:
            enrollment = services.enrollment_propose(worker=worker, program_year=year, user=staff)
            assert enrollment.coverage_start == D(2024, 6, 1)
        else:
            with pytest.raises(ValidationError) as exc:
                services.enrollment_propose(worker=worker, program_year=year, user=staff)
            assert {e.code for e in exc.value.error_list} == {"age_out_of_range"}
            assert "01-06-2024" in exc.value.messages[0]


# --- termination --------------------------------------------------------------------------


def _active_from(year, start: datetime.date, staff) -> Enrollment:
    enrollment = advance(EnrollmentFactory(program_year=year), EnrollmentStatus.SUBMITTED)
    services.enrollment_activate(
        enrollment=enrollment, kpj_number=next_kpj(), coverage_start=start, user=staff
    )
    return enrollment


@pytest.mark.parametrize(
    ("effective", "months", "end"),
    [
        (D(2024, 2, 20), 0, D(2024, 3, 1)),  # before cover began: nothing
        (D(2024, 2, 29), 0, D(2024, 3, 1)),  # the day before
        (D(2024, 3, 1), 1, D(2024, 3, 1)),  # on the first day: that month
        (D(2024, 4, 30), 2, D(2024, 4, 30)),
    ],
)
@pytest.mark.django_db
def test_termination_costs_the_months_covered_and_nothing_before_the_start(
    year, staff, effective, months, end
):
    enrollment = _active_from(year, D(2024, 3, 1), staff)
    assert enrollment.committed_amount == 10 * 16_800
    services.enrollment_terminate(
        enrollment=enrollment,
        termination_reason=TerminationReason.WITHDREW,
        effective_date=effective,
        user=staff,
    )
    assert enrollment.committed_amount == months * 16_800
    assert enrollment.committed_micro == months * 16_800 * MICRO
    assert enrollment.coverage_end == end
    assert selectors.year_figures(year).committed == months * 16_800


# --- PU risk class --------------------------------------------------------------------------


@pytest.mark.django_db
def test_risk_class_changes_until_verification_and_the_bpjs_file_carries_it(staff):
    year = umk_year()
    building = Segment.objects.get(code="jasa-konstruksi")
    worker = WorkerFactory(worker_type=WorkerType.PU, segment=building)
    enrollment = services.enrollment_propose(worker=worker, program_year=year, user=staff)
    assert enrollment.risk_class == "tinggi"  # the segment's default
    services.enrollment_set_risk_class(
        enrollment=enrollment, risk_class="sangat_tinggi", user=staff, reason="tukang las"
    )
    assert enrollment.risk_class == "sangat_tinggi"
    latest = enrollment.history.latest()
    assert (latest.risk_class, latest.history_change_reason) == ("sangat_tinggi", "tukang las")

    advance(enrollment, EnrollmentStatus.SUBMITTED, user=staff)
    # 1,74 % + 0,30 % = 2,04 % × 2.190.216,37 = 44.680,413948 a month
    assert enrollment.monthly_premium_micro == 44_680_413_948
    with pytest.raises(ValidationError) as exc:
        services.enrollment_set_risk_class(enrollment=enrollment, risk_class="rendah", user=staff)
    assert exc.value.code == "risk_class_frozen"

    stream = io.BytesIO()
    assert bpjs.export_submitted(year, stream) == 1
    sheet = load_workbook(io.BytesIO(stream.getvalue())).active
    header = [c.value for c in sheet[1]]
    row = dict(zip(header, [c.value for c in sheet[2]], strict=True))
    assert row["KELAS RISIKO"] == "Sangat tinggi"
    assert Decimal(str(row["UPAH/PENGHASILAN"])) == UMK_2023
    assert Decimal(str(row["IURAN PER BULAN"])) == Decimal("44680.413948")


@pytest.mark.django_db
def test_a_bpu_enrollment_has_no_risk_class_to_change(year, staff):
    enrollment = EnrollmentFactory(program_year=year)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_set_risk_class(enrollment=enrollment, risk_class="tinggi", user=staff)
    assert exc.value.code == "risk_class_not_pu"


@pytest.mark.django_db
def test_risk_class_is_changed_on_the_enrollment_page_until_verified(admin_client):
    year = umk_year()
    enrollment = EnrollmentFactory(
        program_year=year, worker=WorkerFactory(worker_type=WorkerType.PU), risk_class="rendah"
    )
    url = reverse("admin:enrollment_enrollment_change", args=[enrollment.pk])
    response = admin_client.post(
        url,
        {
            **inline_management(admin_client, url),
            "risk_class": "tinggi",
            "risk_class_reason": "kerja di proyek",
            "_save": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    enrollment.refresh_from_db()
    assert enrollment.risk_class == "tinggi"
    assert enrollment.history.latest().history_change_reason == "kerja di proyek"

    services.enrollment_verify(enrollment=enrollment, user=UserFactory())
    page = admin_client.get(url).content.decode()
    assert 'name="risk_class"' not in page  # shown, no longer editable
    admin_client.post(
        url, {**inline_management(admin_client, url), "risk_class": "sangat_rendah", "_save": "1"}
    )
    enrollment.refresh_from_db()
    assert enrollment.risk_class == "tinggi"  # frozen with the premium


@pytest.mark.django_db
def test_administrators_set_the_wage_base_and_umk_on_the_year_page(admin_client):
    year = ProgramYearFactory(year=2025, status=ProgramYearStatus.PLANNING)
    url = reverse("admin:enrollment_programyear_change", args=[year.pk])
    page = admin_client.get(url)
    data = {
        **inline_management(admin_client, url),
        "year": "2025",
        "status": ProgramYearStatus.RUNNING,
        "budget": "1000000",
        "coverage_start": "2025-01-01",
        "coverage_end": "2025-12-31",
        "min_age": "18",
        "max_age": "65",
        "pu_wage_base": WageBase.UMK,
        "umk": "0",
        "notes": "",
    }
    for inline in page.context["inline_admin_formsets"]:
        for form in inline.formset.initial_forms:
            for name in form.fields:
                value = form[name].value()
                data[form.add_prefix(name)] = "" if value is None else value
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "umk" in response.context["adminform"].form.errors
    response = admin_client.post(url, {**data, "umk": "2190216.37"})
    assert response.status_code == 302
    year.refresh_from_db()
    assert (year.pu_wage_base, year.umk) == (WageBase.UMK, UMK_2023)
