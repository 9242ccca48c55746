"""Another payer's list of covered NIKs: uploaded through the importer, checked against the year."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from dedup.models import OtherCover, PayerKind
from dedup.selectors import double_cover, other_payers
from enrollment.models import EnrollmentStatus
from importer.models import ImportJob, ImportStatus
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.factories import WorkerFactory
from tests.targeting.conftest import user_with, xlsx

pytestmark = pytest.mark.django_db
PROVINCE = "APBD Provinsi Jawa Timur"


def _upload(client, year, rows, payer=PROVINCE):
    response = client.post(
        reverse("admin:dedup_othercover_import"),
        {
            "import_file": SimpleUploadedFile("provinsi.xlsx", xlsx(rows)),
            "program_year": year.pk,
            "payer": payer,
            "payer_kind": PayerKind.PROVINCE,
        },
    )
    assert response.status_code == 302, response.context.get("file_error")
    job = ImportJob.objects.latest("pk")
    assert response["Location"] == reverse("admin:dedup_othercover_import_preview", args=[job.pk])
    client.post(
        reverse("admin:dedup_othercover_process_import"), {"job": job.pk, "skip_invalid": "1"}
    )
    job.refresh_from_db()
    return job


def test_uploaded_list_shows_who_is_covered_twice(client):
    year = ProgramYearFactory(year=2024)
    proposed, verified, elsewhere_only = WorkerFactory.create_batch(3)
    EnrollmentFactory(worker=proposed, program_year=year)
    EnrollmentFactory(worker=verified, program_year=year, status=EnrollmentStatus.REJECTED)
    client.force_login(user_with("view_othercover", "import_other_cover", "view_full_nik"))

    job = _upload(
        client,
        year,
        [["NIK", "Nama"], [proposed.nik, proposed.full_name], [elsewhere_only.nik, "X"],
         ["12345", "bukan NIK"]],
    )  # fmt: skip

    assert job.status == ImportStatus.IMPORTED and job.rows_invalid == 1
    assert OtherCover.objects.count() == 2
    assert other_payers(program_year_id=year.pk, nik=proposed.nik) == [PROVINCE]
    # Only the open enrollment counts; the rejected one and the unenrolled worker do not.
    assert [row["nik"] for row in double_cover(year)] == [proposed.nik]
    page = client.get(reverse("admin:dedup_othercover_double") + "?year=2024").content.decode()
    assert proposed.full_name in page and PROVINCE in page
    assert elsewhere_only.full_name not in page


def test_a_new_list_of_the_same_payer_replaces_the_old_one(client):
    year = ProgramYearFactory(year=2024)
    a, b = WorkerFactory.create_batch(2)
    client.force_login(user_with("view_othercover", "import_other_cover"))
    _upload(client, year, [["NIK", "Nama"], [a.nik, "A"]])
    _upload(client, year, [["NIK", "Nama"], [b.nik, "B"]])
    assert list(OtherCover.objects.values_list("nik", flat=True)) == [b.nik]


def test_importing_needs_its_permission(client):
    ProgramYearFactory(year=2024)
    client.force_login(user_with("view_othercover"))
    assert client.get(reverse("admin:dedup_othercover_import")).status_code == 403


def test_eligibility_warns_for_a_worker_another_payer_covers():
    from enrollment.eligibility import enrollment_eligibility

    year = ProgramYearFactory(year=2024)
    worker = WorkerFactory()
    OtherCover.objects.create(
        program_year=year, payer=PROVINCE, payer_kind=PayerKind.PROVINCE, nik=worker.nik
    )
    result = enrollment_eligibility(worker=worker, program_year=year)
    codes = {f.code: str(f) for f in result.warnings}
    assert codes["covered_by_other_payer"] == (
        f"Penanggung lain sudah menjamin NIK ini tahun ini: {PROVINCE}."
    )
    assert result.is_eligible  # a warning: staff decide
