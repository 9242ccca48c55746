"""Candidates and spreadsheets for the proposal and yearly-update tests."""

from __future__ import annotations

import datetime
import io

from openpyxl import Workbook, load_workbook

from participants.models import Kelurahan, Segment, Sex, WorkerType
from proposals.models import SourceKind
from tests.factories import make_nik

_serial = iter(range(7000, 9000))


def candidate(**overrides) -> dict:
    """The fields of a valid candidate (a woman born 1985 in Kartoharjo, an ojol BPU)."""
    born = overrides.pop("birth_date", datetime.date(1985, 3, 12))
    sex = overrides.pop("sex", Sex.FEMALE)
    data = {
        "nik": make_nik(birth_date=born, sex=sex, serial=next(_serial)),
        "full_name": "Siti Rahayu",
        "birth_place": "Madiun",
        "birth_date": born,
        "sex": sex,
        "address": "Jl. Kelun No. 5",
        "kelurahan": Kelurahan.objects.get(name="Kartoharjo"),
        "phone": "081234567890",
        "worker_type": WorkerType.BPU,
        "segment": Segment.objects.get(code="ojol"),
        "monthly_income": 1_000_000,
    }
    data.update(overrides)
    return data


def submitted(proposer, year, **overrides):
    from proposals.services import proposal_submit

    return proposal_submit(
        user=proposer,
        program_year=year,
        source_kind=SourceKind.KELURAHAN,
        source_name="Kelurahan Kartoharjo",
        **candidate(**overrides),
    )


def xlsx(rows: list[list], *, sheet: str = "Sheet1", header_row: int = 1) -> bytes:
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    for index, values in enumerate(rows, start=header_row):
        for column, value in enumerate(values, start=1):
            ws.cell(row=index, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def fill_form(data: bytes, answers: dict[str, dict[str, object]]) -> bytes:
    """The downloaded update form with ``answers`` (NIK → {header: value}) filled in."""
    workbook = load_workbook(io.BytesIO(data))
    ws = workbook.active
    headers = {ws.cell(row=4, column=c).value: c for c in range(1, ws.max_column + 1)}
    for row in range(5, ws.max_row + 1):
        nik = ws.cell(row=row, column=headers["NIK"]).value
        for header, value in answers.get(nik, {}).items():
            ws.cell(row=row, column=headers[header], value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
