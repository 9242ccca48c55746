"""Import Dinas Sosial's DTKS/DTSEN check result from the command line, through the same code
as the admin upload.

Exit codes as ``import_workers``: 0 imported (or checked, with --dry-run); 1 invalid rows
(e.g. NIKs not in the registry: nothing written unless --skip-invalid) or the database refused
the write; 2 the file cannot be read; 3 the --user given may not import.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from importer.engine import check_size
from importer.errors import FileRejected
from importer.models import ImportStatus
from importer.services import import_run
from participants.management.commands import import_workers
from targeting.resources import DtksResultImporter


def check_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("--checked-on must be a date written YYYY-MM-DD, not %(value)s.") % {"value": value}
        ) from None


class Command(import_workers.Command):
    help = (
        "Import a DTKS/DTSEN check result (NIK, Status DTKS, Desil) from xlsx, xls, ods or csv: "
        "sets status, desil, check date and source of the matching workers."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--source", required=True, help='Who answered, e.g. "Dinas Sosial Kota Madiun".'
        )
        parser.add_argument("--checked-on", required=True, help="Date of the answer, YYYY-MM-DD.")

    def handle(self, *args, **options):
        source = options["source"].strip()
        if not source:
            raise CommandError(_("--source may not be empty."))
        importer = DtksResultImporter(checked_on=check_date(options["checked_on"]), source=source)
        user = self._user(options["user"], importer.permission)
        path = Path(options["path"])
        try:
            if not path.is_file():
                raise FileRejected(
                    _("File %(path)s does not exist.") % {"path": path}, code="not_found"
                )
            check_size(path.stat().st_size)
            data = path.read_bytes()
        except FileRejected as exc:
            error = {"row": 0, "column": "", "code": exc.code, "message": exc.message}
            return self._finish(
                options, {"rows": 0, "errors": [error]}, import_workers.EXIT_UNREADABLE
            )
        outcome = import_run(
            importer=importer,
            data=data,
            file_name=path.name,
            user=user,
            dry_run=options["dry_run"],
            skip_invalid=options["skip_invalid"],
        )
        job = outcome.job
        report = {
            "rows": job.rows_total,
            "new": job.rows_new,
            "updated": job.rows_updated,
            "unchanged": job.rows_unchanged,
            "invalid": job.rows_invalid,
            "errors": [e.as_dict() for e in outcome.plan.errors()] if outcome.plan else job.errors,
            "written": job.status == ImportStatus.IMPORTED,
            "outcome": job.status,
            "job": job.pk,
        }
        if job.message:
            report["message"] = job.message
        if job.status == ImportStatus.UNREADABLE:
            code = import_workers.EXIT_UNREADABLE
        elif job.status in (ImportStatus.REFUSED, ImportStatus.FAILED) or (
            job.status == ImportStatus.DRY_RUN and job.rows_invalid and not options["skip_invalid"]
        ):
            code = import_workers.EXIT_INVALID
        else:
            code = import_workers.EXIT_OK
        return self._finish(options, report, code)
