"""Activate submitted enrollments from BPJS Ketenagakerjaan's answer (NIK, KPJ number, coverage
start) from the command line, through the same importer as the admin upload.

Exit codes as ``import_workers``: 0 activated (or checked, with --dry-run); 1 invalid rows
(e.g. NIKs not submitted in the year: nothing written unless --skip-invalid) or the write was
refused; 2 the file cannot be read; 3 the --user given may not import.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from enrollment.models import ProgramYear
from enrollment.resources import BpjsActivationImporter
from enrollment.services import ensure_year_open
from participants.management.commands import import_workers


class Command(import_workers.Command):
    help = (
        "Activate the submitted enrollments of a program year from BPJS's answer (NIK, No KPJ, "
        "Tanggal Mulai Kepesertaan) in xlsx, xls, ods or csv."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--year", type=int, required=True, help="The program year the file answers, e.g. 2025."
        )

    def handle(self, *args, **options):
        year = ProgramYear.objects.filter(year=options["year"]).first()
        if year is None:
            raise CommandError(
                _("Program year %(year)s does not exist.") % {"year": options["year"]}
            )
        try:
            ensure_year_open(year)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        importer = BpjsActivationImporter(program_year=year)
        user = self._user(options["user"], importer.permission)
        return self._import(importer, user, options)
