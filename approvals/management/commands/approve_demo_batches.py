"""Demo data: approve the demo year's verified participants in submission batches."""

from django.core.management.base import BaseCommand, CommandError

from enrollment.models import ProgramYear

from ...demo import approve_demo_batches


class Command(BaseCommand):
    help = "Put the demo year's verified participants into approved submission batches."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, help="Program year (default: the latest).")

    def handle(self, *args, **options):
        year = (
            options["year"]
            or ProgramYear.objects.order_by("-year").values_list("year", flat=True).first()
        )
        if year is None or not ProgramYear.objects.filter(year=year).exists():
            raise CommandError("Tahun program tidak ada.")
        batches = approve_demo_batches(year)
        for batch in batches:
            self.stdout.write(f"{batch.number}: {batch.snapshot_count} peserta disetujui")
        if not batches:
            self.stdout.write("Tidak ada peserta yang perlu disetujui.")
