"""The yearly update (pemutakhiran): a kelurahan's form out, answers back through the services,
a death ending cover, corrections audited, refusals named, renewal of the confirmed only
(issue 16, point 3)."""

import datetime
import io

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from enrollment import renewal
from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear, TerminationReason
from importer.engine import INVALID, UNCHANGED, UPDATED, apply_plan, build_plan
from participants.models import Heir, Kelurahan, Worker
from proposals.models import Answer, UpdateAnswer, UpdateRound
from proposals.resources import YearlyUpdateImporter
from proposals.selectors import update_progress
from tests.enrollment.factories import EnrollmentFactory, ProgramYearFactory
from tests.enrollment.helpers import advance
from tests.factories import WorkerFactory

from .helpers import fill_form

S = EnrollmentStatus
pytestmark = pytest.mark.django_db
JUNE = datetime.datetime(2024, 6, 3, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def kartoharjo(db):
    return Kelurahan.objects.get(name="Kartoharjo")


@pytest.fixture
def participants(year, kartoharjo):
    """Three active participants in Kartoharjo and one elsewhere."""
    elsewhere = Kelurahan.objects.exclude(pk=kartoharjo.pk).first()
    people = [WorkerFactory(kelurahan=kartoharjo) for _ in range(3)]
    outside = WorkerFactory(kelurahan=elsewhere)
    for worker in [*people, outside]:
        advance(EnrollmentFactory(program_year=year, worker=worker), S.ACTIVE)
    return people


def download(client, operator, year, kelurahan) -> bytes:
    client.force_login(operator)
    response = client.get(
        reverse("admin:proposals_updateround_form"), {"year": year.year, "kelurahan": kelurahan.pk}
    )
    assert response.status_code == 200
    return response.content


def importer(year, kelurahan):
    return YearlyUpdateImporter(program_year_id=year.pk, kelurahan_id=kelurahan.pk)


def test_the_form_lists_the_kelurahan_participants_with_text_niks(
    client, operator, year, kartoharjo, participants
):
    data = download(client, operator, year, kartoharjo)
    sheet = load_workbook(io.BytesIO(data)).active
    niks = [sheet.cell(row=r, column=2).value for r in range(5, sheet.max_row + 1)]
    assert sorted(niks) == sorted(w.nik for w in participants)
    assert sheet.cell(row=5, column=2).number_format == "@"
    round_ = UpdateRound.objects.get(program_year=year, kelurahan=kartoharjo)
    assert round_.form_downloaded_by == operator and not round_.is_done


def test_round_trip_with_a_death_ends_cover_and_renewal_takes_the_confirmed(
    client, operator, year, kartoharjo, participants
):
    working, dead, silent = participants
    form = download(client, operator, year, kartoharjo)
    filled = fill_form(
        form,
        {
            working.nik: {"Masih Bekerja": "v", "No HP Baru": "0813-1111-2222",
                          "Nama Ahli Waris Baru": "Rudi", "Hubungan Ahli Waris": "Anak"},
            dead.nik: {"Meninggal (Tanggal)": "20-05-2024"},
        },
    )  # fmt: skip
    with time_machine.travel(JUNE, tick=False):
        plan = build_plan(importer(year, kartoharjo), filled, "kartoharjo.xlsx")
        by_nik = {r.key: r for r in plan.rows}
        assert by_nik[working.nik].status == UPDATED
        assert by_nik[dead.nik].status == UPDATED
        assert by_nik[silent.nik].status == UNCHANGED  # not answered: nothing changes
        apply_plan(importer(year, kartoharjo), plan, user=operator)

    dead.refresh_from_db()
    assert dead.death_date == datetime.date(2024, 5, 20)
    cover = Enrollment.objects.get(worker=dead, program_year=year)
    assert cover.status == S.TERMINATED
    assert cover.termination_reason == TerminationReason.DECEASED
    assert cover.coverage_end == datetime.date(2024, 5, 20)

    working.refresh_from_db()
    assert working.phone == "+6281311112222"
    latest = working.history.latest()
    assert latest.history_user == operator and "2024" in latest.history_change_reason
    assert Heir.objects.filter(worker=working, name="Rudi").exists()

    round_ = UpdateRound.objects.get(program_year=year, kelurahan=kartoharjo)
    assert round_.is_done and round_.completed_by == operator
    assert round_.report["answers"][Answer.DIED] == 1
    assert dict(UpdateAnswer.objects.values_list("worker__nik", "answer")) == {
        working.nik: Answer.WORKING,
        dead.nik: Answer.DIED,
    }
    row = next(r for r in update_progress(year) if r.kelurahan == kartoharjo)
    assert (row.participants, row.working, row.died, row.unanswered, row.done) == (3, 1, 1, 1, True)

    next_year = ProgramYearFactory(year=2025, budget=1_000_000_000)
    with time_machine.travel(datetime.datetime(2024, 12, 1, 9, 0, tzinfo=datetime.UTC)):
        report = renewal.enrollments_renew(from_year=year, to_year=next_year, user=operator)
        assert report.created == [working.pk]
        reasons = {r.worker_id: r.reason for r in report.not_renewed}
        # The dead person's cover was terminated: not a renewal source at all. The unanswered
        # one and the participant of another kelurahan (not asked yet) are held back.
        assert silent.pk in reasons and dead.pk not in reasons
        assert "2024" in reasons[silent.pk]
        assert len(report.not_renewed) == 2

        report = renewal.enrollments_renew(
            from_year=year,
            to_year=next_year,
            user=operator,
            include_unconfirmed_reason="Kelurahan belum mengembalikan formulir",
        )
    renewed = set(report.created)
    assert silent.pk in renewed and dead.pk not in renewed  # the dead stay out (eligibility)
    note = Enrollment.objects.get(worker=silent, program_year=next_year).status_note
    assert "Kelurahan belum mengembalikan formulir" in note


def test_a_year_whose_update_never_began_is_renewed_as_before(year, participants, operator):
    next_year = ProgramYearFactory(year=2025, budget=1_000_000_000)
    with time_machine.travel(datetime.datetime(2024, 12, 1, 9, 0, tzinfo=datetime.UTC)):
        report = renewal.enrollments_renew(from_year=year, to_year=next_year, user=operator)
    assert len(report.created) == 4


def test_refused_rows_name_the_row_the_column_and_why(
    client, operator, year, kartoharjo, participants
):
    first, second, third = participants
    stranger = WorkerFactory()
    form = download(client, operator, year, kartoharjo)
    filled = fill_form(
        form,
        {
            first.nik: {"Masih Bekerja": "v", "Pindah": "v"},
            second.nik: {"Tidak Ditemukan": "mungkin"},
            third.nik: {"Meninggal (Tanggal)": "01-01-1900"},
        },
    )
    sheet = load_workbook(io.BytesIO(filled)).active
    sheet.append([99, stranger.nik, stranger.full_name, None, None, None, None, "v"])
    sheet.append(
        [100, first.nik, "lagi", None, None, None, None, None, None, None, None, "Jl. Baru"]
    )
    buffer = io.BytesIO()
    sheet.parent.save(buffer)
    with time_machine.travel(JUNE, tick=False):
        plan = build_plan(importer(year, kartoharjo), buffer.getvalue(), "kartoharjo.xlsx")
    refused = {
        (e.row, e.column, e.code) for r in plan.rows if r.status == INVALID for e in r.errors
    }
    rows = {}
    for planned in plan.rows:
        rows.setdefault(planned.key, planned.row)
    assert (rows[first.nik], "Masih Bekerja, Pindah", "several_answers") in refused
    assert any(code == "tick_invalid" and col == "Tidak Ditemukan" for _r, col, code in refused)
    assert any(code == "death_before_birth" for _r, _c, code in refused)
    assert any(code == "not_a_participant" and col == "NIK" for _r, col, code in refused)
    assert any(code == "duplicate_in_file" for _r, _c, code in refused)
    assert any(code == "answer_missing" for _r, _c, code in refused)
    assert not Worker.objects.filter(death_date__isnull=False).exists()


def test_the_upload_through_the_admin_marks_the_kelurahan_done(
    client, operator, year, kartoharjo, participants
):
    form = download(client, operator, year, kartoharjo)
    filled = fill_form(form, {w.nik: {"Masih Bekerja": "v"} for w in participants})
    upload = io.BytesIO(filled)
    upload.name = "kembali.xlsx"
    response = client.post(
        reverse("admin:proposals_updateround_import"),
        {"import_file": upload, "program_year": year.pk, "kelurahan": kartoharjo.pk},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    preview = client.get(response["Location"])
    assert preview.status_code == 200
    job = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    done = client.post(reverse("admin:proposals_updateround_process_import"), {"job": job})
    assert done.status_code == 302
    assert done["Location"].endswith(f"?year={year.year}")
    page = client.get(done["Location"]).content.decode()
    assert "Kartoharjo" in page
    assert UpdateRound.objects.get(program_year=year, kelurahan=kartoharjo).is_done
    assert UpdateAnswer.objects.filter(answer=Answer.WORKING).count() == 3
    assert ProgramYear.objects.count() >= 1


@pytest.mark.parametrize(
    "name", ["sparse_max_range.xlsx", "zip_bomb.xlsx", "huge_dimensions.xls", "wide_row.csv"]
)
def test_hostile_files_are_refused_with_a_message_and_nothing_is_written(
    year, kartoharjo, participants, name
):
    from pathlib import Path

    from importer.errors import FileRejected
    from proposals.models import SourceKind
    from proposals.resources import ProposalImporter

    data = (Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / name).read_bytes()
    for importer_ in (
        importer(year, kartoharjo),
        ProposalImporter(
            program_year_id=year.pk, source_kind=SourceKind.GROUP, source_name="Komunitas"
        ),
    ):
        with pytest.raises(FileRejected) as refused:
            build_plan(importer_, data, name)
        assert refused.value.message
    assert not UpdateAnswer.objects.exists()
