"""Delete checked-but-unconfirmed import rows older than a few hours (personal data).

Uploads also purge stale rows, so this is only needed on quiet servers; run it from cron.
"""

from django.core.management.base import BaseCommand

from importer.services import import_purge_stale


class Command(BaseCommand):
    help = "Delete staged import rows that were never confirmed and mark those imports abandoned."

    def add_arguments(self, parser):
        parser.add_argument("--max-age", type=int, default=3 * 60 * 60, help="Seconds.")

    def handle(self, *args, **options):
        closed = import_purge_stale(options["max_age"])
        self.stdout.write(f"{closed}")
