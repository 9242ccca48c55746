"""Replace a premium invoice's participant list with BPJS's file (NIK, KPJ, amount) from the
command line, through the same importer as the admin upload.

Exit codes as ``import_workers``: 0 stored (or checked, with --dry-run); 1 invalid rows (e.g. a
NIK typed as a number or repeated: nothing written unless --skip-invalid) or the write was
refused; 2 the file cannot be read; 3 the --user given may not import.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from enrollment.models import PremiumInvoice
from enrollment.resources import InvoiceLinesImporter
from enrollment.services import ensure_year_open
from participants.management.commands import import_workers


class Command(import_workers.Command):
    help = (
        "Replace the participant list of a premium invoice with BPJS's list (NIK, No KPJ, "
        "Iuran) in xlsx, xls, ods or csv."
    )

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--invoice", type=int, required=True, help="The premium invoice's id.")

    def handle(self, *args, **options):
        invoice = (
            PremiumInvoice.objects.select_related("program_year")
            .filter(pk=options["invoice"])
            .first()
        )
        if invoice is None:
            raise CommandError(
                _("Premium invoice %(id)s does not exist.") % {"id": options["invoice"]}
            )
        try:
            ensure_year_open(invoice.program_year)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        importer = InvoiceLinesImporter(invoice=invoice)
        user = self._user(options["user"], importer.permission)
        return self._import(importer, user, options)
