from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from dashboard.summary import has_summary_tables, summary_differences, summary_rebuild


class Command(BaseCommand):
    help = (
        "Reinstall the dashboard's triggers (PostgreSQL, SQLite) and recompute its summary tables "
        "(after changing SIAGA_SCHOOL_AGE_* or loading data with triggers disabled). "
        "--check only compares them with a fresh computation."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Compare, change nothing.")

    def handle(self, *args, check=False, **options):
        if not has_summary_tables():
            self.stdout.write(f"{connection.vendor}: the dashboard aggregates live, nothing to do.")
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
