"""Spreadsheets of proposals and of the yearly update, through the importer's engine.

``ProposalImporter`` reads a candidate list with the worker import's own columns, parsers and
row checks (``participants.resources.WorkerImporter``: NIK rules, kelurahan and segment
names, heirs, repeated NIKs) and writes each valid row as a proposal, not as a worker.
``YearlyUpdateImporter`` reads a kelurahan's returned update form (``update_form_xlsx``): one
answer per participant, corrections to address, phone and heirs; confirming applies each row
through the services and marks the kelurahan's update done.
Both get the engine's safe reading (size and extent bounds, formats, hostile files).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enrollment.models import ProgramYear
from importer.bulk import filter_in
from importer.columns import Column, ColumnSpec, Layout, Record
from importer.engine import (
    INVALID,
    NEW,
    UNCHANGED,
    UPDATED,
    PlannedRow,
    SpreadsheetImporter,
    check_repeat,
    invalid_row,
    shown,
)
from importer.errors import CellError
from importer.exports import safe_cell
from importer.parsers import (
    choice_parser,
    clean_text,
    parse_birth_date,
    parse_nik,
    parse_phone,
    safe_text_parser,
    text_parser,
)
from participants.models import Kelurahan, Relationship, Worker
from participants.privacy import mask_identity_number
from participants.resources import (
    RELATIONSHIP_LABELS,
    WorkerImporter,
    build_template,
    parse_death_date,
)
from participants.services import history_record_bulk

from .models import Answer, Proposal, ProposalStatus, SourceKind, UpdateRound
from .selectors import participants_for_update

# --- proposals ------------------------------------------------------------------------------

PROPOSAL_FIELDS = (
    "nik", "kk_number", "full_name", "birth_place", "birth_date", "sex", "address", "rt", "rw",
    "kelurahan_id", "phone", "worker_type", "segment_id", "employer_name", "monthly_income",
)  # fmt: skip


class ProposalImporter(WorkerImporter):
    """A candidate list as proposals for a program year, from one proposer and source."""

    kind = "proposals"
    title = gettext_lazy("candidate proposals (usulan)")
    permission = "proposals.add_proposal"

    def __init__(
        self,
        scope_user_id: int | None = None,
        *,
        check_duplicates: bool = False,
        program_year_id: int | None = None,
        source_kind: str = "",
        source_name: str = "",
    ) -> None:
        # A proposer limited to an area or group (accounts/scoping.py) proposes only people
        # inside it: the worker import's own row check. Possible duplicates are checked when
        # Disnaker accepts a proposal (proposals.services), not in the proposer's preview.
        super().__init__(scope_user_id, check_duplicates=check_duplicates)
        self.program_year_id = program_year_id
        self.source_kind = source_kind if source_kind in SourceKind.values else ""
        self.source_name = source_name.strip()[:150]

    def options(self) -> dict[str, Any]:
        return {
            **super().options(),
            "check_duplicates": self.check_duplicates,
            "program_year_id": self.program_year_id,
            "source_kind": self.source_kind,
            "source_name": self.source_name,
        }

    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        if not (self.program_year_id and self.source_kind and self.source_name):
            raise ValueError("A proposal list needs its program year and source.")
        records = list(records)
        self._open = set()
        niks = [r.values["nik"] for r in records if "nik" in r.values]
        for queryset in filter_in(
            Proposal.objects.filter(
                program_year_id=self.program_year_id, status=ProposalStatus.SUBMITTED
            ),
            "nik",
            niks,
        ):
            self._open.update(queryset.values_list("nik", flat=True))
        return super().plan_rows(layout, iter(records))

    def _check_death(self, record: Record, layout: Layout) -> None:
        if record.values.get("death_date"):
            record.add_error(
                layout.header_of("death_date"),
                "death_in_proposal",
                _("A proposal is for a living candidate; leave Tanggal Meninggal empty."),
            )
        nik = record.values.get("nik")
        if nik in self._open:
            record.add_error(
                layout.header_of("nik"),
                "already_proposed",
                _("NIK %(nik)s is already proposed for this year and waits for review.")
                % {"nik": nik},
            )

    def _classify(self, record, existing, heirs, heir) -> PlannedRow:
        # Every valid row becomes a proposal; the registry is only touched when it is accepted.
        values = record.values
        data = {f: values[f] for f in PROPOSAL_FIELDS if f in values}
        if heir:
            data["heir"] = heir
        return PlannedRow(record.row, NEW, values["nik"], data=data)

    def plan_notes(self, plan) -> list[str]:
        return [
            _(
                "Confirming sends the new rows as proposals for %(year)s from %(source)s; "
                "Disnaker reviews each one."
            )
            % {
                "year": ProgramYear.objects.get(pk=self.program_year_id).year,
                "source": self.source_name,
            }
        ]

    def write(self, rows: list[PlannedRow], *, user: Any) -> dict[str, int]:
        last = Proposal.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        proposals = []
        for planned in rows:
            data = dict(planned.data)
            heir = data.pop("heir", None) or {}
            proposals.append(
                Proposal(
                    program_year_id=self.program_year_id,
                    proposer=user,
                    source_kind=self.source_kind,
                    source_name=self.source_name,
                    heir_name=heir.get("name", ""),
                    heir_relationship=heir.get("relationship", ""),
                    heir_birth_date=heir.get("birth_date"),
                    heir_nik=heir.get("nik", ""),
                    **{
                        k: ("" if v is None and k != "monthly_income" else v)
                        for k, v in data.items()
                    },
                )
            )
        Proposal.objects.bulk_create(proposals, batch_size=1000)
        history_record_bulk(
            Proposal, lookup="proposer", values=[user.pk], history_type="+", user=user,
            reason=_("Spreadsheet import"), min_pk=last,
        )  # fmt: skip
        return {"new": len(proposals), "updated": 0}

    def template_bytes(self) -> bytes:
        return build_template()


# --- the yearly update -----------------------------------------------------------------------

UPDATE_SHEET = "Pemutakhiran"
TICKS = {"v", "√", "✓", "✔", "x", "ya", "y", "1", "true"}


def parse_tick(value: Any) -> bool:
    """A ticked box: v, ✓, x, ya or 1 (an empty cell is no answer)."""
    text = clean_text(value).casefold()
    if text in TICKS:
        return True
    raise CellError(
        _("%(value)s is not a tick; write v (or leave the cell empty).") % {"value": text},
        code="tick_invalid",
    )


ANSWER_FIELDS = {
    "working": Answer.WORKING,
    "moved": Answer.MOVED,
    "death_date": Answer.DIED,
    "not_found": Answer.NOT_FOUND,
}
CORRECTION_FIELDS = ("address", "phone")
UPDATE_HEIR_FIELDS = ("heir_name", "heir_relationship", "heir_birth_date", "heir_nik")

UPDATE_COLUMNS = ColumnSpec(
    [
        Column("nik", "NIK", required=True, parser=parse_nik),
        Column("full_name", "Nama", parser=text_parser(150)),
        Column("working", "Masih Bekerja", parser=parse_tick),
        Column("moved", "Pindah", parser=parse_tick),
        Column("death_date", "Meninggal (Tanggal)", ("Meninggal", "Tanggal Meninggal"),
               parser=parse_death_date),
        Column("not_found", "Tidak Ditemukan", parser=parse_tick),
        Column("address", "Alamat Baru", parser=safe_text_parser(255)),
        Column("phone", "No HP Baru", parser=parse_phone),
        Column("heir_name", "Nama Ahli Waris Baru", parser=safe_text_parser(150)),
        Column("heir_relationship", "Hubungan Ahli Waris",
               parser=choice_parser(RELATIONSHIP_LABELS, code="relationship_invalid",
                                    expected=["Suami", "Istri", "Anak", "Ayah", "Ibu",
                                              "Saudara", "Lainnya"])),
        Column("heir_birth_date", "Tgl Lahir Ahli Waris", parser=parse_birth_date),
        Column("heir_nik", "NIK Ahli Waris", parser=parse_nik),
    ]
)  # fmt: skip
# Shown on the form for the kelurahan to check, never read back.
INFO_HEADERS = (
    "No",
    "Tanggal Lahir",
    "Alamat Terdaftar",
    "No HP Terdaftar",
    "Ahli Waris Terdaftar",
)


class YearlyUpdateImporter(SpreadsheetImporter):
    """A kelurahan's returned update form for a program year."""

    kind = "yearly_update"
    title = gettext_lazy("yearly update form (pemutakhiran)")
    spec = UPDATE_COLUMNS
    preferred_sheet = UPDATE_SHEET
    permission = "proposals.run_yearly_update"
    max_columns = 40

    def __init__(self, *, program_year_id: int | None = None, kelurahan_id: int | None = None):
        self.program_year_id = program_year_id
        self.kelurahan_id = kelurahan_id

    def options(self) -> dict[str, Any]:
        return {"program_year_id": self.program_year_id, "kelurahan_id": self.kelurahan_id}

    def _scope(self) -> tuple[ProgramYear, Kelurahan]:
        return (
            ProgramYear.objects.get(pk=self.program_year_id),
            Kelurahan.objects.get(pk=self.kelurahan_id),
        )

    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        if not (self.program_year_id and self.kelurahan_id):
            raise ValueError("An update form needs its program year and kelurahan.")
        year, kelurahan = self._scope()
        people = {w.nik: w for w in participants_for_update(year, kelurahan)}
        seen: dict[str, int] = {}
        planned = []
        for record in records:
            values = record.values
            worker = people.get(values.get("nik"))
            if "nik" in values:
                check_repeat(record, layout, "nik", values["nik"], seen)
                if worker is None:
                    record.add_error(
                        layout.header_of("nik"),
                        "not_a_participant",
                        _(
                            "NIK %(nik)s is not a %(year)s participant of Kelurahan "
                            "%(kelurahan)s; add new people as proposals, not on this form."
                        )
                        % {"nik": values["nik"], "year": year.year, "kelurahan": kelurahan.name},
                    )
            answers = [f for f in ANSWER_FIELDS if f in values]
            corrections = [f for f in (*CORRECTION_FIELDS, *UPDATE_HEIR_FIELDS) if f in values]
            if len(answers) > 1:
                record.add_error(
                    ", ".join(layout.header_of(f) for f in answers),
                    "several_answers",
                    _("Fill in only one of: Masih Bekerja, Pindah, Meninggal (Tanggal), "
                      "Tidak Ditemukan."),
                )  # fmt: skip
            elif not answers and corrections:
                record.add_error(
                    layout.header_of("working") if "working" in layout.positions else "",
                    "answer_missing",
                    _("A correction needs an answer too: tick Masih Bekerja (or another)."),
                )
            if worker is not None:
                self._check_worker(record, layout, worker, answers)
            if values.get("heir_name") or values.get("heir_relationship"):
                for required in ("heir_name", "heir_relationship"):
                    if required not in values and required in layout.positions:
                        header = layout.header_of(required)
                        record.add_error(
                            header, "heir_incomplete", _("%(column)s must be filled in.")
                            % {"column": header},
                        )  # fmt: skip
            if record.errors:
                planned.append(invalid_row(record))
                continue
            if not answers:
                planned.append(PlannedRow(record.row, UNCHANGED, values["nik"]))
                continue
            planned.append(self._row(record, worker, ANSWER_FIELDS[answers[0]]))
        return planned

    def _check_worker(
        self, record: Record, layout: Layout, worker: Worker, answers: list[str]
    ) -> None:
        values = record.values
        death = values.get("death_date")
        if death and death < worker.birth_date:
            record.add_error(
                layout.header_of("death_date"),
                "death_before_birth",
                _("Date of death is before the date of birth (%(born)s).")
                % {"born": shown(worker.birth_date)},
            )
        if worker.death_date and answers and answers != ["death_date"]:
            record.add_error(
                layout.header_of(answers[0]),
                "already_deceased",
                _("The registry records this person's death on %(date)s.")
                % {"date": shown(worker.death_date)},
            )
        if values.get("heir_nik") and values["heir_nik"] == worker.nik:
            record.add_error(
                layout.header_of("heir_nik"),
                "heir_own_nik",
                _("An heir cannot have the worker's own NIK."),
            )

    def _row(self, record: Record, worker: Worker, answer: str) -> PlannedRow:
        values = record.values
        changes: dict[str, list[Any]] = {"answer": [None, str(Answer(answer).label)]}
        corrections = {}
        for name in CORRECTION_FIELDS:
            if name in values and values[name] != getattr(worker, name):
                corrections[name] = values[name]
                changes[name] = [getattr(worker, name) or None, values[name]]
        if answer == Answer.DIED:
            changes["death_date"] = [shown(worker.death_date), shown(values["death_date"])]
        heir = None
        if values.get("heir_name"):
            heir = {
                "name": values["heir_name"],
                "relationship": values["heir_relationship"],
                "birth_date": values.get("heir_birth_date"),
                "nik": values.get("heir_nik", ""),
            }
            changes["heir"] = [None, heir["name"]]
        data = {
            "worker_id": worker.pk,
            "full_name": worker.full_name,
            "answer": answer,
            "death_date": values.get("death_date"),
            "corrections": corrections,
            "heir": heir,
        }
        return PlannedRow(record.row, UPDATED, worker.nik, data=data, changes=changes)

    def preview_changes(self, planned: PlannedRow) -> list[tuple[str, Any, Any]] | None:
        labels = {
            "answer": _("Answer"),
            "address": _("Address"),
            "phone": _("Phone"),
            "death_date": _("Date of death"),
            "heir": _("New heir"),
        }
        return [(labels.get(f, f), old, new) for f, (old, new) in planned.changes.items()]

    def plan_notes(self, plan) -> list[str]:
        year, kelurahan = self._scope()
        return [
            _(
                "Confirming records each answer for Kelurahan %(kelurahan)s, %(year)s: a death "
                "ends the person's cover; corrections change the registry (kept in its "
                "history). The kelurahan's update is then marked done."
            )
            % {"kelurahan": kelurahan.name, "year": year.year}
        ]

    def write(self, rows: list[PlannedRow], *, user: Any) -> dict[str, int]:
        from .services import update_answer_apply, update_round_complete, update_round_for

        year, kelurahan = self._scope()
        round_ = update_round_for(program_year=year, kelurahan=kelurahan)
        UpdateRound.objects.select_for_update().get(pk=round_.pk)
        workers = Worker.objects.select_for_update().in_bulk([r.data["worker_id"] for r in rows])
        changed = []
        counts = dict.fromkeys(Answer.values, 0)
        for planned in rows:
            data = planned.data
            worker = workers[data["worker_id"]]
            fields = update_answer_apply(
                round_=round_,
                worker=worker,
                answer=data["answer"],
                user=user,
                death_date=data.get("death_date"),
                corrections=data.get("corrections"),
                heir=data.get("heir"),
            )
            counts[data["answer"]] += 1
            if fields:
                changed.append(
                    {
                        "row": planned.row,
                        "nik": mask_identity_number(worker.nik),
                        "name": worker.full_name,
                        "answer": data["answer"],
                        "changed": sorted(fields),
                    }
                )
        update_round_complete(
            round_=round_, user=user, report={"answers": counts, "changed": changed[:500]}
        )
        return {"new": 0, "updated": len(rows)}

    def template_bytes(self) -> bytes:
        return update_form_xlsx(*self._scope()) if self.kelurahan_id else _blank_form()


def _blank_form() -> bytes:
    return _form_bytes([], title=_("Yearly update form"))


def update_form_xlsx(program_year: ProgramYear, kelurahan: Kelurahan) -> bytes:
    """The kelurahan's form: one row per participant of the year, the answer and correction
    columns empty (NIK and phone columns as text, so a spreadsheet keeps all 16 digits)."""
    rows = []
    for number, worker in enumerate(participants_for_update(program_year, kelurahan), start=1):
        heirs = ", ".join(
            f"{h.name} ({Relationship(h.relationship).label})" for h in worker.heirs.all()
        )
        rows.append(
            [number, worker.nik, worker.full_name, shown(worker.birth_date), worker.address,
             worker.phone, heirs]
        )  # fmt: skip
    title = _("Yearly update %(year)s, Kelurahan %(kelurahan)s") % {
        "year": program_year.year,
        "kelurahan": kelurahan.name,
    }
    return _form_bytes(rows, title=title)


def _form_bytes(rows: list[list[Any]], *, title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    headers = [
        "No", "NIK", "Nama", "Tanggal Lahir", "Alamat Terdaftar", "No HP Terdaftar",
        "Ahli Waris Terdaftar", "Masih Bekerja", "Pindah", "Meninggal (Tanggal)",
        "Tidak Ditemukan", "Alamat Baru", "No HP Baru", "Nama Ahli Waris Baru",
        "Hubungan Ahli Waris", "Tgl Lahir Ahli Waris", "NIK Ahli Waris",
    ]  # fmt: skip
    text_columns = {2, 6, 13, 17}  # NIK, phones, heir NIK (1-based)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = UPDATE_SHEET
    sheet.cell(row=1, column=1, value=safe_cell(title)).font = Font(bold=True)
    sheet.cell(
        row=2,
        column=1,
        value=safe_cell(
            _(
                "Per person fill in exactly one of Masih Bekerja, Pindah, Tidak Ditemukan (write "
                "v) or the date of death (DD-MM-YYYY); add corrections in the “Baru” columns."
            )
        ),
    )
    answer_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, header in enumerate(headers, start=1):
        cell = sheet.cell(row=4, column=index, value=header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True)
        if 8 <= index <= 11:
            cell.fill = answer_fill
        sheet.column_dimensions[cell.column_letter].width = max(10, min(len(header) + 4, 30))
    for offset, values in enumerate(rows, start=5):
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=offset, column=index, value=safe_cell(value))
            if index in text_columns:
                cell.number_format = "@"
        for index in text_columns:
            sheet.cell(row=offset, column=index).number_format = "@"
    sheet.freeze_panes = "C5"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


__all__ = [
    "INVALID",
    "ProposalImporter",
    "YearlyUpdateImporter",
    "update_form_xlsx",
]
