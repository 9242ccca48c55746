"""Personal-data exports: permission check, a spreadsheet-safe xlsx, and the ``ExportLog`` row.

Any export of NIKs, family card numbers or children's data goes through ``personal_data_export``
so the rule (permission ``participants.export_personal_data``, one log row per file) lives in
one place.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from importer.exports import write_xlsx
from participants.models import Worker
from participants.privacy import can_view_full_nik, mask_identity_number

from .models import DtksRequestItem, ExportLog

EXPORT_PERMISSION = "participants.export_personal_data"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DTKS_REQUEST_KIND = "dtks_request"
DTKS_REQUEST_SHEET = "Cek DTKS"
# The last two columns are left empty for Dinas Sosial: the same file comes back through
# ``import_dtks`` (its NIK, Status DTKS and Desil headers are the importer's).
DTKS_REQUEST_HEADERS = [
    "No",
    "NIK",
    "No KK",
    "Nama",
    "Tanggal Lahir",
    "Kelurahan",
    "Kecamatan",
    "Status DTKS",
    "Desil",
]


@dataclass(frozen=True)
class ExportedFile:
    content: bytes
    file_name: str
    log: ExportLog


def can_export_personal_data(user: AbstractBaseUser | None) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and user.has_perm(EXPORT_PERMISSION)
    )


@transaction.atomic
def personal_data_export(
    *,
    user: AbstractBaseUser,
    kind: str,
    purpose: str,
    selection: str,
    file_stem: str,
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    sheet_title: str,
    text_columns: Iterable[int] = (),
) -> ExportedFile:
    """Write ``rows`` as xlsx for ``user`` and log it; refused without the export permission."""
    if not can_export_personal_data(user):
        raise PermissionDenied(_("You may not export personal data."))
    counted = []

    def counting(source: Iterable[Sequence[Any]]):
        for row in source:
            counted.append(None)
            yield row

    buffer = io.BytesIO()
    write_xlsx(buffer, headers, counting(rows), sheet_title=sheet_title, text_columns=text_columns)
    content = buffer.getvalue()
    file_name = f"{file_stem}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    log = ExportLog.objects.create(
        kind=kind,
        purpose=purpose[:255],
        selection=selection,
        row_count=len(counted),
        file_name=file_name,
        file_sha256=hashlib.sha256(content).hexdigest(),
        created_by=user,
    )
    return ExportedFile(content=content, file_name=file_name, log=log)


def dtks_request_rows(workers: QuerySet[Worker], *, masked: bool = False) -> Iterable[list[Any]]:
    """One row per worker; NIK and KK masked for a user without the full-NIK permission (like
    the worker export)."""
    shown = mask_identity_number if masked else (lambda value: value)
    queryset = (
        workers.select_related(None)
        .select_related("kelurahan__kecamatan")
        .order_by("kelurahan__code", "full_name", "nik")
        .only(
            "nik",
            "kk_number",
            "full_name",
            "birth_date",
            "kelurahan__name",
            "kelurahan__kecamatan__name",
        )
    )
    for number, worker in enumerate(queryset.iterator(chunk_size=2000), start=1):
        yield [
            number,
            shown(worker.nik),
            shown(worker.kk_number),
            worker.full_name,
            worker.birth_date.strftime("%d-%m-%Y"),
            worker.kelurahan.name,
            worker.kelurahan.kecamatan.name,
            "",
            "",
        ]


@transaction.atomic
def dtks_request_export(
    *, user: AbstractBaseUser, workers: QuerySet[Worker], selection: str
) -> ExportedFile:
    """The list Dinas Sosial needs to check workers against DTKS/DTSEN (NIK, KK, name, date
    of birth, kelurahan), logged as a personal-data export. The request's workers are kept
    (``DtksRequestItem``): a "found list" answer says nothing about those it does not name."""
    exported = personal_data_export(
        user=user,
        kind=DTKS_REQUEST_KIND,
        purpose=_("DTKS/DTSEN check request to Dinas Sosial"),
        selection=selection,
        file_stem="daftar-cek-dtks",
        headers=DTKS_REQUEST_HEADERS,
        rows=dtks_request_rows(workers, masked=not can_view_full_nik(user)),
        sheet_title=DTKS_REQUEST_SHEET,
        text_columns=(1, 2, 4),
    )
    ids = workers.order_by().values_list("pk", flat=True).distinct()
    DtksRequestItem.objects.bulk_create(
        (DtksRequestItem(export=exported.log, worker_id=pk) for pk in ids.iterator(5000)),
        batch_size=5000,
    )
    return exported


def dtks_requests() -> QuerySet[ExportLog]:
    """The DTKS check requests downloaded so far, newest first (what a found list answers)."""
    return ExportLog.objects.filter(kind=DTKS_REQUEST_KIND).select_related("created_by")
