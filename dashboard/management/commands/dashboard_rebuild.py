from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dashboard.summary import summary_differences, summary_rebuild


class Command(BaseCommand):
    help = (
        "Reinstall the dashboard's PostgreSQL triggers and recompute its summary tables "
        "(after changing SIAGA_SCHOOL_AGE_* or loading data with triggers disabled). "
        "--check only compares them with a fresh computation."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare, change nothing.")

    def handle(self, *args, check=False, **options):
        if connection.vendor != "postgresql":
            self.stdout.write("Not PostgreSQL: the dashboard aggregates live, nothing to do.")
            return
        if check:
            differences = summary_differences()
            if differences:
                for row in differences:
                    self.stderr.write(repr(row))
                raise CommandError("The dashboard summary differs from the data.")
            self.stdout.write("The dashboard summary matches the data.")
            return
        summary_rebuild()
        self.stdout.write("Dashboard summary rebuilt.")
