"""Staff decide each possible duplicate: different people (remembered) or merge."""

import datetime
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse

from dedup.models import DuplicatePair, PairStatus, WorkerAlias
from dedup.scan import find_duplicates
from dedup.services import pair_mark_distinct, pairs_refresh, workers_merge
from enrollment.models import Enrollment
from participants.models import Heir, Worker
from participants.services import worker_update
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.factories import HeirFactory, UserFactory, WorkerFactory, make_nik

pytestmark = pytest.mark.django_db
BORN = datetime.date(1980, 3, 5)


@pytest.fixture
def staff():
    return UserFactory(username="verifikator")


@pytest.fixture
def pair_of_records():
    """One person typed twice: a NIK digit mistyped and the name in old spelling."""
    original = WorkerFactory(
        nik=make_nik(birth_date=BORN, sex="L", serial=11),
        full_name="Suparno Hadi",
        birth_date=BORN,
        sex="L",
        phone="+6281233344455",
    )
    retyped = WorkerFactory(
        nik=make_nik(birth_date=BORN, sex="L", serial=17),
        full_name="Moch. Soeparno Hadi",
        birth_date=BORN,
        sex="L",
        phone="+6281233344455",
        kk_number=original.kk_number,
    )
    WorkerFactory.create_batch(5)  # other people
    return original, retyped


def _ours(pairs, records):
    """The pairs of these two records (factory workers can look alike among themselves)."""
    niks = {w.nik for w in records}
    return [p for p in pairs if {p.a.nik, p.b.nik} == niks]


def test_the_scan_finds_the_pair_with_reasons(pair_of_records):
    [pair] = _ours(find_duplicates(), pair_of_records)
    assert pair.score >= 80
    assert "NIK beda satu digit" in pair.reasons
    assert "No HP sama" in pair.reasons


def test_find_duplicates_command_json(pair_of_records):
    out = io.StringIO()
    call_command("find_duplicates", "--json", stdout=out)
    data = json.loads(out.getvalue())
    [pair] = data["pairs"]
    assert set(pair) == {"a", "b", "score", "reasons"}
    assert {pair["a"], pair["b"]} == {w.nik for w in pair_of_records}
    assert 0 <= pair["score"] <= 100
    out = io.StringIO()
    call_command("find_duplicates", "--json", "--min-score", "100", stdout=out)
    assert all(p["score"] == 100 for p in json.loads(out.getvalue())["pairs"])


def test_different_people_stay_decided_until_a_compared_field_changes(pair_of_records, staff):
    original, retyped = pair_of_records
    ours = dict(nik_a=min(original.nik, retyped.nik), nik_b=max(original.nik, retyped.nik))
    pairs_refresh(find_duplicates())
    pair = DuplicatePair.objects.get(**ours)
    pair_mark_distinct(pair=pair, user=staff, note="Kakak beradik, sudah dicek KK")
    assert _ours(find_duplicates(), pair_of_records) == []
    pairs_refresh(find_duplicates())
    assert DuplicatePair.objects.get(**ours).status == PairStatus.DISTINCT

    # A field outside the rule changes: still decided.
    worker_update(worker=retyped, user=staff, data={"notes": "telepon ulang"})
    assert _ours(find_duplicates(), pair_of_records) == []
    # A compared field changes: the pair comes back for a new decision.
    worker_update(worker=retyped, user=staff, data={"address": "Jl. Pahlawan No. 99"})
    assert len(_ours(find_duplicates(), pair_of_records)) == 1
    counts = pairs_refresh(find_duplicates())
    assert counts["reopened"] == 1
    assert DuplicatePair.objects.get(**ours).status == PairStatus.OPEN


def test_merge_moves_everything_and_keeps_the_other_nik_as_an_alias(pair_of_records, staff):
    original, retyped = pair_of_records
    heir = HeirFactory(worker=retyped, name="Andi")
    year = ProgramYearFactory(year=2024)
    enrollment = EnrollmentFactory(worker=retyped, program_year=year)
    past = ProgramYearFactory(year=2025)
    EnrollmentFactory(worker=original, program_year=past)
    history_before = retyped.history.count()

    kept = workers_merge(keep=original, remove=retyped, user=staff, note="KTP dicek")

    assert not Worker.objects.filter(pk=retyped.pk).exists()
    assert Heir.objects.get(pk=heir.pk).worker_id == kept.pk
    assert Enrollment.objects.get(pk=enrollment.pk).worker_id == kept.pk
    alias = WorkerAlias.objects.get(nik=retyped.nik)
    assert alias.worker_id == kept.pk and alias.merged_by == staff
    # The removed record's history now sits on the kept worker's page, with the merge.
    history = Worker.history.filter(id=kept.pk)
    assert history.filter(nik=retyped.nik).count() == history_before + 1  # + the deletion entry
    assert history.first().history_change_reason.startswith("Digabung dengan NIK")
    pair = DuplicatePair.objects.get(status=PairStatus.MERGED)
    assert pair.decided_by == staff
    assert _ours(find_duplicates(), [kept, kept]) == []


def test_merge_refuses_two_covers_in_one_year(pair_of_records, staff):
    original, retyped = pair_of_records
    year = ProgramYearFactory(year=2024)
    EnrollmentFactory(worker=original, program_year=year)
    EnrollmentFactory(worker=retyped, program_year=year)
    with pytest.raises(ValidationError) as refused:
        workers_merge(keep=original, remove=retyped, user=staff)
    assert "tahun program 2024" in refused.value.messages[0]
    assert Worker.objects.filter(pk=retyped.pk).exists()
    assert not WorkerAlias.objects.exists()


def test_admin_review_queue(pair_of_records, client, staff):
    original, retyped = pair_of_records
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(
        *Permission.objects.filter(
            codename__in=["view_duplicatepair", "change_duplicatepair", "add_duplicatepair"]
        )
    )
    client.force_login(staff)
    response = client.post(reverse("admin:dedup_duplicatepair_scan"))
    assert response.status_code == 302
    pair = DuplicatePair.objects.get(
        nik_a=min(original.nik, retyped.nik), nik_b=max(original.nik, retyped.nik)
    )
    listing = client.get(reverse("admin:dedup_duplicatepair_changelist")).content.decode()
    assert "Moch. Soeparno Hadi" in listing
    # Without view_full_nik the NIKs are masked.
    assert original.nik not in listing and original.nik[:4] + "********" in listing

    page = client.get(reverse("admin:dedup_duplicatepair_change", args=[pair.pk]))
    assert page.status_code == 200
    assert "Orang berbeda" in page.content.decode()
    assert "pertahankan data A" not in page.content.decode()  # no merge permission

    # Merging needs its own permission.
    refused = client.post(
        reverse("admin:dedup_duplicatepair_change", args=[pair.pk]), {"decision": "keep_a"}
    )
    assert refused.status_code == 403
    assert Worker.objects.filter(pk=retyped.pk).exists()

    staff.user_permissions.add(Permission.objects.get(codename="merge_workers"))
    client.post(reverse("admin:dedup_duplicatepair_change", args=[pair.pk]), {"decision": "keep_a"})
    kept = pair.worker_a
    assert Worker.objects.filter(pk=kept.pk).exists()
    assert not Worker.objects.filter(pk=pair.worker_b_id).exists()


def test_searching_a_merged_nik_finds_the_kept_worker(pair_of_records, staff, admin_client):
    original, retyped = pair_of_records
    workers_merge(keep=original, remove=retyped, user=staff)
    listing = admin_client.get(reverse("admin:participants_worker_changelist"), {"q": retyped.nik})
    assert [w.pk for w in listing.context["cl"].result_list] == [original.pk]


def test_an_import_row_with_a_merged_nik_is_refused_not_recreated(pair_of_records, staff):
    from importer.engine import INVALID, build_plan
    from participants.resources import WorkerImporter

    original, retyped = pair_of_records
    workers_merge(keep=original, remove=retyped, user=staff)
    data = (
        "NIK,Nama,Tanggal Lahir,L/P,Kelurahan,Status Pekerja,Segmen\n"
        f"{retyped.nik},Moch. Soeparno Hadi,05-03-1980,L,Kartoharjo,BPU,Ojol\n"
    ).encode()
    plan = build_plan(WorkerImporter(), data, "usulan.csv")
    [row] = plan.rows
    assert row.status == INVALID
    assert [e.code for e in row.errors] == ["nik_merged"]
    assert original.nik in row.errors[0].message
