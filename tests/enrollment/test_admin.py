import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from enrollment.models import (
    Claim,
    Enrollment,
    EnrollmentStatus,
    InvoiceLine,
    ProgramYearStatus,
    TerminationReason,
)
from tests.enrollment.factories import EnrollmentFactory, PremiumInvoiceFactory, QuotaTargetFactory
from tests.enrollment.helpers import advance
from tests.factories import HeirFactory, UserFactory, WorkerFactory

S = EnrollmentStatus
pytestmark = pytest.mark.django_db
CHANGELIST = "admin:enrollment_enrollment_changelist"


def run_action(client, action, enrollments, **extra):
    data = {"action": action, "_selected_action": [e.pk for e in enrollments], **extra}
    return client.post(reverse(CHANGELIST), data, follow=True)


def test_it_lists_enrollments_and_searches_by_exact_nik(admin_client, year):
    wanted, other = EnrollmentFactory(program_year=year), EnrollmentFactory(program_year=year)
    response = admin_client.get(reverse(CHANGELIST), {"q": wanted.worker.nik})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [wanted]
    assert other.worker.nik not in response.content.decode()


def test_it_searches_by_kpj(admin_client, year):
    active = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    response = admin_client.get(reverse(CHANGELIST), {"q": active.kpj_number})
    assert list(response.context["cl"].result_list) == [active]


def test_it_shows_eligibility_on_the_change_page(admin_client, year):
    enrollment = EnrollmentFactory(program_year=year)
    response = admin_client.get(reverse("admin:enrollment_enrollment_change", args=[enrollment.pk]))
    assert response.status_code == 200
    assert "ahli waris" in response.content.decode().lower()


def test_it_proposes_through_the_add_form(admin_client, year):
    worker = HeirFactory().worker
    response = admin_client.post(
        reverse("admin:enrollment_enrollment_add"),
        {"worker": worker.pk, "program_year": year.pk, "reason": "usulan RT"},
        follow=True,
    )
    assert response.status_code == 200
    enrollment = Enrollment.objects.get(worker=worker)
    assert enrollment.status == S.PROPOSED
    assert enrollment.events.get().reason == "usulan RT"


def test_it_refuses_an_ineligible_proposal_on_the_form(admin_client, year):
    worker = WorkerFactory(employer_covered=True)
    response = admin_client.post(
        reverse("admin:enrollment_enrollment_add"),
        {"worker": worker.pk, "program_year": year.pk},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not Enrollment.objects.exists()


def test_bulk_verify_reports_successes_and_each_failure(admin_client, year):
    QuotaTargetFactory(program_year=year, target=1)
    enrollments = [EnrollmentFactory(program_year=year) for _ in range(2)]
    response = run_action(admin_client, "verify_selected", enrollments)
    text = response.content.decode()
    assert "1 kepesertaan diverifikasi" in text
    assert enrollments[1].worker.nik in text
    assert "penuh" in text


def test_bulk_terminate_asks_for_a_reason_first(admin_client, year):
    enrollment = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    response = run_action(admin_client, "terminate_selected", [enrollment])
    assert response.status_code == 200
    assert "termination_reason" in response.content.decode()
    enrollment.refresh_from_db()
    assert enrollment.status == S.ACTIVE

    response = run_action(
        admin_client,
        "terminate_selected",
        [enrollment],
        apply="1",
        termination_reason=TerminationReason.MOVED,
        effective_date="2024-01-10",
        reason="pindah ke Ponorogo",
    )
    enrollment.refresh_from_db()
    assert enrollment.status == S.TERMINATED
    assert enrollment.events.last().reason == "pindah ke Ponorogo"


def test_override_action_needs_the_permission(client, year):
    staff = UserFactory(username="operator")
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_enrollment", "change_enrollment"])
    )
    client.force_login(staff)
    response = client.get(reverse(CHANGELIST))
    assert "verify_beyond_quota" not in response.content.decode()


def test_supervisor_overrides_the_quota_with_a_reason(admin_client, year):
    QuotaTargetFactory(program_year=year, target=0)
    enrollment = EnrollmentFactory(program_year=year)
    run_action(admin_client, "verify_beyond_quota", [enrollment], apply="1", reason="SK Wali Kota")
    enrollment.refresh_from_db()
    assert enrollment.status == S.VERIFIED
    assert enrollment.quota_override_reason == "SK Wali Kota"


def test_program_year_page_shows_the_money(admin_client, year):
    advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    response = admin_client.get(reverse("admin:enrollment_programyear_change", args=[year.pk]))
    text = response.content.decode()
    assert "Rp 201.600" in text
    assert "Rp 999.798.400" in text


def test_closed_year_is_read_only_in_the_admin(admin_client, year):
    year.status = ProgramYearStatus.CLOSED
    year.save()
    url = reverse("admin:enrollment_programyear_change", args=[year.pk])
    response = admin_client.post(
        url,
        {"year": 2024, "budget": 1, "status": "ditutup"},
    )
    assert response.status_code == 403
    year.refresh_from_db()
    assert year.budget == 1_000_000_000


def test_reconciliation_lists_both_sides(admin_client, year):
    billed_ok = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    not_billed = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    proposed = EnrollmentFactory(program_year=year)
    invoice = PremiumInvoiceFactory(program_year=year, month=1, participants_billed=2)
    InvoiceLine.objects.create(invoice=invoice, nik=billed_ok.worker.nik, amount=16_800)
    InvoiceLine.objects.create(invoice=invoice, nik=proposed.worker.nik, amount=16_800)
    response = admin_client.get(
        reverse("admin:enrollment_premiuminvoice_reconciliation", args=[invoice.pk])
    )
    assert response.status_code == 200
    assert [line.nik for line in response.context["billed_not_active"]] == [proposed.worker.nik]
    assert list(response.context["active_not_billed"]) == [not_billed]


def test_recording_a_jkm_claim_marks_death_and_terminates(admin_client, year):
    enrollment = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    HeirFactory(worker=enrollment.worker, birth_date=datetime.date(2012, 5, 1))
    response = admin_client.post(
        reverse("admin:enrollment_claim_add"),
        {
            "enrollment": enrollment.pk,
            "claim_type": "jkm",
            "event_date": "2024-01-10",
            "status": "dilaporkan",
            "benefit_amount": 42_000_000,
            "notes": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Claim.objects.count() == 1
    enrollment.refresh_from_db()
    assert enrollment.status == S.TERMINATED
    assert enrollment.termination_reason == TerminationReason.DECEASED
    page = admin_client.get(reverse("admin:enrollment_claim_scholarship"))
    assert enrollment.worker.nik in page.content.decode()


def test_reconciliation_masks_niks_without_the_full_nik_permission(client, year):
    not_billed = advance(EnrollmentFactory(program_year=year), S.ACTIVE)
    proposed = EnrollmentFactory(program_year=year)
    invoice = PremiumInvoiceFactory(program_year=year, month=1, participants_billed=1)
    InvoiceLine.objects.create(invoice=invoice, nik=proposed.worker.nik, amount=16_800)
    staff = UserFactory(username="keuangan", is_staff=True)
    staff.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_premiuminvoice", "view_invoiceline"])
    )
    client.force_login(staff)
    url = reverse("admin:enrollment_premiuminvoice_reconciliation", args=[invoice.pk])
    text = client.get(url).content.decode()
    for nik in (not_billed.worker.nik, proposed.worker.nik):
        assert nik not in text
        assert f"{nik[:4]}********{nik[-4:]}" in text
    staff.user_permissions.add(Permission.objects.get(codename="view_full_nik"))
    client.force_login(staff)
    assert not_billed.worker.nik in client.get(url).content.decode()


def test_the_segment_filter_lists_enrollments_by_the_segment_they_were_verified_under(
    admin_client, year
):
    from participants.models import Segment
    from participants.services import worker_update

    enrollment = advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    verified_under = enrollment.worker.segment
    worker_update(
        worker=enrollment.worker, user=None, data={"segment": Segment.objects.get(code="pkl")}
    )
    listed = admin_client.get(reverse(CHANGELIST), {"segment__id__exact": verified_under.pk})
    assert list(listed.context["cl"].result_list) == [enrollment]
