"""Generate one official document from the command line (recorded like a download).

python manage.py document lampiran-sk --year 2024 --format pdf --output lampiran.pdf
python manage.py document ba-verifikasi --year 2024 --batch 3 --output ba.pdf
python manage.py document ba-rekonsiliasi --year 2024 --invoice 7 --format xlsx --output r.xlsx
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from enrollment.models import PremiumInvoice, ProgramYear

from ...documents import generate
from ...models import DocumentFormat, DocumentKind, SubmissionBatch


def _date(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


class Command(BaseCommand):
    help = "Generate an official document (PDF or xlsx) and record it."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=DocumentKind.values)
        parser.add_argument("--year", type=int, required=True)
        parser.add_argument("--batch", type=int, help="Submission batch ID.")
        parser.add_argument("--invoice", type=int, help="Premium invoice ID.")
        parser.add_argument("--format", choices=DocumentFormat.values, default="pdf")
        parser.add_argument("--output", required=True, help="File to write.")
        parser.add_argument("--from", dest="start", type=_date, help="Claims from (YYYY-MM-DD).")
        parser.add_argument("--to", dest="end", type=_date, help="Claims to (YYYY-MM-DD).")
        parser.add_argument("--user", help="Username recorded as the generator (and signer).")

    def handle(self, *args, **options):
        try:
            year = ProgramYear.objects.get(year=options["year"])
        except ProgramYear.DoesNotExist as error:
            raise CommandError(f"Tahun program {options['year']} tidak ada.") from error
        batch = invoice = user = None
        if options["batch"] is not None:
            batch = SubmissionBatch.objects.filter(pk=options["batch"]).first()
            if batch is None:
                raise CommandError(f"Batch {options['batch']} tidak ada.")
        if options["invoice"] is not None:
            invoice = PremiumInvoice.objects.filter(pk=options["invoice"]).first()
            if invoice is None:
                raise CommandError(f"Tagihan {options['invoice']} tidak ada.")
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"Pengguna {options['user']} tidak ada.")
        try:
            made = generate(
                options["kind"],
                program_year=year,
                file_format=options["format"],
                batch=batch,
                invoice=invoice,
                start=options["start"],
                end=options["end"],
                user=user,
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        Path(options["output"]).write_bytes(made.content)
        self.stdout.write(
            f"{options['output']}: {made.record.number}, {len(made.content):,} bytes, "
            f"SHA-256 {made.record.sha256}"
        )
