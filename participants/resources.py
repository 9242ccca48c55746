"""Spreadsheet import and export of workers (django-import-export + Siaga's importer engine).

``WorkerImporter`` declares the columns of a candidate list and how a row becomes a worker
(and an heir); the generic reading, header matching, staging and audit live in ``importer``.
Validation runs in memory against prefetched lookups (kelurahan, segments, existing workers by
NIK in chunks of one query each) and the write is a handful of bulk statements.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterator
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.results import Error, Result, RowResult

from importer.bulk import filter_in, insert_rows
from importer.columns import Column, ColumnSpec, Layout, Record
from importer.engine import (
    INVALID,
    NEW,
    UNCHANGED,
    UPDATED,
    PlannedRow,
    SpreadsheetImporter,
    invalid_row,
    shown,
)
from importer.errors import CellError, FileRejected
from importer.exports import safe_cell
from importer.parsers import (
    choice_parser,
    parse_birth_date,
    parse_date,
    parse_kk,
    parse_nik,
    parse_phone,
    parse_rt_rw,
    parse_rupiah,
    safe_text_parser,
    text_parser,
)
from importer.reading import sheet_from_rows
from participants.privacy import mask_identity_number

from .models import Heir, Kelurahan, Relationship, Segment, Sex, Worker, WorkerType
from .services import history_record_bulk, workers_departed

TEMPLATE_SHEET = "Data Pekerja"

SEX_LABELS = {
    "L": Sex.MALE, "Laki-laki": Sex.MALE, "Laki": Sex.MALE, "Lk": Sex.MALE, "Pria": Sex.MALE,
    "P": Sex.FEMALE, "Perempuan": Sex.FEMALE, "Pr": Sex.FEMALE, "Wanita": Sex.FEMALE,
}  # fmt: skip
WORKER_TYPE_LABELS = {
    "PU": WorkerType.PU, "Penerima Upah": WorkerType.PU,
    "BPU": WorkerType.BPU, "Bukan Penerima Upah": WorkerType.BPU, "Non PU": WorkerType.BPU,
}  # fmt: skip
RELATIONSHIP_LABELS = {
    "Suami": Relationship.SPOUSE, "Istri": Relationship.SPOUSE, "Isteri": Relationship.SPOUSE,
    "Pasangan": Relationship.SPOUSE, "Suami/Istri": Relationship.SPOUSE,
    "Anak": Relationship.CHILD, "Anak Kandung": Relationship.CHILD,
    "Anak Angkat": Relationship.CHILD, "Anak Tiri": Relationship.CHILD,
    "Ayah": Relationship.PARENT, "Bapak": Relationship.PARENT, "Ibu": Relationship.PARENT,
    "Orang Tua": Relationship.PARENT, "Orangtua": Relationship.PARENT,
    "Saudara": Relationship.SIBLING, "Saudara Kandung": Relationship.SIBLING,
    "Kakak": Relationship.SIBLING, "Adik": Relationship.SIBLING,
    "Lainnya": Relationship.OTHER, "Lain-lain": Relationship.OTHER,
}  # fmt: skip


def parse_death_date(value: Any) -> Any:
    """A date of death (yearly updates mark deaths): a date, not in the future."""
    day = parse_date(value)
    if day > timezone.localdate():
        raise CellError(
            _("Date of death %(date)s is in the future.") % {"date": day.strftime("%d-%m-%Y")},
            code="death_date_future",
        )
    return day


WORKER_COLUMNS = ColumnSpec(
    [
        Column("nik", "NIK", ("No KTP", "Nomor KTP", "Nomor Induk Kependudukan", "No NIK"),
               required=True, parser=parse_nik),
        Column("full_name", "Nama", ("Nama Lengkap", "Nama Peserta", "Nama Pekerja"),
               required=True, parser=safe_text_parser(150)),
        Column("birth_place", "Tempat Lahir", parser=safe_text_parser(100)),
        Column("birth_date", "Tanggal Lahir", ("Tgl Lahir", "Tgl. Lahir", "Tanggal Lahir Peserta"),
               required=True, parser=parse_birth_date),
        Column("sex", "Jenis Kelamin", ("L/P", "JK"), required=True,
               parser=choice_parser(SEX_LABELS, code="sex_invalid", expected=["L", "P"])),
        Column("address", "Alamat", ("Alamat Lengkap",), parser=safe_text_parser(255)),
        Column("rt", "RT", parser=parse_rt_rw),
        Column("rw", "RW", parser=parse_rt_rw),
        Column("kelurahan", "Kelurahan", ("Desa/Kelurahan", "Kel", "Desa"), required=True,
               parser=text_parser(100)),
        Column("kecamatan", "Kecamatan", ("Kec",), parser=text_parser(100)),
        Column("phone", "No HP", ("No. Telp", "No Telp", "Telepon", "HP", "No Telepon",
                                  "Nomor HP", "No WA", "No HP/WA"), parser=parse_phone),
        Column("worker_type", "Jenis Pekerja", ("Status Pekerja",), required=True,
               parser=choice_parser(WORKER_TYPE_LABELS, code="worker_type_invalid",
                                    expected=["PU", "BPU"])),
        Column("segment", "Kategori", ("Segmen", "Pekerjaan", "Segmen Pekerja"), required=True,
               parser=text_parser(100)),
        Column("employer_name", "Nama Kelompok/Pemberi Kerja",
               ("Nama Kelompok", "Kelompok", "Pemberi Kerja", "Nama Perusahaan"),
               parser=safe_text_parser(150)),
        Column("monthly_income", "Penghasilan", ("Penghasilan per Bulan", "Pendapatan"),
               parser=parse_rupiah),
        Column("kk_number", "No KK", ("Nomor KK", "No Kartu Keluarga", "No. KK"),
               parser=parse_kk),
        Column("heir_name", "Nama Ahli Waris", parser=safe_text_parser(150)),
        Column("heir_relationship", "Hubungan Ahli Waris",
               parser=choice_parser(RELATIONSHIP_LABELS, code="relationship_invalid",
                                    expected=["Suami", "Istri", "Anak", "Ayah", "Ibu",
                                              "Saudara", "Lainnya"])),
        Column("heir_birth_date", "Tgl Lahir Ahli Waris", ("Tanggal Lahir Ahli Waris",),
               parser=parse_birth_date),
        Column("heir_nik", "NIK Ahli Waris", parser=parse_nik),
        # A death recorded in a (yearly) update ends the worker's cover after the write.
        Column("death_date", "Tanggal Meninggal", ("Tgl Meninggal", "Tanggal Wafat"),
               parser=parse_death_date),
    ]
)  # fmt: skip

# Fields copied straight onto Worker; kelurahan/segment are looked up, heirs are separate rows.
WORKER_FIELDS = (
    "nik", "full_name", "birth_place", "birth_date", "sex", "address", "rt", "rw", "phone",
    "worker_type", "employer_name", "monthly_income", "kk_number", "death_date",
)  # fmt: skip
HEIR_FIELDS = ("heir_name", "heir_relationship", "heir_birth_date", "heir_nik")
COMPARED_FIELDS = (*WORKER_FIELDS, "kelurahan_id", "segment_id")
IMPORT_TYPES = {
    NEW: RowResult.IMPORT_TYPE_NEW,
    UPDATED: RowResult.IMPORT_TYPE_UPDATE,
    UNCHANGED: RowResult.IMPORT_TYPE_SKIP,
    INVALID: RowResult.IMPORT_TYPE_INVALID,
}


@functools.lru_cache(maxsize=4096)
def name_key(text: str) -> str:
    """Place/segment names match ignoring case, spaces, dashes, dots and a "Kel." prefix."""
    text = re.sub(r"^\s*(kelurahan|kel\.|desa)\s+", "", text.lower())
    return re.sub(r"[\s\-._'’]+", "", text)


def _lookup(objects: Any) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for obj in objects:
        names = [obj.name, getattr(obj, "code", ""), *obj.aliases.splitlines()]
        for name in names:
            if name.strip():
                table.setdefault(name_key(name), obj)
    return table


class WorkerImporter(SpreadsheetImporter):
    kind = "workers"
    title = gettext_lazy("worker candidate list")
    spec = WORKER_COLUMNS
    preferred_sheet = TEMPLATE_SHEET
    permission = "importer.import_workers"

    # --- planning: everything in memory, one query per chunk of NIKs ---------------------
    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        records = list(records)
        kelurahan = _lookup(Kelurahan.objects.select_related("kecamatan"))
        segments = _lookup(Segment.objects.all())
        existing = self._existing_workers(records)
        has_heirs = any(f in layout.positions for f in HEIR_FIELDS)
        heirs = self._existing_heirs([w["id"] for w in existing.values()]) if has_heirs else {}
        first_row: dict[str, int] = {}
        planned = []
        for record in records:
            self._check_references(record, layout, kelurahan, segments)
            self._check_death(record, layout)
            self._check_duplicate(record, layout, first_row)
            heir = self._heir(record, layout) if has_heirs else None
            if record.errors:
                planned.append(invalid_row(record))
                continue
            planned.append(self._classify(record, existing, heirs, heir))
        return planned

    def _existing_workers(self, records: list[Record]) -> dict[str, dict[str, Any]]:
        niks = [r.values["nik"] for r in records if "nik" in r.values]
        found: dict[str, dict[str, Any]] = {}
        for queryset in filter_in(Worker.objects.all(), "nik", niks):
            for row in queryset.values("id", *COMPARED_FIELDS):
                found[row["nik"]] = row
        return found

    def _existing_heirs(self, worker_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        found: dict[int, list[dict[str, Any]]] = {}
        for queryset in filter_in(Heir.objects.all(), "worker_id", worker_ids):
            for heir in queryset.values("worker_id", "name", "nik", "birth_date"):
                found.setdefault(heir["worker_id"], []).append(heir)
        return found

    def _check_references(
        self, record: Record, layout: Layout, kelurahan: dict, segments: dict
    ) -> None:
        values = record.values
        if "kelurahan" in values:
            match = kelurahan.get(name_key(values["kelurahan"]))
            header = layout.header_of("kelurahan")
            if match is None:
                record.add_error(
                    header,
                    "kelurahan_unknown",
                    _("Kelurahan %(value)s is not a kelurahan of Kota Madiun.")
                    % {"value": values["kelurahan"]},
                )
            else:
                values["kelurahan_id"] = match.pk
                typed = values.get("kecamatan")
                if typed and name_key(typed) not in (
                    name_key(match.kecamatan.name),
                    name_key(match.kecamatan.code),
                ):
                    record.add_error(
                        layout.header_of("kecamatan"),
                        "kecamatan_mismatch",
                        _("Kelurahan %(kelurahan)s is in kecamatan %(right)s, not %(typed)s.")
                        % {"kelurahan": match.name, "right": match.kecamatan.name, "typed": typed},
                    )
        if "segment" in values:
            match = segments.get(name_key(values["segment"]))
            if match is None:
                record.add_error(
                    layout.header_of("segment"),
                    "segment_unknown",
                    _("Category %(value)s is not known; use a segment name such as %(examples)s.")
                    % {"value": values["segment"], "examples": "PKL, Ojol, PKK"},
                )
            else:
                values["segment_id"] = match.pk

    def _check_death(self, record: Record, layout: Layout) -> None:
        death, birth = record.values.get("death_date"), record.values.get("birth_date")
        if death and birth and death < birth:
            record.add_error(
                layout.header_of("death_date"),
                "death_before_birth",
                _("Date of death is before the date of birth."),
            )

    def _check_duplicate(self, record: Record, layout: Layout, first_row: dict[str, int]) -> None:
        nik = record.values.get("nik")
        if not nik:
            return
        if nik in first_row:
            record.add_error(
                layout.header_of("nik"),
                "duplicate_in_file",
                _("NIK %(nik)s already appears in row %(row)d of this file.")
                % {"nik": nik, "row": first_row[nik]},
            )
        else:
            first_row[nik] = record.row

    def _heir(self, record: Record, layout: Layout) -> dict[str, Any] | None:
        values = record.values
        given = [f for f in HEIR_FIELDS if f in values]
        if not given:
            return None
        if not all(f in layout.positions for f in ("heir_name", "heir_relationship")):
            record.add_error(
                "",
                "heir_incomplete",
                _("An heir needs both Nama Ahli Waris and Hubungan Ahli Waris columns."),
            )
        else:
            refused = {e.column for e in record.errors}
            for required in ("heir_name", "heir_relationship"):
                header = layout.header_of(required)
                # A cell its parser refused (too long, a formula) is filled in: say that once.
                if required not in values and header not in refused:
                    record.add_error(
                        header,
                        "heir_incomplete",
                        _("%(column)s must be filled in.") % {"column": header},
                    )
        nik = values.get("heir_nik", "")
        if nik and nik == values.get("nik"):
            record.add_error(
                layout.header_of("heir_nik"),
                "heir_own_nik",
                _("An heir cannot have the worker's own NIK."),
            )
        return {
            "name": values.get("heir_name", ""),
            "relationship": values.get("heir_relationship", ""),
            "birth_date": values.get("heir_birth_date"),
            "nik": nik,
        }

    def _classify(
        self,
        record: Record,
        existing: dict[str, dict[str, Any]],
        heirs: dict[int, list[dict[str, Any]]],
        heir: dict[str, Any] | None,
    ) -> PlannedRow:
        values = record.values
        data = {f: values[f] for f in COMPARED_FIELDS if f in values}
        current = existing.get(values["nik"])
        if current is None:
            if heir:
                data["heir"] = heir
            return PlannedRow(record.row, NEW, values["nik"], data=data)
        # An empty cell never erases what the registry already holds.
        changes = {f: [shown(current[f]), shown(v)] for f, v in data.items() if current[f] != v}
        if "kelurahan_id" in changes:
            changes["kelurahan_id"] = [None, values["kelurahan"]]
        if "segment_id" in changes:
            changes["segment_id"] = [None, values["segment"]]
        update = {f: data[f] for f in changes}
        if heir and not self._heir_known(heir, heirs.get(current["id"], [])):
            update["heir"] = heir
            changes["heir"] = [None, heir["name"]]
        if not update:
            return PlannedRow(record.row, UNCHANGED, values["nik"])
        update["id"] = current["id"]
        return PlannedRow(record.row, UPDATED, values["nik"], data=update, changes=changes)

    @staticmethod
    def _heir_known(heir: dict[str, Any], known: list[dict[str, Any]]) -> bool:
        for other in known:
            if heir["nik"] and other["nik"] == heir["nik"]:
                return True
            if other["name"].casefold() == heir["name"].casefold() and (
                other["birth_date"] == heir["birth_date"] or not heir["birth_date"]
            ):
                return True
        return False

    # --- writing: bulk statements inside the caller's transaction -------------------------
    def write(self, rows: list[PlannedRow], *, user: Any) -> dict[str, int]:
        now = timezone.now()
        user_id = getattr(user, "pk", None)
        new_workers: list[dict[str, Any]] = []
        heirs_by_nik: dict[str, dict[str, Any]] = {}
        heirs: list[dict[str, Any]] = []
        updates: dict[tuple[str, ...], list[Worker]] = {}
        for planned in rows:
            data = dict(planned.data)
            heir = data.pop("heir", None)
            if planned.status == NEW:
                data["created_by_id"] = data["updated_by_id"] = user_id
                new_workers.append(data)
                if heir:
                    heirs_by_nik[planned.key] = heir
            elif planned.status == UPDATED:
                worker_id = data.pop("id")
                if data:
                    fields_changed = tuple(sorted(data))
                    worker = Worker(pk=worker_id, updated_by_id=user_id, updated_at=now, **data)
                    updates.setdefault(fields_changed, []).append(worker)
                if heir:
                    heirs.append({"worker_id": worker_id, **heir})
        created = insert_rows(Worker, new_workers)
        if heirs_by_nik:
            for queryset in filter_in(Worker.objects.all(), "nik", list(heirs_by_nik)):
                for nik, worker_id in queryset.values_list("nik", "id"):
                    heirs.append({"worker_id": worker_id, **heirs_by_nik[nik]})
        for fields_changed, workers in updates.items():
            Worker.objects.bulk_update(
                workers, [*fields_changed, "updated_by", "updated_at"], batch_size=1000
            )
        insert_rows(Heir, [{**h, "nik": h["nik"] or ""} for h in heirs])
        # The audit trail: one history row per created or changed worker (set-based).
        reason = _("Spreadsheet import")
        history_record_bulk(
            Worker, lookup="nik", values=[w["nik"] for w in new_workers], history_type="+",
            user=user, reason=reason,
        )  # fmt: skip
        changed_ids = [w.pk for group in updates.values() for w in group]
        history_record_bulk(
            Worker, lookup="id", values=changed_ids, history_type="~", user=user, reason=reason
        )
        # Deaths the file recorded end those workers' cover, in this same transaction.
        workers_departed(
            worker_ids=[w.pk for fields_changed, group in updates.items()
                        if "death_date" in fields_changed for w in group],
            user=user, reason=reason,
        )  # fmt: skip
        return {
            "new": created,
            "updated": len({r.key for r in rows if r.status == UPDATED}),
            "heirs": len(heirs),
        }

    # --- the official template ---------------------------------------------------------
    def template_bytes(self) -> bytes:
        return build_template()


class WorkerResource(resources.ModelResource):
    """Export of workers with the same headers the importer reads back."""

    nik = fields.Field(attribute="nik", column_name="NIK")
    full_name = fields.Field(attribute="full_name", column_name="Nama")
    birth_place = fields.Field(attribute="birth_place", column_name="Tempat Lahir")
    birth_date = fields.Field(attribute="birth_date", column_name="Tanggal Lahir")
    sex = fields.Field(attribute="sex", column_name="Jenis Kelamin")
    address = fields.Field(attribute="address", column_name="Alamat")
    rt = fields.Field(attribute="rt", column_name="RT")
    rw = fields.Field(attribute="rw", column_name="RW")
    kelurahan = fields.Field(attribute="kelurahan__name", column_name="Kelurahan")
    kecamatan = fields.Field(attribute="kelurahan__kecamatan__name", column_name="Kecamatan")
    phone = fields.Field(attribute="phone", column_name="No HP")
    worker_type = fields.Field(attribute="worker_type", column_name="Jenis Pekerja")
    segment = fields.Field(attribute="segment__name", column_name="Kategori")
    employer_name = fields.Field(
        attribute="employer_name", column_name="Nama Kelompok/Pemberi Kerja"
    )
    monthly_income = fields.Field(attribute="monthly_income", column_name="Penghasilan")
    kk_number = fields.Field(attribute="kk_number", column_name="No KK")

    class Meta:
        model = Worker
        fields = (
            "nik", "full_name", "birth_place", "birth_date", "sex", "address", "rt", "rw",
            "kelurahan", "kecamatan", "phone", "worker_type", "segment", "employer_name",
            "monthly_income", "kk_number",
        )  # fmt: skip
        import_id_fields = ("nik",)

    def import_data(
        self,
        dataset: Any,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = False,
        **kwargs: Any,
    ) -> Result:
        """Import a tablib Dataset through Siaga's engine: the admin's and command's rules.

        Rows are checked in memory; unless this is a dry run, the valid rows are written in one
        transaction (nothing at all with ``rollback_on_validation_errors`` and invalid rows).
        """
        importer = WorkerImporter()
        sheet = sheet_from_rows(dataset.title or "", [list(dataset.headers or []), *dataset])
        result = self.get_result_class()()
        try:
            layout, records = importer.spec.parse_rows(sheet)
        except FileRejected as exc:
            if raise_errors:
                raise
            result.append_base_error(Error(exc))
            return result
        planned = importer.plan_rows(layout, records)
        result.diff_headers = list(layout.headers)
        result.total_rows = len(planned)
        for row in planned:
            row_result = self.get_row_result_class()()
            row_result.import_type = IMPORT_TYPES[row.status]
            if row.status == INVALID:
                messages: dict[str, list[str]] = {}
                for error in row.errors:
                    messages.setdefault(error.column or NON_FIELD_ERRORS, []).append(error.message)
                row_result.validation_error = ValidationError(messages)
                values = dict(zip(layout.headers, row.cells or [], strict=False))
                result.append_invalid_row(row.row, values, row_result.validation_error)
            result.append_row_result(row_result)
            result.increment_row_result_total(row_result)
        if dry_run or (rollback_on_validation_errors and result.has_validation_errors()):
            return result
        with transaction.atomic():
            importer.write(
                [r for r in planned if r.status in (NEW, UPDATED)], user=kwargs.get("user")
            )
        return result

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("kelurahan__kecamatan", "segment")

    def dehydrate_birth_date(self, worker: Worker) -> str:
        return worker.birth_date.strftime("%d-%m-%Y")

    def __init__(self, *, mask_identity_numbers: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Masked unless the exporting user may see full NIK/KK numbers (participants.privacy).
        self.mask_identity_numbers = mask_identity_numbers

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if self.mask_identity_numbers and field.attribute in ("nik", "kk_number"):
            value = mask_identity_number(value)
        return safe_cell(value)


TEXT_TEMPLATE_FIELDS = {"nik", "kk_number", "phone", "heir_nik", "rt", "rw"}
TEMPLATE_ROWS = 2000


def build_template() -> bytes:
    """The official template: a data sheet whose NIK/KK/phone columns are Text, plus help."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(WORKER_COLUMNS.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.label)
        cell.font = Font(bold=True)
        if column.required:
            cell.fill = required_fill
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.label) + 4)
        if column.field in TEXT_TEMPLATE_FIELDS:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
        choices = {"sex": '"L,P"', "worker_type": '"PU,BPU"'}.get(column.field)
        if choices:
            validation = DataValidation(type="list", formula1=choices, allow_blank=True)
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    sheet.freeze_panes = "A2"

    help_sheet = workbook.create_sheet(_("Instructions"))
    lines = [
        _("How to fill in the Siaga Kita candidate list"),
        "",
        _("Fill one worker per row on the sheet %(sheet)s. Yellow headers are required.")
        % {"sheet": TEMPLATE_SHEET},
        _(
            "NIK, No KK and NIK Ahli Waris: 16 digits typed as text. Never paste them as numbers:"
            " spreadsheets keep only 15 digits."
        ),
        _("Dates: DD-MM-YYYY (e.g. 04-03-1990) or 4 Maret 1990."),
        _("Jenis Kelamin: L or P. Jenis Pekerja: PU or BPU."),
        _("No HP: 08…, +62… or 62…."),
        _("Kategori: one of the segment names below."),
        _("Hubungan Ahli Waris: Suami, Istri, Anak, Ayah, Ibu, Saudara or Lainnya."),
        _("Names and addresses may not start with =, +, - or @."),
        "",
        _("Kelurahan (kecamatan):"),
        *(
            f"  {k.name} ({k.kecamatan.name})"
            for k in Kelurahan.objects.select_related("kecamatan")
        ),
        "",
        _("Kategori:"),
        *(f"  {s.name}" for s in Segment.objects.filter(is_active=True)),
    ]
    for number, line in enumerate(lines, start=1):
        help_sheet.cell(row=number, column=1, value=safe_cell(str(line)))
    help_sheet["A1"].font = Font(bold=True)
    help_sheet.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
