"""What an imported row may contain and how the preview shows it (issues 11, 12 and 13):
ASCII-digit NIKs, identity conflicts, old → new of every field, warnings, unknown income,
exact rupiah, invisible characters, audit history of everything written, masked NIKs."""

import datetime
import io
import json

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook

from importer.models import ImportJob, ImportStatus
from importer.services import import_staged_plan
from participants.models import Heir, Kelurahan, Relationship, Segment, Worker, WorkerType
from participants.resources import WorkerImporter
from tests.factories import HeirFactory, UserFactory, WorkerFactory

IMPORT_URL = reverse("admin:participants_worker_import")
CONFIRM_URL = reverse("admin:participants_worker_process_import")

pytestmark = pytest.mark.django_db

HEADER = "NIK,Nama,Tgl Lahir,JK,Kelurahan,Kecamatan,Jenis Pekerja,Kategori,Penghasilan"
HEIR_HEADER = f"{HEADER},Nama Ahli Waris,Hubungan Ahli Waris,Tgl Lahir Ahli Waris"
BUDI = "3577011204850001"  # born 12-04-1985, man, kecamatan 01 (Kartoharjo)


def csv_bytes(*lines: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *lines]) + "\n").encode()


@pytest.fixture(autouse=True)
def private_staging_dir(settings, tmp_path):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"


@pytest.fixture
def uploader(client):
    user = UserFactory(username="petugas")
    user.user_permissions.add(
        Permission.objects.get(codename="import_workers"),
        Permission.objects.get(codename="view_worker"),
        Permission.objects.get(codename="view_importjob"),
    )
    client.force_login(user)
    client.user = user
    return client


def upload(client, content: bytes, name="daftar.csv") -> ImportJob:
    response = client.post(IMPORT_URL, {"import_file": SimpleUploadedFile(name, content)})
    assert response.status_code == 302, response.content.decode()[:500]
    return ImportJob.objects.latest("pk")


def preview(client, job, status="") -> str:
    url = reverse("admin:participants_worker_import_preview", args=[job.pk])
    return client.get(url + (f"?status={status}" if status else "")).content.decode()


def plan_of(job):
    return import_staged_plan(job)


def registered_budi(**fields):
    defaults = dict(
        nik=BUDI,
        full_name="Budi Santoso",
        birth_date=datetime.date(1985, 4, 12),
        sex="L",
        kelurahan=Kelurahan.objects.get(name="Kartoharjo"),
        segment=Segment.objects.get(code="ojol"),
        monthly_income=1_500_000,
    )
    return WorkerFactory(**(defaults | fields))


# --- NIK/KK: ASCII digits only, kecamatan code warning (issue 11 req 7) -------------------


@pytest.mark.parametrize(
    "nik", ["３５７７０１１２０４８５０００１", "٣٥٧٧٠١١٢٠٤٨٥٠٠٠١", "357701120485000１"]
)
def test_a_nik_in_other_digits_is_invalid_never_new(uploader, nik):
    job = upload(uploader, csv_bytes(f"{nik},Budi,12-04-1985,L,Kartoharjo,,BPU,PKL,"))
    assert (job.rows_new, job.rows_invalid) == (0, 1)
    row = plan_of(job).rows[0]
    assert [e.code for e in row.errors] == ["nik_not_digits"]
    assert "0-9" in row.errors[0].message
    assert row.key == nik  # the NIK as typed, so staff can find the row
    uploader.post(CONFIRM_URL, {"job": job.pk, "skip_invalid": "1"})
    assert not Worker.objects.exists()


def test_a_kk_number_in_fullwidth_digits_is_invalid(uploader):
    content = csv_bytes(
        f"{BUDI},Budi,12-04-1985,L,Kartoharjo,,BPU,PKL,,３５７７０１０１０１０９０００１",
        header=f"{HEADER},No KK",
    )
    job = upload(uploader, content)
    assert [e.code for e in plan_of(job).rows[0].errors] == ["kk_not_digits"]


def test_a_city_nik_with_a_kecamatan_the_city_lacks_is_a_warning(uploader):
    job = upload(uploader, csv_bytes("3577071204850001,Budi,12-04-1985,L,Kartoharjo,,BPU,PKL,"))
    assert job.rows_new == 1  # a warning, not an error
    row = plan_of(job).rows[0]
    assert any("07" in w for w in row.warnings)
    assert "07" in preview(uploader, job)


def test_invalid_rows_show_the_nik_as_typed(uploader):
    job = upload(uploader, csv_bytes("3577O11204850001,Budi,12-04-1985,L,Kartoharjo,,BPU,PKL,"))
    assert plan_of(job).rows[0].key == "3577O11204850001"
    assert "3577********0001" in preview(uploader, job)  # masked for this member of staff


# --- identity conflicts (issue 11 req 8) --------------------------------------------------


def test_same_nik_with_another_name_and_birth_date_is_a_conflict_shown_apart(uploader):
    registered_budi()
    job = upload(uploader, csv_bytes(f"{BUDI},Slamet Riyadi,01-01-1970,L,Kartoharjo,,BPU,PKL,"))
    assert (job.rows_updated, job.rows_conflict) == (0, 1)
    page = preview(uploader, job)
    section = page[page.index('id="identity-conflicts"') :]
    assert "Budi Santoso" in section and "Slamet Riyadi" in section
    assert "12-04-1985" in section and "01-01-1970" in section
    assert 'name="accept_conflict" value="2"' in section
    segment = Segment.objects.get(code="ojol").name
    assert f'class="registered-record">Budi Santoso, 12-04-1985, Kartoharjo, {segment}' in section


def test_a_conflict_is_never_written_by_confirm_alone(uploader):
    registered_budi()
    other = "3577025203900002"
    job = upload(
        uploader,
        csv_bytes(
            f"{BUDI},Slamet Riyadi,01-01-1970,L,Kartoharjo,,BPU,PKL,",
            f"{other},Ani,12-03-1990,P,Madiun Lor,,BPU,PKL,",
        ),
    )
    response = uploader.post(CONFIRM_URL, {"job": job.pk}, follow=True)
    assert Worker.objects.get(nik=BUDI).full_name == "Budi Santoso"
    assert Worker.objects.filter(nik=other).exists()  # the ordinary row went in
    assert "1 konflik identitas" in response.content.decode()


def test_a_conflict_is_never_written_with_import_valid_rows_alone(uploader):
    registered_budi()
    job = upload(
        uploader,
        csv_bytes(
            f"{BUDI},Slamet Riyadi,01-01-1970,L,Kartoharjo,,BPU,PKL,",
            "3577025203900002,Ani,12-03-1990,P,Atlantis,,BPU,PKL,",
        ),
    )
    uploader.post(CONFIRM_URL, {"job": job.pk, "skip_invalid": "1"})
    assert Worker.objects.get(nik=BUDI).full_name == "Budi Santoso"
    job.refresh_from_db()
    assert job.status == ImportStatus.IMPORTED


def test_a_ticked_conflict_is_written_with_the_user_in_its_history(uploader):
    budi = registered_budi()
    job = upload(uploader, csv_bytes(f"{BUDI},Slamet Riyadi,01-01-1970,L,Kartoharjo,,BPU,PKL,"))
    # a forged row number that is not a conflict is ignored
    uploader.post(CONFIRM_URL, {"job": job.pk, "accept_conflict": ["2", "99", "x"]})
    budi.refresh_from_db()
    assert (budi.full_name, budi.birth_date) == ("Slamet Riyadi", datetime.date(1970, 1, 1))
    job.refresh_from_db()
    assert job.accepted_conflicts == [2]
    latest = budi.history.latest()
    assert (latest.history_type, latest.history_user) == ("~", uploader.user)


def test_a_changed_name_alone_or_birth_date_alone_is_an_ordinary_update(uploader):
    registered_budi()
    WorkerFactory(nik="3577025203900002", full_name="Ani", birth_date=datetime.date(1990, 3, 12))
    job = upload(
        uploader,
        csv_bytes(
            f"{BUDI},Budi Santosa,12-04-1985,L,Kartoharjo,,BPU,PKL,",
            "3577025203900002,Ani,13-03-1990,P,Madiun Lor,,BPU,PKL,",
        ),
    )
    assert (job.rows_updated, job.rows_conflict) == (2, 0)


def test_the_same_name_in_other_capitals_is_not_another_person(uploader):
    registered_budi()
    job = upload(uploader, csv_bytes(f"{BUDI},BUDI  SANTOSO,01-01-1970,L,Kartoharjo,,BPU,PKL,"))
    assert (job.rows_updated, job.rows_conflict) == (1, 0)


def test_the_command_writes_a_conflict_only_when_named(capsys, tmp_path):
    UserFactory(username="importir", is_superuser=True)
    registered_budi()
    path = tmp_path / "daftar.csv"
    path.write_bytes(csv_bytes(f"{BUDI},Slamet Riyadi,01-01-1970,L,Kartoharjo,,BPU,PKL,"))
    call_command("import_workers", str(path), "--json", "--user", "importir")
    report = json.loads(capsys.readouterr().out)
    assert report["conflicts"] == [
        {"row": 2, "nik": BUDI, "accepted": False, "message": report["conflicts"][0]["message"]}
    ]
    assert "Budi Santoso" in report["conflicts"][0]["message"]
    assert Worker.objects.get(nik=BUDI).full_name == "Budi Santoso"
    call_command(
        "import_workers", str(path), "--json", "--user", "importir", "--accept-conflict", "2"
    )
    assert json.loads(capsys.readouterr().out)["conflicts"][0]["accepted"] is True
    assert Worker.objects.get(nik=BUDI).full_name == "Slamet Riyadi"


def test_the_resource_api_never_writes_a_conflict():
    import tablib

    from participants.resources import WorkerResource

    registered_budi()
    data = tablib.Dataset(headers=HEADER.split(","))
    data.append([BUDI, "Slamet Riyadi", "01-01-1970", "L", "Kartoharjo", "", "BPU", "PKL", ""])
    result = WorkerResource().import_data(data, dry_run=False, user=UserFactory(username="api"))
    assert result.has_validation_errors()
    assert Worker.objects.get(nik=BUDI).full_name == "Budi Santoso"


# --- the preview: old → new of every field, kelurahan, segment, heirs, warnings ----------


def test_an_update_shows_old_and_new_of_every_changed_field(uploader):
    budi = registered_budi()
    HeirFactory(worker=budi, name="Siti Aminah", relationship="spouse")
    content = csv_bytes(
        f"{BUDI},Budi Santoso,12-04-1985,L,Madiun Lor,,BPU,PKK,Rp 2.000.000,Tono,Anak,01-02-2015",
        header=HEIR_HEADER,
    )
    job = upload(uploader, content)
    assert job.rows_updated == 1
    changes = plan_of(job).rows[0].changes
    assert changes["kelurahan_id"] == ["Kartoharjo", "Madiun Lor"]
    assert changes["segment_id"] == [
        Segment.objects.get(code="ojol").name,
        Segment.objects.get(code="pkk").name,
    ]
    assert changes["monthly_income"] == ["Rp 1.500.000", "Rp 2.000.000"]
    assert changes["heir"][0].startswith("Siti Aminah")
    assert "Tono" in changes["heir"][1] and "Siti Aminah" in changes["heir"][1]
    page = preview(uploader, job, "updated")
    assert "<del>Kartoharjo</del> &rarr; Madiun Lor" in page
    assert "<del>Rp 1.500.000</del> &rarr; Rp 2.000.000" in page


def test_a_new_row_shows_kelurahan_segment_and_heir(uploader):
    content = csv_bytes(
        f"{BUDI},Budi Santoso,12-04-1985,L,KARTOHARJO,,BPU,ojol,,Siti Aminah,Istri,01-02-1987",
        header=HEIR_HEADER,
    )
    job = upload(uploader, content)
    page = preview(uploader, job, "new")
    segment = Segment.objects.get(code="ojol").name
    assert "Kelurahan: Kartoharjo" in page  # as matched, not as typed
    assert f"Kategori: {segment}" in page
    spouse = str(Relationship.SPOUSE.label)
    assert f"Siti Aminah ({spouse}, 01-02-1987)" in page


def test_a_birth_date_the_nik_disagrees_with_is_a_warning(uploader):
    registered_budi(full_name="Budi")
    job = upload(uploader, csv_bytes(f"{BUDI},Budi,13-04-1985,L,Kartoharjo,,BPU,PKL,"))
    assert job.rows_updated == 1
    row = plan_of(job).rows[0]
    assert row.changes["birth_date"] == ["12-04-1985", "13-04-1985"]
    assert any("120485" in w for w in row.warnings)
    assert "120485" in preview(uploader, job)


# --- income: unknown is NULL, rupiah read exactly (issues 12 req 11, 11 req 13) -----------


def test_an_absent_income_is_unknown_not_zero(uploader):
    job = upload(
        uploader,
        csv_bytes(
            f"{BUDI},Budi,12-04-1985,L,Kartoharjo,,PU,PKL,",
            "3577025203900002,Ani,12-03-1990,P,Madiun Lor,,BPU,PKL,Rp 16.800,00",
        ).replace(b"Rp 16.800,00", b'"Rp 16.800,00"'),
    )
    uploader.post(CONFIRM_URL, {"job": job.pk})
    assert Worker.objects.get(nik=BUDI).monthly_income is None
    assert Worker.objects.get(nik="3577025203900002").monthly_income == 16_800


def test_an_empty_income_cell_never_erases_a_known_one(uploader):
    registered_budi(monthly_income=2_000_000)
    job = upload(uploader, csv_bytes(f"{BUDI},Budi Santoso,12-04-1985,L,Kartoharjo,,BPU,ojol,"))
    assert job.rows_unchanged == 1


@pytest.mark.parametrize(
    ("cell", "code"), [('"11.827,168"', "money_not_whole"), ('"1,500"', "money_ambiguous")]
)
def test_an_income_with_a_fraction_or_two_readings_is_refused(uploader, cell, code):
    job = upload(uploader, csv_bytes(f"{BUDI},Budi,12-04-1985,L,Kartoharjo,,BPU,PKL,{cell}"))
    assert [e.code for e in plan_of(job).rows[0].errors] == [code]


def test_a_wage_earner_with_unknown_income_cannot_be_proposed():
    """In a year priced on each worker's declared wage (a UMK year needs no wage)."""
    from django.core.exceptions import ValidationError

    from enrollment import services
    from enrollment.models import WageBase
    from tests.enrollment.factories import ProgramYearFactory

    worker = WorkerFactory(worker_type=WorkerType.PU, monthly_income=None)
    year = ProgramYearFactory(year=datetime.date.today().year, pu_wage_base=WageBase.DECLARED)
    with pytest.raises(ValidationError) as exc:
        services.enrollment_propose(
            worker=worker, program_year=year, user=None, risk_class="sedang"
        )
    assert exc.value.code == "wage_missing"


# --- invisible characters in names and addresses (issue 13 req 8) ---------------------------


@pytest.mark.parametrize("char", ["\u202e", "\u2066", "\u200b", "\ufeff", "\u2060"])
def test_bidi_and_zero_width_characters_are_refused_in_names_and_addresses(uploader, char):
    content = csv_bytes(
        f"{BUDI},Bu{char}di,12-04-1985,L,Kartoharjo,,BPU,PKL,,Jl. Mawar{char} 1",
        header=f"{HEADER},Alamat",
    )
    job = upload(uploader, content)
    errors = plan_of(job).rows[0].errors
    assert [(e.column, e.code) for e in errors] == [
        ("Nama", "invisible_character"),
        ("Alamat", "invisible_character"),
    ]


def test_the_worker_form_refuses_them_too(admin_client):
    from tests.factories import worker_admin_form

    data = worker_admin_form(full_name="Budi\u202eoknasaS")
    response = admin_client.post(reverse("admin:participants_worker_add"), data)
    assert response.status_code == 200
    assert "U+202E" in response.content.decode()
    assert not Worker.objects.exists()


# --- audit: every row written has its history with the user (issue 13 req 5) ---------------


def test_every_worker_and_heir_written_has_history_with_the_user(uploader):
    budi = registered_budi(full_name="Budi S")
    content = csv_bytes(
        f"{BUDI},Budi Santoso,12-04-1985,L,Kartoharjo,,BPU,PKL,,Siti Aminah,Istri,01-02-1987",
        "3577025203900002,Ani,12-03-1990,P,Madiun Lor,,BPU,PKL,,Tono,Anak,01-02-2015",
        header=HEIR_HEADER,
    )
    job = upload(uploader, content)
    uploader.post(CONFIRM_URL, {"job": job.pk})
    assert Heir.objects.count() == 2
    for heir in Heir.objects.all():
        entry = heir.history.get()
        assert (entry.history_type, entry.history_user, entry.name) == (
            "+",
            uploader.user,
            heir.name,
        )
    for worker in Worker.objects.all():
        entry = worker.history.latest()
        assert entry.history_user == uploader.user
        assert entry.full_name == worker.full_name
    assert budi.history.latest().history_type == "~"


def test_the_command_needs_a_user_to_write(capsys, tmp_path):
    path = tmp_path / "daftar.csv"
    path.write_bytes(csv_bytes(f"{BUDI},Budi,12-04-1985,L,Kartoharjo,,BPU,PKL,"))
    with pytest.raises(CommandError) as exc:
        call_command("import_workers", str(path))
    assert exc.value.returncode == 3
    assert "--user" in str(exc.value)
    assert not Worker.objects.exists() and not ImportJob.objects.exists()
    call_command("import_workers", str(path), "--dry-run")  # checking writes nothing: allowed
    assert ImportJob.objects.get().status == ImportStatus.DRY_RUN


# --- NIKs in stored import errors are masked (issue 13 req 6) ------------------------------


def _job_with_nik_errors(uploader):
    registered_budi()
    return upload(
        uploader,
        csv_bytes(
            f"{BUDI},Budi Santoso,12-04-1985,L,Kartoharjo,,BPU,PKL,",
            f"{BUDI},Budi Santoso,12-04-1985,L,Kartoharjo,,BPU,PKL,",
        ),
    )


def test_the_import_job_page_masks_niks_for_other_staff(uploader, client):
    job = _job_with_nik_errors(uploader)
    assert any(BUDI in e["message"] for e in job.errors)
    url = reverse("admin:importer_importjob_change", args=[job.pk])
    page = uploader.get(url).content.decode()
    assert BUDI in page  # the uploader sees what they uploaded

    colleague = UserFactory(username="verifikator")
    colleague.user_permissions.add(Permission.objects.get(codename="view_importjob"))
    client.force_login(colleague)
    page = client.get(url).content.decode()
    assert client.get(url).status_code == 200
    assert BUDI not in page
    assert "3577********0001" in page

    colleague.user_permissions.add(Permission.objects.get(codename="view_full_nik"))
    client.force_login(colleague)
    assert BUDI in client.get(url).content.decode()


def test_the_invalid_rows_file_masks_niks_for_anyone_but_the_uploader(uploader, client):
    from importer.admin import job_text_for, may_see_full_niks

    job = _job_with_nik_errors(uploader)
    assert may_see_full_niks(job, uploader.user)
    colleague = UserFactory(username="verifikator")
    assert not may_see_full_niks(job, colleague)
    assert job_text_for(f"NIK {BUDI} dua kali", job, colleague) == "NIK 3577********0001 dua kali"

    url = reverse("admin:participants_worker_import_invalid_rows", args=[job.pk])
    sheet = load_workbook(io.BytesIO(uploader.get(url).content)).active
    assert BUDI in [c.value for c in sheet[2]]

    boss = UserFactory(username="kepala", is_superuser=True)  # may open any job
    boss_client = client
    boss_client.force_login(boss)
    assert boss_client.get(url).status_code == 200


def test_the_preview_rows_of_a_new_importer_instance_name_kelurahan():
    """preview_changes works on an importer rebuilt from the job (no plan_rows run)."""
    from importer.engine import NEW, PlannedRow

    kartoharjo = Kelurahan.objects.get(name="Kartoharjo")
    row = PlannedRow(2, NEW, BUDI, data={"full_name": "Budi", "kelurahan_id": kartoharjo.pk})
    shown = WorkerImporter().preview_changes(row)
    assert ("Kelurahan", None, "Kartoharjo") in shown
