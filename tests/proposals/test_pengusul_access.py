"""The Pengusul role: its own proposals in the admin, nothing of the registry (issue 16)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from proposals.models import Proposal

from .helpers import submitted

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("admin:proposals_proposal_changelist", 200),
        ("admin:proposals_proposal_add", 200),
        ("admin:proposals_proposal_import", 200),
        ("admin:proposals_proposal_import_template", 200),
        ("admin:participants_worker_changelist", 403),
        ("admin:enrollment_enrollment_changelist", 403),
        ("admin:proposals_updateround_changelist", 403),
        ("admin:proposals_updateround_progress", 403),
        ("admin:proposals_updateround_form", 403),
        ("admin:proposals_updateround_import", 403),
        ("dashboard:index", 403),
    ],
)
def test_a_proposer_opens_only_the_proposal_pages(client, proposer, year, name, status):
    client.force_login(proposer)
    assert client.get(reverse(name)).status_code == status


def test_a_proposer_is_offered_no_review_and_cannot_post_one(
    client, proposer, other_proposer, year
):
    mine = submitted(proposer, year)
    theirs = submitted(other_proposer, year)
    request = RequestFactory().get("/")
    request.user = proposer
    assert set(admin.site._registry[Proposal].get_actions(request)) == set()
    client.force_login(proposer)
    for action in ("accept_selected", "return_selected"):
        client.post(
            reverse("admin:proposals_proposal_changelist"),
            {"action": action, "_selected_action": [mine.pk, theirs.pk], "apply": "1",
             "reason": "x"},
        )  # fmt: skip
    assert set(Proposal.objects.values_list("status", flat=True)) == {"diajukan"}
    page = client.get(reverse("admin:proposals_proposal_change", args=[mine.pk]))
    assert page.status_code == 200
    assert mine.nik not in page.content.decode()  # masked: no view_full_nik
