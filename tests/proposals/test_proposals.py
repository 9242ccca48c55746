"""Proposals (usulan): submitted by a proposer, accepted into the registry with the duplicate,
eligibility and quota checks, or returned with a reason the proposer sees (issue 16, point 2)."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from enrollment.models import Enrollment, EnrollmentStatus, QuotaTarget
from importer.engine import INVALID, NEW, apply_plan, build_plan
from participants.models import Heir, Relationship, Worker
from proposals import selectors, services
from proposals.models import Proposal, ProposalStatus, SourceKind
from proposals.resources import ProposalImporter
from tests.enrollment.factories import QuotaTargetFactory
from tests.factories import WorkerFactory

from .helpers import candidate, submitted, xlsx

S = ProposalStatus
pytestmark = pytest.mark.django_db


def test_a_submitted_proposal_waits_with_the_registry_rules_applied(proposer, year):
    proposal = submitted(proposer, year, heir_name="Budi", heir_relationship=Relationship.CHILD)
    assert proposal.status == S.SUBMITTED
    assert proposal.phone == "+6281234567890"  # the registry's normalisation
    assert proposal.proposer == proposer
    assert not Worker.objects.filter(nik=proposal.nik).exists()  # not in the registry yet
    assert proposal.history.count() == 1

    with pytest.raises(ValidationError) as refused:
        submitted(proposer, year, full_name="=HYPERLINK(1)")
    assert "full_name" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        submitted(proposer, year, nik="3577011203850000")  # serial 0000
    assert "nik" in refused.value.message_dict


def test_the_same_person_is_not_open_twice_in_a_year(proposer, other_proposer, year):
    first = submitted(proposer, year)
    with pytest.raises(ValidationError):
        submitted(other_proposer, year, nik=first.nik)
    services.proposal_return(proposal=first, user=other_proposer, reason="KTP tidak terbaca")
    assert submitted(other_proposer, year, nik=first.nik).status == S.SUBMITTED


def test_each_proposer_sees_only_their_own_and_disnaker_sees_all(
    proposer, other_proposer, operator, verifier, year
):
    mine = submitted(proposer, year)
    theirs = submitted(other_proposer, year)
    assert list(selectors.proposals_visible_to(proposer)) == [mine]
    assert set(selectors.proposals_visible_to(operator)) == {mine, theirs}
    assert set(selectors.proposals_visible_to(verifier)) == {mine, theirs}


def test_accepting_registers_the_worker_and_proposes_the_enrollment(proposer, operator, year):
    proposal = submitted(proposer, year, heir_name="Budi", heir_relationship=Relationship.CHILD)
    services.proposal_accept(proposal=proposal, user=operator)
    proposal.refresh_from_db()
    assert proposal.status == S.ACCEPTED
    assert proposal.reviewed_by == operator
    worker = Worker.objects.get(nik=proposal.nik)
    assert proposal.worker == worker and worker.created_by == operator
    assert Heir.objects.get(worker=worker).name == "Budi"
    enrollment = Enrollment.objects.get(worker=worker, program_year=year)
    assert enrollment.status == EnrollmentStatus.PROPOSED
    assert proposal.enrollment == enrollment
    assert "Kelurahan Kartoharjo" in enrollment.status_note


def test_a_reviewed_proposal_cannot_be_reviewed_again(proposer, operator, year):
    accepted = submitted(proposer, year)
    services.proposal_accept(proposal=accepted, user=operator)
    for review in (
        lambda: services.proposal_accept(proposal=accepted, user=operator),
        lambda: services.proposal_return(proposal=accepted, user=operator, reason="salah"),
    ):
        with pytest.raises(ValidationError) as refused:
            review()
        assert refused.value.code == "proposal_closed"
    returned = submitted(proposer, year)
    with pytest.raises(ValidationError) as refused:
        services.proposal_return(proposal=returned, user=operator, reason="  ")
    assert refused.value.code == "reason_missing"
    services.proposal_return(proposal=returned, user=operator, reason="Bukan warga Madiun")
    with pytest.raises(ValidationError):
        services.proposal_accept(proposal=returned, user=operator)
    returned.refresh_from_db()
    assert (returned.status, returned.reason) == (S.RETURNED, "Bukan warga Madiun")


def test_a_registered_person_is_proposed_without_a_second_record(proposer, operator, year):
    worker = WorkerFactory(full_name="Siti Rahayu", birth_date=datetime.date(1985, 3, 12))
    proposal = submitted(
        proposer, year, nik=worker.nik, birth_date=worker.birth_date, sex=worker.sex
    )
    services.proposal_accept(proposal=proposal, user=operator)
    assert Worker.objects.filter(nik=worker.nik).count() == 1
    assert Enrollment.objects.get(program_year=year).worker == worker


def test_a_nik_registered_to_another_person_is_refused(proposer, operator, year):
    other = WorkerFactory(full_name="Bambang Sutrisno", birth_date=datetime.date(1970, 5, 1))
    proposal = submitted(proposer, year, nik=other.nik)
    with pytest.raises(ValidationError) as refused:
        services.proposal_accept(proposal=proposal, user=operator)
    assert refused.value.code == "identity_conflict"
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED


def test_a_possible_duplicate_under_another_nik_needs_staff_to_say_so(proposer, operator, year):
    registered = WorkerFactory(
        full_name="Siti Rahayu",
        birth_date=datetime.date(1985, 3, 12),
        kk_number="3577011111110001",
        phone="+6281234567890",
    )
    proposal = submitted(proposer, year, kk_number=registered.kk_number)
    with pytest.raises(ValidationError) as refused:
        services.proposal_accept(proposal=proposal, user=operator)
    assert refused.value.code == "possible_duplicate"
    assert registered.nik in " ".join(refused.value.messages)
    assert Worker.objects.count() == 1  # nothing written

    services.proposal_accept(proposal=proposal, user=operator, allow_similar=True)
    assert Worker.objects.count() == 2


def test_an_ineligible_candidate_is_refused_and_nothing_is_written(proposer, operator, year):
    proposal = submitted(proposer, year, birth_date=datetime.date(1950, 1, 1))  # 74 years old
    with pytest.raises(ValidationError) as refused:
        services.proposal_accept(proposal=proposal, user=operator)
    assert refused.value.messages
    assert not Worker.objects.exists()
    assert not Enrollment.objects.exists()
    proposal.refresh_from_db()
    assert proposal.status == S.SUBMITTED


def test_the_quota_counts_proposals_already_made(proposer, operator, year):
    QuotaTarget.objects.filter(program_year=year).delete()
    QuotaTargetFactory(program_year=year, target=1)
    first, second = submitted(proposer, year), submitted(proposer, year, full_name="Dewi Lestari")
    review = services.proposals_accept(proposals=[first, second], user=operator)
    assert [p.pk for p in review.done] == [first.pk]
    [(refused, error)] = review.refused
    assert refused.pk == second.pk
    assert error.code == "no_room"
    second.refresh_from_db()
    assert second.status == S.SUBMITTED


def test_an_uploaded_list_lands_as_proposals_of_its_proposer_and_source(proposer, year):
    good = candidate()
    other = candidate(full_name="Dewi Lestari")
    header = ["NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Kelurahan", "Jenis Pekerja",
              "Kategori", "Penghasilan"]  # fmt: skip
    data = xlsx(
        [
            ["DAFTAR USULAN SIAGA KITA 2024 KELURAHAN KARTOHARJO"],
            header,
            [good["nik"], "Siti Rahayu", "12-03-1985", "P", "Kartoharjo", "BPU", "Ojol", 1000000],
            [other["nik"], "Dewi Lestari", "12-03-1985", "P", "kartoharjo", "BPU", "ojol", None],
            ["3577011203850000", "Salah NIK", "12-03-1985", "P", "Kartoharjo", "BPU", "Ojol", 0],
            [good["nik"], "Siti Lagi", "12-03-1985", "P", "Kelun Raya", "BPU", "Ojol", 0],
        ]
    )
    importer = ProposalImporter(
        program_year_id=year.pk, source_kind=SourceKind.KELURAHAN, source_name="Kel. Kartoharjo"
    )
    plan = build_plan(importer, data, "usulan.xlsx")
    assert [r.status for r in plan.rows] == [NEW, NEW, INVALID, INVALID]
    bad_nik, repeated = plan.rows_with(INVALID)
    assert (bad_nik.row, bad_nik.errors[0].column) == (5, "NIK")
    assert {e.column for e in repeated.errors} == {"NIK", "Kelurahan"}
    written = apply_plan(importer, plan, user=proposer)
    assert written["new"] == 2
    proposals = Proposal.objects.order_by("pk")
    assert [p.full_name for p in proposals] == ["Siti Rahayu", "Dewi Lestari"]
    assert {(p.proposer_id, p.source_name, p.status) for p in proposals} == {
        (proposer.pk, "Kel. Kartoharjo", S.SUBMITTED)
    }
    assert proposals[1].monthly_income is None
    assert all(p.history.count() == 1 for p in proposals)
    # The same NIK again while the first waits: refused at the preview, row and column named.
    again = build_plan(importer, data, "usulan.xlsx")
    assert again.rows[0].status == INVALID
    assert again.rows[0].errors[0].code == "already_proposed"


def test_counts_per_proposer_for_the_dashboard(proposer, other_proposer, operator, year):
    accepted = submitted(proposer, year)
    returned = submitted(proposer, year, full_name="Dewi Lestari")
    submitted(proposer, year, full_name="Rina Wati")
    submitted(other_proposer, year, full_name="Agus Salim")
    services.proposal_accept(proposal=accepted, user=operator)
    services.proposal_return(proposal=returned, user=operator, reason="Tidak lengkap")
    counts = {(c.proposer, c.submitted, c.accepted, c.returned, c.pending)
              for c in selectors.proposer_counts(year)}  # fmt: skip
    assert counts == {("kel-kelun", 3, 1, 1, 1), ("opd-dishub", 1, 0, 0, 1)}


def test_the_proposer_sees_status_and_reason_of_their_own_only(
    client, proposer, other_proposer, operator, year
):
    mine = submitted(proposer, year, full_name="Siti Rahayu")
    submitted(other_proposer, year, full_name="Agus Salim")
    services.proposal_return(proposal=mine, user=operator, reason="Foto KTP buram")
    client.force_login(proposer)
    page = client.get(reverse("admin:proposals_proposal_changelist")).content.decode()
    assert "Siti Rahayu" in page and "Foto KTP buram" in page and "Dikembalikan" in page
    assert "Agus Salim" not in page
    assert mine.nik not in page  # proposers see masked NIKs
    theirs = Proposal.objects.get(full_name="Agus Salim")
    # Not theirs: as if it did not exist (the admin's "perhaps it was deleted" redirect).
    assert (
        client.get(reverse("admin:proposals_proposal_change", args=[theirs.pk])).status_code == 302
    )


def test_an_upload_through_the_admin_is_previewed_then_sent(client, proposer, year):
    data = xlsx(
        [
            ["NIK", "Nama", "Tanggal Lahir", "Jenis Kelamin", "Kelurahan", "Jenis Pekerja",
             "Kategori"],
            [candidate()["nik"], "Siti Rahayu", "12-03-1985", "P", "Kartoharjo", "BPU", "Ojol"],
        ]
    )  # fmt: skip
    upload = io.BytesIO(data)
    upload.name = "usulan.xlsx"
    client.force_login(proposer)
    response = client.post(
        reverse("admin:proposals_proposal_import"),
        {"import_file": upload, "program_year": year.pk, "source_kind": "mitra",
         "source_name": "Dinas Perhubungan"},
    )  # fmt: skip
    assert response.status_code == 302
    preview = client.get(response["Location"]).content.decode()
    assert "Siti Rahayu" in preview and "Dinas Perhubungan" in preview
    assert not Proposal.objects.exists()
    job = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    done = client.post(reverse("admin:proposals_proposal_process_import"), {"job": job})
    assert done["Location"] == reverse("admin:proposals_proposal_changelist")
    proposal = Proposal.objects.get()
    assert (proposal.proposer, proposal.source_kind, proposal.status) == (
        proposer,
        SourceKind.PARTNER,
        S.SUBMITTED,
    )


def test_officials_see_the_counts_and_the_update_progress_on_the_dashboard(
    client, proposer, operator, year
):
    from django.contrib.auth.models import Group

    from accounts.roles import PIMPINAN
    from tests.factories import UserFactory

    services.proposal_accept(proposal=submitted(proposer, year), user=operator)
    submitted(proposer, year, full_name="Dewi Lestari")
    official = UserFactory(username="kepala-dinas", is_staff=False)
    official.groups.add(Group.objects.get(name=PIMPINAN))
    client.force_login(official)
    page = client.get(reverse("dashboard:index"), {"year": year.year}).content.decode()
    assert "Usulan per pengusul, 2024" in page
    assert (
        "<td>Kelurahan Kartoharjo</td><td>kel-kelun</td><td>2</td><td>1</td><td>0</td><td>1</td>"
        in page
    )
    assert "Pemutakhiran data 2024" in page and "Oro-oro Ombo" in page
    assert "Siti Rahayu" not in page  # counts only
