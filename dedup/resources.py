"""Another payer's list of people it already covers (province, employer, CSR, BPJS).

Uploaded through the shared importer (preview, confirm, invalid-rows file, ImportJob). One
upload replaces that payer's list for the program year. Siaga then shows which of the year's
proposed or verified people appear on any list, before verification, and eligibility warns.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from importer.columns import Column, ColumnSpec, Layout, Record
from importer.engine import NEW, PlannedRow, SpreadsheetImporter, check_repeat, invalid_row
from importer.exports import write_xlsx
from importer.parsers import parse_nik, safe_text_parser

from .models import OtherCover, PayerKind

OTHER_COVER_COLUMNS = ColumnSpec(
    [
        Column("nik", "NIK", ("No KTP", "NIK Peserta", "NOMOR_NIK", "NIK Tenaga Kerja"),
               required=True, parser=parse_nik),
        Column("name", "Nama", ("Nama Peserta", "Nama Lengkap", "NAMA", "Nama Tenaga Kerja"),
               parser=safe_text_parser(150)),
    ]
)  # fmt: skip


class OtherCoverImporter(SpreadsheetImporter):
    kind = "other_cover"
    title = gettext_lazy("Other payer's cover list")
    spec = OTHER_COVER_COLUMNS
    permission = "dedup.import_other_cover"

    def __init__(
        self, *, program_year_id: int | None = None, payer: str = "", payer_kind: str = ""
    ):
        self.program_year_id = program_year_id
        self.payer = payer.strip()[:150]
        self.payer_kind = payer_kind if payer_kind in PayerKind.values else ""

    def options(self) -> dict[str, Any]:
        return {
            "program_year_id": self.program_year_id,
            "payer": self.payer,
            "payer_kind": self.payer_kind,
        }

    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        if not (self.program_year_id and self.payer and self.payer_kind):
            raise ValueError("An other-payer list needs its program year, payer and kind.")
        seen: dict[str, int] = {}
        planned = []
        for record in records:
            if "nik" in record.values:
                check_repeat(record, layout, "nik", record.values["nik"], seen)
            if record.errors:
                planned.append(invalid_row(record))
                continue
            planned.append(
                PlannedRow(
                    record.row,
                    NEW,
                    record.values["nik"],
                    data={"nik": record.values["nik"], "name": record.values.get("name", "")},
                )
            )
        return planned

    def plan_notes(self, plan) -> list[str]:
        current = self._current().count()
        if not current:
            return []
        return [
            _("Confirming replaces the %(count)d NIKs of %(payer)s already listed for this year.")
            % {"count": current, "payer": self.payer}
        ]

    def _current(self):
        return OtherCover.objects.filter(program_year_id=self.program_year_id, payer=self.payer)

    def write(self, rows: list[PlannedRow], *, user: Any) -> dict[str, int]:
        removed = self._current().delete()[0]
        OtherCover.objects.bulk_create(
            [
                OtherCover(
                    program_year_id=self.program_year_id,
                    payer=self.payer,
                    payer_kind=self.payer_kind,
                    nik=row.data["nik"],
                    name=row.data["name"] or "",
                    imported_by=user if getattr(user, "pk", None) else None,
                )
                for row in rows
                if row.status == NEW
            ],
            batch_size=5_000,
        )
        return {"created": sum(r.status == NEW for r in rows), "replaced": removed}

    def template_bytes(self) -> bytes:
        stream = io.BytesIO()
        write_xlsx(
            stream,
            [c.label for c in self.spec.columns],
            [],
            sheet_title=_("Cover list"),
            text_columns={0},
        )
        return stream.getvalue()
