"""Spreadsheet imports of the targeting workflow, on the importer engine (header matching,
validation, preview/confirm, invalid-rows file, one-transaction write, ``ImportJob`` audit).

``DtksResultImporter`` reads Dinas Sosial's answer (NIK, status, desil) and updates the
matching workers; ``HeirImporter`` adds or completes heirs of registered workers. Neither
creates a worker: a NIK that is not in the registry is reported as an invalid row.
"""

from __future__ import annotations

import datetime
import io
import re
from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from importer.bulk import filter_in
from importer.columns import Column, ColumnSpec, Layout, Record
from importer.engine import (
    NEW,
    UNCHANGED,
    UPDATED,
    Plan,
    PlannedRow,
    SpreadsheetImporter,
    check_repeat,
    invalid_row,
    shown,
)
from importer.errors import CellError, FileRejected
from importer.exports import write_xlsx
from importer.parsers import (
    Cell,
    choice_parser,
    clean_text,
    is_empty,
    parse_birth_date,
    parse_nik,
    safe_text_parser,
)
from participants.models import DtksStatus, Heir, SchoolLevel, Worker
from participants.resources import RELATIONSHIP_LABELS
from participants.services import history_record_bulk

from .models import DtksRequestItem, ExportLog

DTKS_STATUS_LABELS = {
    "Terdaftar": DtksStatus.REGISTERED, "Terdaftar DTKS": DtksStatus.REGISTERED,
    "Ya": DtksStatus.REGISTERED, "Y": DtksStatus.REGISTERED, "Ada": DtksStatus.REGISTERED,
    "DTKS": DtksStatus.REGISTERED, "DTSEN": DtksStatus.REGISTERED,
    "Masuk DTKS": DtksStatus.REGISTERED, "Masuk": DtksStatus.REGISTERED,
    "Terdaftar DTSEN": DtksStatus.REGISTERED, "Padan": DtksStatus.REGISTERED,
    "Tidak Terdaftar": DtksStatus.NOT_REGISTERED, "Belum Terdaftar": DtksStatus.NOT_REGISTERED,
    "Tidak": DtksStatus.NOT_REGISTERED, "T": DtksStatus.NOT_REGISTERED,
    "Tidak Ada": DtksStatus.NOT_REGISTERED, "Non DTKS": DtksStatus.NOT_REGISTERED,
    "Bukan DTKS": DtksStatus.NOT_REGISTERED, "Non DTSEN": DtksStatus.NOT_REGISTERED,
    "Tidak Masuk": DtksStatus.NOT_REGISTERED, "Tidak Padan": DtksStatus.NOT_REGISTERED,
}  # fmt: skip

SCHOOL_LEVEL_LABELS = {
    "Belum Sekolah": SchoolLevel.NOT_YET,
    # Kindergarten and other early-childhood classes (KB = kelompok bermain, RA = raudhatul
    # athfal): the first level of the JKM scholarship.
    "TK": SchoolLevel.TK, "PAUD": SchoolLevel.TK, "RA": SchoolLevel.TK, "KB": SchoolLevel.TK,
    "TK/PAUD": SchoolLevel.TK, "TK/RA": SchoolLevel.TK, "Kelompok Bermain": SchoolLevel.TK,
    "Taman Kanak-kanak": SchoolLevel.TK,
    "SD": SchoolLevel.SD, "MI": SchoolLevel.SD, "SD/MI": SchoolLevel.SD,
    "SMP": SchoolLevel.SMP, "MTs": SchoolLevel.SMP, "SMP/MTs": SchoolLevel.SMP,
    "SMA": SchoolLevel.SMA, "SMK": SchoolLevel.SMA, "MA": SchoolLevel.SMA,
    "SMA/SMK": SchoolLevel.SMA, "SMA/SMK/MA": SchoolLevel.SMA,
    "Perguruan Tinggi": SchoolLevel.UNIVERSITY, "PT": SchoolLevel.UNIVERSITY,
    "Kuliah": SchoolLevel.UNIVERSITY, "D3": SchoolLevel.UNIVERSITY, "S1": SchoolLevel.UNIVERSITY,
    "Tidak Sekolah": SchoolLevel.NONE, "Putus Sekolah": SchoolLevel.NONE,
    "Tidak/Belum Sekolah": SchoolLevel.NOT_YET,
}  # fmt: skip


def parse_desil(value: Cell) -> int:
    """A welfare decile 1-10, typed as 3, "3", "Desil 3" or "D3"."""
    if isinstance(value, bool):
        raise CellError(_("The desil must be a whole number from 1 to 10."), code="desil_invalid")
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = re.sub(r"^(desil|d)\s*", "", clean_text(value).lower())
    if not text.isdigit() or not 1 <= int(text) <= 10:
        raise CellError(
            _("%(value)s is not a desil; write a whole number from 1 to 10.")
            % {"value": clean_text(value)},
            code="desil_invalid",
        )
    return int(text)


def _template(columns: ColumnSpec, sheet_title: str, text_fields: set[str]) -> bytes:
    buffer = io.BytesIO()
    write_xlsx(
        buffer,
        [c.label for c in columns.columns],
        [],
        sheet_title=sheet_title,
        text_columns=[i for i, c in enumerate(columns.columns) if c.field in text_fields],
    )
    return buffer.getvalue()


# --- DTKS/DTSEN results ------------------------------------------------------------------------

DTKS_COLUMNS = ColumnSpec(
    [
        Column("nik", "NIK", ("No KTP", "Nomor KTP", "Nomor Induk Kependudukan", "No NIK",
                              "Nomor NIK"),
               required=True, parser=parse_nik),
        # Required unless the file is a "found list" answering a request (see plan_rows).
        Column("dtks_status", "Status DTKS",
               ("Status", "Hasil", "Hasil Cek", "Keterangan", "Terdaftar DTKS", "DTKS",
                "Status DTSEN", "Keterangan DTKS"),
               parser=choice_parser(DTKS_STATUS_LABELS, code="dtks_status_invalid",
                                    expected=["Terdaftar", "Tidak Terdaftar"])),
        Column("dtks_desil", "Desil", ("Desil DTSEN", "Desil Kesejahteraan"),
               parser=parse_desil),
        # Read but not stored: the columns of Dinas Sosial's extract (and of the request list)
        # that identify the row, so such a file's header is recognised.
        Column("dtks_id", "IDDTKS", ("ID DTKS", "IDDTSEN", "ID DTSEN"), parser=clean_text),
        Column("kk_number", "No KK", ("Nomor KK", "No Kartu Keluarga"), parser=clean_text),
        Column("name", "Nama", ("Nama Lengkap",), parser=clean_text),
    ]
)  # fmt: skip

DTKS_FIELDS = ("dtks_status", "dtks_desil", "dtks_checked_on", "dtks_source")
# Workers of a request missing from a found list have no row in the file.
NOT_FOUND_ROW = 0


class DtksResultImporter(SpreadsheetImporter):
    """Dinas Sosial's answer to a check request: sets status, desil, date and source.

    The whole result replaces the previous one: a worker found "not registered", or registered
    without a desil, has no desil afterwards. Importing the same file with the same date and
    source again finds every row unchanged.
    """

    kind = "dtks_results"
    title = gettext_lazy("DTKS/DTSEN check result")
    spec = DTKS_COLUMNS
    permission = "targeting.import_dtks_results"

    def __init__(
        self,
        *,
        checked_on: datetime.date | None = None,
        source: str = "",
        request_id: int | None = None,
    ) -> None:
        self.checked_on = checked_on
        self.source = source.strip()[:150]
        # The check request (``ExportLog``) a "found list" answers: its workers absent from
        # the list were not found.
        self.request_id = request_id

    def options(self) -> dict[str, Any]:
        return {
            "checked_on": self.checked_on.isoformat() if self.checked_on else None,
            "source": self.source,
            "request_id": self.request_id,
        }

    @classmethod
    def from_options(cls, options: dict[str, Any]) -> DtksResultImporter:
        checked_on = options.get("checked_on")
        return cls(
            checked_on=datetime.date.fromisoformat(checked_on) if checked_on else None,
            source=options.get("source", ""),
            request_id=options.get("request_id"),
        )

    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        if self.checked_on is None or not self.source:
            raise ValueError("A DTKS import needs the check date and its source.")
        found_list = "dtks_status" not in layout.positions
        if found_list and self.request_id is None:
            raise FileRejected(
                _(
                    "The file has no Status DTKS column. If it is Dinas Sosial's list of the "
                    "NIKs found (IDDTKS, NOMOR_KK, NOMOR_NIK, NAMA), choose the check request "
                    "it answers: the workers of that request missing from the list are then "
                    "recorded as not in DTKS/DTSEN."
                ),
                code="missing_columns",
            )
        records = list(records)
        niks = [r.values["nik"] for r in records if "nik" in r.values]
        existing: dict[str, dict[str, Any]] = {}
        for queryset in filter_in(Worker.objects.all(), "nik", niks):
            for row in queryset.values("id", "nik", *DTKS_FIELDS):
                existing[row["nik"]] = row
        seen: dict[str, int] = {}
        planned = []
        for record in records:
            values = record.values
            if found_list:
                values["dtks_status"] = DtksStatus.REGISTERED  # listed = found
            elif is_empty(record.cells[layout.positions["dtks_status"]]):
                header = layout.header_of("dtks_status")
                record.add_error(
                    header, "required", _("%(column)s must be filled in.") % {"column": header}
                )
            if "nik" in values:
                check_repeat(record, layout, "nik", values["nik"], seen)
                if values["nik"] not in existing:
                    record.add_error(
                        layout.header_of("nik"),
                        "nik_not_registered",
                        _("NIK %(nik)s is not in the registry; a DTKS result never adds a worker.")
                        % {"nik": values["nik"]},
                    )
            status = values.get("dtks_status")
            if values.get("dtks_desil") is not None and status != DtksStatus.REGISTERED:
                record.add_error(
                    layout.header_of("dtks_desil"),
                    "desil_not_registered",
                    _("A desil is only recorded for workers who are in DTKS."),
                )
            if record.errors:
                planned.append(invalid_row(record))
                continue
            planned.append(self._classify(record, existing[values["nik"]]))
        if found_list:
            in_file = {r.values.get("nik") for r in records} | {
                clean_text(c) for r in records for c in r.cells if isinstance(c, str)
            }
            planned.extend(self._not_found(in_file))
        return planned

    def _not_found(self, in_file: set[str]) -> list[PlannedRow]:
        """The request's workers missing from a found list: not in DTKS/DTSEN (no file row,
        so their row number is 0)."""
        requested = (
            Worker.objects.filter(
                Exists(
                    DtksRequestItem.objects.filter(export_id=self.request_id, worker=OuterRef("pk"))
                )
            )
            .order_by("nik")
            .values("id", "nik", *DTKS_FIELDS)
        )
        rows = []
        for current in requested.iterator(chunk_size=2000):
            if current["nik"] in in_file:
                continue
            data = {
                "dtks_status": DtksStatus.NOT_REGISTERED,
                "dtks_desil": None,
                "dtks_checked_on": self.checked_on,
                "dtks_source": self.source,
            }
            rows.append(self._planned(NOT_FOUND_ROW, current["nik"], current, data))
        return rows

    def plan_notes(self, plan: Plan) -> list[str]:
        if self.request_id is None:
            return []
        request = ExportLog.objects.filter(pk=self.request_id).first()
        absent = sum(1 for r in plan.rows if r.row == NOT_FOUND_ROW)
        return [
            _(
                "Found list answering the check request %(request)s of %(date)s: "
                "%(absent)d of its workers are not in the list and will be recorded as not in "
                "DTKS/DTSEN (rows numbered 0)."
            )
            % {
                "request": request.file_name if request else "-",
                "date": timezone.localtime(request.created_at).strftime("%d-%m-%Y")
                if request
                else "-",
                "absent": absent,
            }
        ]

    def _classify(self, record: Record, current: dict[str, Any]) -> PlannedRow:
        values = record.values
        data = {
            "dtks_status": values["dtks_status"],
            "dtks_desil": values.get("dtks_desil"),
            "dtks_checked_on": self.checked_on,
            "dtks_source": self.source,
        }
        return self._planned(record.row, values["nik"], current, data)

    @staticmethod
    def _planned(row: int, nik: str, current: dict[str, Any], data: dict[str, Any]) -> PlannedRow:
        changes = {f: [shown(current[f]), shown(v)] for f, v in data.items() if current[f] != v}
        if not changes:
            return PlannedRow(row, UNCHANGED, nik)
        return PlannedRow(row, UPDATED, nik, data={**data, "id": current["id"]}, changes=changes)

    def write(self, rows: list[PlannedRow], *, user: Any) -> dict[str, int]:
        # A result file holds a handful of distinct answers (status × desil): one UPDATE per
        # answer and chunk of ids, instead of a CASE per row (bulk_update is slow at 20,000).
        by_answer: dict[tuple[Any, ...], list[int]] = {}
        for planned in rows:
            if planned.status == UPDATED:
                answer = tuple(planned.data[f] for f in DTKS_FIELDS)
                by_answer.setdefault(answer, []).append(planned.data["id"])
        now = timezone.now()
        user_id = getattr(user, "pk", None)
        updated = 0
        for answer, ids in by_answer.items():
            values = dict(zip(DTKS_FIELDS, answer, strict=True))
            for queryset in filter_in(Worker.objects.all(), "id", ids):
                updated += queryset.update(**values, updated_by_id=user_id, updated_at=now)
        # The audit trail gets one entry per worker, as a change in the admin would.
        history_record_bulk(
            Worker,
            lookup="id",
            values=[i for ids in by_answer.values() for i in ids],
            history_type="~",
            user=user,
            reason=_("DTKS check result import"),
        )
        return {"updated": updated}

    def template_bytes(self) -> bytes:
        return _template(DTKS_COLUMNS, "Hasil Cek DTKS", {"nik"})


# --- heirs -------------------------------------------------------------------------------------

HEIR_COLUMNS = ColumnSpec(
    [
        Column("nik", "NIK Pekerja", ("NIK", "NIK Peserta", "No KTP Pekerja"),
               required=True, parser=parse_nik),
        Column("name", "Nama Ahli Waris", ("Ahli Waris", "Nama AW"), required=True,
               parser=safe_text_parser(150)),
        Column("relationship", "Hubungan", ("Hubungan Ahli Waris", "Hubungan Keluarga"),
               required=True,
               parser=choice_parser(RELATIONSHIP_LABELS, code="relationship_invalid",
                                    expected=["Suami", "Istri", "Anak", "Ayah", "Ibu",
                                              "Saudara", "Lainnya"])),
        Column("birth_date", "Tgl Lahir", ("Tanggal Lahir", "Tgl Lahir Ahli Waris",
                                           "Tanggal Lahir Ahli Waris"),
               parser=parse_birth_date),
        Column("heir_nik", "NIK Ahli Waris", ("NIK AW",), parser=parse_nik),
        Column("school_level", "Jenjang Sekolah", ("Pendidikan", "Sekolah", "Jenjang"),
               parser=choice_parser(SCHOOL_LEVEL_LABELS, code="school_level_invalid",
                                    expected=["Belum Sekolah", "TK/PAUD", "SD", "SMP", "SMA",
                                              "Perguruan Tinggi", "Tidak Sekolah"])),
    ]
)  # fmt: skip

HEIR_FIELDS = ("name", "relationship", "birth_date", "nik", "school_level")


class HeirImporter(SpreadsheetImporter):
    """Heirs of registered workers, one heir per row.

    An heir is the same person as a recorded one when the heir NIK matches, or (without a NIK)
    when the name matches and the birth dates do not contradict each other. A known heir is
    completed (empty cells never erase); otherwise the heir is added.
    """

    kind = "heirs"
    title = gettext_lazy("heir list")
    spec = HEIR_COLUMNS
    permission = "targeting.import_heirs"

    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        records = list(records)
        niks = [r.values["nik"] for r in records if "nik" in r.values]
        workers: dict[str, int] = {}
        heirs: dict[int, list[dict[str, Any]]] = {}
        for queryset in filter_in(Worker.objects.all(), "nik", niks):
            workers.update(queryset.values_list("nik", "id"))
        for queryset in filter_in(Heir.objects.all(), "worker_id", list(workers.values())):
            for heir in queryset.values("id", "worker_id", *HEIR_FIELDS):
                heirs.setdefault(heir["worker_id"], []).append(heir)
        seen: dict[Any, int] = {}
        planned = []
        for record in records:
            values = record.values
            worker_nik = values.get("nik")
            if worker_nik and worker_nik not in workers:
                record.add_error(
                    layout.header_of("nik"),
                    "worker_not_registered",
                    _("No worker with NIK %(nik)s is registered; add the worker first.")
                    % {"nik": worker_nik},
                )
            if worker_nik and values.get("heir_nik") == worker_nik:
                record.add_error(
                    layout.header_of("heir_nik"),
                    "heir_own_nik",
                    _("An heir cannot have the worker's own NIK."),
                )
            if worker_nik and "name" in values:
                key = (worker_nik, values.get("heir_nik") or values["name"].casefold())
                check_repeat(record, layout, "nik", key, seen)
            if record.errors:
                planned.append(invalid_row(record))
                continue
            worker_id = workers[worker_nik]
            planned.append(self._classify(record, worker_id, heirs.get(worker_id, [])))
        return planned

    @staticmethod
    def _match(data: dict[str, Any], known: list[dict[str, Any]]) -> dict[str, Any] | None:
        if data["nik"]:
            for heir in known:
                if heir["nik"] == data["nik"]:
                    return heir
        for heir in known:
            if heir["nik"] and data["nik"] and heir["nik"] != data["nik"]:
                continue
            same_name = heir["name"].casefold() == data["name"].casefold()
            dates_agree = (
                not heir["birth_date"]
                or not data["birth_date"]
                or heir["birth_date"] == data["birth_date"]
            )
            if same_name and dates_agree:
                return heir
        return None

    def _classify(self, record: Record, worker_id: int, known: list[dict[str, Any]]) -> PlannedRow:
        values = record.values
        data = {
            "name": values["name"],
            "relationship": values["relationship"],
            "birth_date": values.get("birth_date"),
            "nik": values.get("heir_nik", ""),
            "school_level": values.get("school_level", ""),
        }
        current = self._match(data, known)
        if current is None:
            return PlannedRow(record.row, NEW, values["nik"], data={**data, "worker_id": worker_id})
        # An empty cell never erases what is recorded.
        update = {f: v for f, v in data.items() if v not in (None, "") and current[f] != v}
        if update.get("name", "").casefold() == current["name"].casefold():
            del update["name"]  # "BIMA" and "Bima" are one spelling, not a correction
        if not update:
            return PlannedRow(record.row, UNCHANGED, values["nik"])
        changes = {f: [shown(current[f]), shown(v)] for f, v in update.items()}
        return PlannedRow(
            record.row,
            UPDATED,
            values["nik"],
            data={**update, "id": current["id"]},
            changes=changes,
        )

    def write(self, rows: list[PlannedRow], *, user: Any) -> dict[str, int]:
        # Values were validated by the column parsers; the database constraints guard the rest.
        new = [Heir(**r.data) for r in rows if r.status == NEW]
        now = timezone.now()
        bulk_create_with_history(new, Heir, batch_size=1000, default_user=user)
        by_id = {r.data["id"]: r.data for r in rows if r.status == UPDATED}
        changed: dict[tuple[str, ...], list[Heir]] = {}
        for queryset in filter_in(Heir.objects.all(), "id", list(by_id)):
            for heir in queryset.order_by("pk"):
                fields = tuple(sorted(f for f in by_id[heir.pk] if f != "id"))
                for name in fields:
                    setattr(heir, name, by_id[heir.pk][name])
                heir.updated_at = now
                changed.setdefault(fields, []).append(heir)
        for fields, heirs in changed.items():
            bulk_update_with_history(
                heirs, Heir, [*fields, "updated_at"], batch_size=1000, default_user=user
            )
        return {"new": len(new), "updated": len(by_id)}

    def template_bytes(self) -> bytes:
        return _template(HEIR_COLUMNS, "Ahli Waris", {"nik", "heir_nik"})
