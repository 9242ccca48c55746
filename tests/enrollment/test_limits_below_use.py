"""A budget or quota target set below what is already used needs a reason, and the year then
shows as over-committed (issue 11, point 11)."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from enrollment import limits, selectors, services
from enrollment.models import EnrollmentStatus, ProgramYear, QuotaTarget
from tests.enrollment.factories import EnrollmentFactory, QuotaTargetFactory
from tests.enrollment.helpers import advance

S = EnrollmentStatus
YEAR_COST = 16_800 * 12
pytestmark = pytest.mark.django_db


def change_form_data(response) -> dict:
    """The admin change page's form and inline formsets as POST data (what staff see)."""
    data = {}
    form = response.context["adminform"].form
    for name, field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list | tuple):
            for index, part in enumerate(value):
                data[f"{name}_{index}"] = part
        else:
            data[name] = field.prepare_value(value) if hasattr(field, "prepare_value") else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        for name, value in formset.management_form.initial.items():
            data[f"{formset.prefix}-{name}"] = value
        for sub in formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if value is not None and value is not False:
                    data[sub.add_prefix(name)] = value
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def committed_year(year):
    """2024 with two verified BPU participants (Rp 403.200 committed, 2 places held)."""
    year.budget = 10 * YEAR_COST
    year.save()
    quota = QuotaTargetFactory(program_year=year, target=5)
    for _ in range(2):
        advance(EnrollmentFactory(program_year=year), S.VERIFIED)
    return year, quota


def test_lowering_the_budget_below_committed_needs_a_reason(committed_year, staff):
    year, _quota = committed_year
    year.budget = YEAR_COST  # below the 2 × YEAR_COST committed
    with pytest.raises(ValidationError) as exc:
        services.program_year_save(program_year=year, user=staff)
    assert "budget_below_use_reason" in exc.value.message_dict
    assert ProgramYear.objects.get(pk=year.pk).budget == 10 * YEAR_COST

    year.budget_below_use_reason = "APBD-P 2024 dipotong"
    services.program_year_save(program_year=year, user=staff)
    year.refresh_from_db()
    assert year.budget == YEAR_COST
    assert year.history.latest().history_change_reason == "APBD-P 2024 dipotong"
    overrun = selectors.limit_overruns(year)
    assert (overrun.budget_over, overrun.budget_reason) == (YEAR_COST, "APBD-P 2024 dipotong")
    assert overrun.any


def test_a_budget_exactly_at_committed_needs_no_reason_and_clears_an_old_one(committed_year, staff):
    year, _quota = committed_year
    year.budget = 2 * YEAR_COST
    year.budget_below_use_reason = "tidak relevan"
    services.program_year_save(program_year=year, user=staff)
    year.refresh_from_db()
    assert year.budget_below_use_reason == ""
    assert not selectors.limit_overruns(year).any


def test_the_year_page_refuses_then_accepts_a_lowered_budget_and_shows_it(
    admin_client, committed_year
):
    year, _quota = committed_year
    url = reverse("admin:enrollment_programyear_change", args=[year.pk])
    data = change_form_data(admin_client.get(url))
    data["budget"] = str(YEAR_COST)

    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert refused.context["adminform"].form.errors["budget_below_use_reason"]
    assert ProgramYear.objects.get(pk=year.pk).budget == 10 * YEAR_COST

    data["budget_below_use_reason"] = "Refocusing anggaran"
    assert admin_client.post(url, data).status_code == 302
    page = admin_client.get(url).content.decode()
    assert "Refocusing anggaran" in page
    assert "201.600" in page  # over-committed by one participant's year


def test_lowering_a_quota_below_its_places_needs_a_reason(admin_client, committed_year):
    year, quota = committed_year
    url = reverse("admin:enrollment_programyear_change", args=[year.pk])
    data = change_form_data(admin_client.get(url))
    prefix = next(
        k
        for k, v in data.items()
        if k.startswith("quotas-") and k.endswith("-id") and v == quota.pk
    ).removesuffix("-id")
    data[f"{prefix}-target"] = "1"

    refused = admin_client.post(url, data)
    assert refused.status_code == 200
    assert QuotaTarget.objects.get(pk=quota.pk).target == 5

    data[f"{prefix}-below_use_reason"] = "Kuota dialihkan ke PU"
    assert admin_client.post(url, data).status_code == 302
    quota.refresh_from_db()
    assert (quota.target, quota.below_use_reason) == (1, "Kuota dialihkan ke PU")
    assert limits.quota_used(quota) == 2
    [over] = selectors.limit_overruns(year).quotas
    assert (over.quota, over.used) == (quota, 2)
    assert "Kuota dialihkan ke PU" in admin_client.get(url).content.decode()


def test_a_quota_at_its_places_needs_no_reason(committed_year):
    _year, quota = committed_year
    quota.target = 2
    assert limits.quota_below_use_error(quota, "") is None
    quota.target = 1
    assert limits.quota_below_use_error(quota, "").code == "quota_below_used"
    assert limits.quota_below_use_error(quota, "alasan") is None


def test_the_dashboard_shows_the_over_commitment_with_its_reason(admin_client, committed_year):
    year, quota = committed_year
    year.budget = YEAR_COST
    year.budget_below_use_reason = "APBD-P dipotong"
    services.program_year_save(program_year=year, user=None)
    quota.target = 1
    quota.below_use_reason = "Dialihkan ke PU"
    quota.save()

    page = admin_client.get(reverse("dashboard:index"), {"year": 2024}).content.decode()

    assert "sebesar Rp 201.600. Alasan: APBD-P dipotong" in page
    assert "2 tempat terisi, target 1 (lebih 1). Alasan: Dialihkan ke PU" in page
