"""A kelurahan proposer sends a candidate and Disnaker reviews it, in a real browser."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts.roles import OPERATOR, PENGUSUL
from accounts.scoping import set_user_scope
from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear, QuotaTarget
from enrollment.premiums import first_of_next_month
from enrollment.services import program_year_copy_rates
from participants.models import Kelurahan, Segment, Worker, WorkerType
from proposals.models import Proposal, ProposalStatus
from proposals.services import proposal_submit
from tests.enrollment.factories import ProgramYearFactory
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def in_role(username, role):
    user = UserFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    return user


def this_year() -> ProgramYear:
    """A running year that a proposal made today can start in (the browser runs on today)."""
    starts = first_of_next_month(timezone.localdate())
    source = ProgramYear.objects.get(year=2024)
    year = ProgramYearFactory(year=starts.year, budget=100_000_000, status="berjalan")
    if year.pk != source.pk and not year.rates.exists():
        program_year_copy_rates(program_year=year, source=source)
    QuotaTarget.objects.create(program_year=year, worker_type=WorkerType.BPU, target=10)
    return year


def test_a_proposer_submits_and_disnaker_accepts_one_and_returns_another(page, login, browser):
    year = this_year()
    proposer = in_role("kel-kartoharjo", PENGUSUL)
    operator = in_role("operator-disnaker", OPERATOR)
    kartoharjo = Kelurahan.objects.get(name="Kartoharjo")
    # A kelurahan account: limited to its own kelurahan (accounts/scoping.py).
    set_user_scope(user=proposer, kelurahan=[kartoharjo])

    # The proposer enters a candidate on the form; only its kelurahan is offered.
    login(proposer)
    page.goto("/admin/proposals/proposal/add/")
    offered = [t.strip() for t in page.locator("#id_kelurahan option").all_inner_texts()]
    assert [t for t in offered if t and not t.startswith("-")] == [str(kartoharjo)]
    page.select_option("#id_program_year", str(year.pk))
    page.select_option("#id_source_kind", "kelurahan")
    page.fill("#id_source_name", "Kelurahan Kartoharjo")
    page.fill("#id_nik", "3577015203850007")
    page.fill("#id_full_name", "Siti Rahayu")
    page.fill("#id_birth_date", "1985-03-12")
    page.select_option("#id_sex", "P")
    page.select_option("#id_kelurahan", str(kartoharjo.pk))
    page.fill("#id_phone", "0812-3456-7890")
    page.select_option("#id_worker_type", "BPU")
    page.select_option("#id_segment", str(Segment.objects.get(code="ojol").pk))
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist")
    assert "Usulan telah dikirim" in page.inner_text(".messagelist")
    assert "Diajukan, menunggu pemeriksaan" in page.inner_text("#result_list")
    # A second candidate, sent in the same way (through the service, to keep the test short).
    proposal_submit(
        user=proposer, program_year=year, source_kind="kelurahan", source_name="Kel. Kartoharjo",
        nik="3577014204900005", full_name="Dewi Lestari", birth_date=datetime.date(1990, 4, 2),
        sex="P", kelurahan=kartoharjo, worker_type="BPU", segment=Segment.objects.get(code="ojol"),
    )  # fmt: skip

    # Disnaker accepts the first...
    page.context.clear_cookies()
    login(operator)
    page.goto("/admin/proposals/proposal/?status__exact=diajukan")
    first = Proposal.objects.get(full_name="Siti Rahayu")
    second = Proposal.objects.get(full_name="Dewi Lestari")
    page.check(f"input[name=_selected_action][value='{first.pk}']")
    page.select_option("select[name=action]", "accept_selected")
    page.click("button[name=index]")
    page.wait_for_selector("input[type=submit].default")
    assert "Siti Rahayu" in page.inner_text("#content")
    page.click("input[type=submit].default")
    page.wait_for_selector(".messagelist")
    assert "1 usulan diterima" in page.inner_text(".messagelist")
    worker = Worker.objects.get(nik=first.nik)
    assert Enrollment.objects.get(worker=worker).status == EnrollmentStatus.PROPOSED

    # ...and returns the second with a reason.
    page.goto("/admin/proposals/proposal/?status__exact=diajukan")
    page.check(f"input[name=_selected_action][value='{second.pk}']")
    page.select_option("select[name=action]", "return_selected")
    page.click("button[name=index]")
    page.fill("#id_reason", "Fotokopi KTP tidak terbaca, mohon kirim ulang")
    page.click("input[type=submit].default")
    page.wait_for_selector(".messagelist")
    second.refresh_from_db()
    assert second.status == ProposalStatus.RETURNED

    # The proposer sees both outcomes and the reason.
    page.context.clear_cookies()
    login(proposer)
    page.goto("/admin/proposals/proposal/")
    listing = page.inner_text("#result_list")
    assert "Diterima" in listing and "Dikembalikan" in listing
    assert "Fotokopi KTP tidak terbaca, mohon kirim ulang" in listing
