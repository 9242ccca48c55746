"""Heirs follow-up: the worklist per kelurahan and the bulk heirs import."""

import datetime
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from importer.engine import INVALID, NEW, UNCHANGED, UPDATED, build_plan
from importer.services import import_run
from participants.models import Heir, Kelurahan, Relationship, SchoolLevel
from targeting.resources import HeirImporter
from targeting.selectors import heirs_followup_by_kelurahan, heirs_followup_workers
from tests.factories import HeirFactory, WorkerFactory
from tests.targeting.conftest import user_with, xlsx

pytestmark = pytest.mark.django_db

HEADER = ["NIK Pekerja", "Nama Ahli Waris", "Hubungan", "Tgl Lahir", "NIK Ahli Waris",
          "Jenjang Sekolah"]  # fmt: skip


def plan(rows):
    return build_plan(HeirImporter(), xlsx([HEADER, *rows]), "ahli-waris.xlsx")


def statuses(rows):
    return [(r.status, [e.code for e in r.errors]) for r in plan(rows).rows]


def test_new_heirs_are_added_to_registered_workers():
    worker = WorkerFactory()
    rows = [
        [worker.nik, "Dewi", "Istri", "12-05-1988", "", ""],
        [worker.nik, "Bima", "Anak", "01-07-2014", "", "SD"],
    ]

    outcome = import_run(importer=HeirImporter(), data=xlsx([HEADER, *rows]), file_name="a.xlsx")

    assert outcome.written == {"new": 2, "updated": 0}
    child = worker.heirs.get(name="Bima")
    assert (child.relationship, child.school_level) == (Relationship.CHILD, SchoolLevel.SD)
    assert child.birth_date == datetime.date(2014, 7, 1)
    assert child.history.count() == 1  # audited like a hand-made change


@pytest.mark.parametrize(
    "typed",
    ["TK", "PAUD", "RA", "TK/PAUD", "TK/RA", "KB", "tk", "Kelompok Bermain", "Taman Kanak-Kanak"],
)
def test_kindergarten_words_are_the_tk_level(typed):
    """TK is the first level of the JKM scholarship, not "not yet in school"."""
    worker = WorkerFactory()
    rows = [[worker.nik, "Sekar", "Anak", "", "", typed]]

    import_run(importer=HeirImporter(), data=xlsx([HEADER, *rows]), file_name="a.xlsx")

    heir = worker.heirs.get()
    assert heir.school_level == SchoolLevel.TK
    assert heir.is_school_age_on(datetime.date(2025, 7, 1))  # no birth date: TK counts


def test_a_kindergarten_child_recorded_as_not_yet_in_school_is_corrected_by_reimport():
    worker = WorkerFactory()
    HeirFactory(worker=worker, name="Sekar", birth_date=None, school_level=SchoolLevel.NOT_YET)
    rows = [[worker.nik, "Sekar", "Anak", "", "", "TK"]]

    assert statuses(rows) == [(UPDATED, [])]
    import_run(importer=HeirImporter(), data=xlsx([HEADER, *rows]), file_name="a.xlsx")
    assert worker.heirs.get().school_level == SchoolLevel.TK


def test_a_known_heir_is_completed_never_erased_and_reimport_changes_nothing():
    worker = WorkerFactory()
    heir = HeirFactory(worker=worker, name="Bima", birth_date=None, school_level="")
    rows = [[worker.nik, "BIMA", "Anak", "01-07-2014", "", "SMP"]]

    assert statuses(rows) == [(UPDATED, [])]
    import_run(importer=HeirImporter(), data=xlsx([HEADER, *rows]), file_name="a.xlsx")
    heir.refresh_from_db()
    assert (heir.birth_date, heir.school_level) == (datetime.date(2014, 7, 1), SchoolLevel.SMP)

    assert statuses(rows) == [(UNCHANGED, [])]
    assert statuses([[worker.nik, "Bima", "Anak", "", "", ""]]) == [(UNCHANGED, [])]


def test_same_name_with_another_birth_date_is_another_person():
    worker = WorkerFactory()
    HeirFactory(worker=worker, name="Bima", birth_date=datetime.date(2014, 7, 1))
    assert statuses([[worker.nik, "Bima", "Anak", "01-07-2016", "", ""]]) == [(NEW, [])]


def test_problems_are_reported_per_row_and_no_worker_is_created():
    worker = WorkerFactory()
    rows = [
        ["3577014101900099", "Dewi", "Istri", "", "", ""],
        [worker.nik, "Dewi", "Tetangga", "", "", ""],
        [worker.nik, "Bima", "Anak", "", worker.nik, ""],
        [worker.nik, "Sari", "Anak", "", "", "Kelas 3"],
        [worker.nik, "Tono", "Anak", "", "", ""],
        [worker.nik, "tono", "Anak", "", "", ""],
    ]
    assert statuses(rows) == [
        (INVALID, ["worker_not_registered"]),
        (INVALID, ["relationship_invalid"]),
        (INVALID, ["heir_own_nik"]),
        (INVALID, ["school_level_invalid"]),
        (NEW, []),
        (INVALID, ["duplicate_in_file"]),
    ]


def test_the_worklist_lists_workers_with_missing_or_incomplete_heirs():
    complete = WorkerFactory()
    HeirFactory(worker=complete, school_level=SchoolLevel.SD)
    HeirFactory(
        worker=complete, relationship=Relationship.SPOUSE, birth_date=datetime.date(1980, 1, 1)
    )
    no_heirs = WorkerFactory()
    no_birth = WorkerFactory()
    HeirFactory(worker=no_birth, relationship=Relationship.SPOUSE, birth_date=None)
    no_level = WorkerFactory(kelurahan=Kelurahan.objects.get(name="Taman"))
    HeirFactory(worker=no_level, school_level="")
    WorkerFactory(death_date=datetime.date(2023, 1, 1))  # deceased: not field work

    listed = {w.pk: (w.heir_count, w.incomplete_heirs) for w in heirs_followup_workers()}

    assert listed == {no_heirs.pk: (0, 0), no_birth.pk: (1, 1), no_level.pk: (1, 1)}
    counts = {row.kelurahan: row for row in heirs_followup_by_kelurahan()}
    assert len(counts) == 27
    assert counts["Kartoharjo"].without_heirs == 1
    assert counts["Kartoharjo"].heirs_without_birth_date == 1
    assert counts["Taman"].children_without_school_level == 1
    assert counts["Taman"].without_heirs == 0


def test_worklist_page_filters_and_imports(client):
    client.force_login(user_with("view_heirfollowup", "import_heirs"))
    worker = WorkerFactory(full_name="Belum Ada Ahli Waris")
    url = reverse("admin:targeting_heirfollowup_changelist")

    page = client.get(url, {"todo": "no_heirs"}).content.decode()
    assert "Belum Ada Ahli Waris" in page
    assert "followup-by-kelurahan" in page
    assert "Belum Ada Ahli Waris" not in client.get(url, {"todo": "no_birth_date"}).content.decode()

    content = xlsx([HEADER, [worker.nik, "Dewi", "Istri", "12-05-1988", "", ""]])
    response = client.post(
        reverse("admin:targeting_heirfollowup_import"),
        {"import_file": SimpleUploadedFile("aw.xlsx", content)},
    )
    assert response.status_code == 302
    job_id = int(response["Location"].rstrip("/").split("/")[-1])
    client.post(reverse("admin:targeting_heirfollowup_process_import"), {"job": job_id})
    assert Heir.objects.get().worker == worker


def test_the_heirs_template_downloads_and_reads_back(client):
    """The template's headers are the importer's own: a row typed under them is read."""
    worker = WorkerFactory()
    client.force_login(user_with("view_heirfollowup", "import_heirs"))
    response = client.get(reverse("admin:targeting_heirfollowup_import_template"))
    assert response.status_code == 200

    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert [c.value for c in sheet[1]] == HEADER
    sheet.append([worker.nik, "Bima", "Anak", "01-07-2014", "", "SD"])
    filled = io.BytesIO()
    workbook.save(filled)

    [row] = build_plan(HeirImporter(), filled.getvalue(), "template.xlsx").rows
    assert (row.status, row.errors) == (NEW, [])
    assert row.data["school_level"] == SchoolLevel.SD
    assert row.data["birth_date"] == datetime.date(2014, 7, 1)


def test_the_followup_list_masks_niks_without_the_full_nik_permission(client):
    """Issue 11: a planted bug showing full NIKs here went unnoticed; staff without
    ``view_full_nik`` see 3577********0001, with it the whole NIK."""
    worker = WorkerFactory(full_name="Tanpa Ahli Waris")
    heir_worker = WorkerFactory(full_name="Ahli Waris Belum Lengkap")
    HeirFactory(worker=heir_worker, birth_date=None, nik="3577015505100002")
    url = reverse("admin:targeting_heirfollowup_changelist")

    client.force_login(user_with("view_heirfollowup"))
    page = client.get(url).content.decode()
    assert "Tanpa Ahli Waris" in page and "Ahli Waris Belum Lengkap" in page
    for nik in (worker.nik, heir_worker.nik, "3577015505100002"):
        assert nik not in page
    assert f"{worker.nik[:4]}********{worker.nik[-4:]}" in page

    client.force_login(user_with("view_heirfollowup", "view_full_nik", username="kepala"))
    assert worker.nik in client.get(url).content.decode()


def test_the_followup_page_links_the_scholarship_list_for_staff_who_may_see_claims(client):
    url = reverse("admin:targeting_heirfollowup_changelist")
    scholarship = reverse("admin:enrollment_claim_scholarship")
    client.force_login(user_with("view_heirfollowup"))
    assert scholarship not in client.get(url).content.decode()
    client.force_login(user_with("view_heirfollowup", "view_claim", username="klaim"))
    assert scholarship in client.get(url).content.decode()
