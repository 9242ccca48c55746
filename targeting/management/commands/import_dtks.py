"""Import Dinas Sosial's DTKS/DTSEN check result from the command line, through the same code
as the admin upload.

Exit codes as ``import_workers``: 0 imported (or checked, with --dry-run); 1 invalid rows
(e.g. NIKs not in the registry: nothing written unless --skip-invalid) or the database refused
the write; 2 the file cannot be read; 3 the --user given may not import.
"""

from __future__ import annotations

import datetime

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from participants.management.commands import import_workers
from targeting.exports import dtks_requests
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
        "Import a DTKS/DTSEN check result (NIK, Status DTKS, Desil) from xlsx, xls, ods, csv or "
        "txt: sets status, desil, check date and source of the matching workers. With "
        "--answers-request, a list of only the NIKs found."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--source", required=True, help='Who answered, e.g. "Dinas Sosial Kota Blitar".'
        )
        parser.add_argument("--checked-on", required=True, help="Date of the answer, YYYY-MM-DD.")
        parser.add_argument(
            "--answers-request",
            type=int,
            help="For a list of only the NIKs found: the number of the check request (download "
            "in the personal-data export log) it answers; its workers missing from the list "
            "are recorded as not in DTKS/DTSEN.",
        )

    def handle(self, *args, **options):
        source = options["source"].strip()
        if not source:
            raise CommandError(_("--source may not be empty."))
        request_id = options.get("answers_request")
        if request_id is not None and not dtks_requests().filter(pk=request_id).exists():
            raise CommandError(
                _("There is no DTKS check request number %(id)s.") % {"id": request_id}
            )
        importer = DtksResultImporter(
            checked_on=check_date(options["checked_on"]), source=source, request_id=request_id
        )
        user = self._user(options["user"], importer.permission)
        return self._import(importer, user, options)
