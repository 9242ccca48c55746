"""Fill an empty registry with deterministic demo data for the region (enrollment/demo.py)."""

from __future__ import annotations

import contextlib
import time

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from enrollment.demo import DemoSeeder, default_workers
from enrollment.models import Enrollment
from participants.models import Worker


def bulk_load():
    """Defer the dashboard's trigger-maintained summary while seeding; rebuild it once after.

    Refreshing the summary row by row costs about a millisecond per worker (hours for a
    million); one rebuild at the end takes minutes. Without the dashboard app: a no-op.
    """
    if apps.is_installed("dashboard"):
        from dashboard.summary import summary_deferred

        return summary_deferred()
    return contextlib.nullcontext()


def no_messages():
    """Queue no participant messages while seeding: the demo people are fake, their phone
    numbers may belong to someone, and an "activation" of thousands of them must never be
    sent by the default sender (notifications.services.queueing_suppressed). Without the
    notifications app: a no-op."""
    if apps.is_installed("notifications"):
        from notifications.services import queueing_suppressed

        return queueing_suppressed()
    return contextlib.nullcontext()


def approve_seeded_years(year: int) -> list:
    """Leave both seeded years' participants in approved submission batches (demo signers),
    so the SK attachment, minutes and BPJS file can be made on demo data at once
    (docs/approvals.md, "Demo data"). Without the approvals app: nothing."""
    if not apps.is_installed("approvals"):
        return []
    from approvals.demo import approve_demo_batches

    return [
        *approve_demo_batches(year - 1),
        *approve_demo_batches(year),
    ]


class Command(BaseCommand):
    help = (
        "Create realistic, deterministic demo data: workers, heirs, two program years of "
        "enrollments, invoices and claims. Default: the 2024 figures of Siaga Kita."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="How many workers (default: 15,000 for Kota Madiun, scaled to the villages "
            "of other regions).",
        )
        parser.add_argument("--year", type=int, default=2024)
        parser.add_argument("--seed", type=int, default=2024, help="Random seed (default 2024).")
        parser.add_argument("--batch-size", type=int, default=50_000)

    def handle(self, *args, workers, year, seed, batch_size, **options):
        if workers is None:
            workers = default_workers()
        if workers < 1:
            raise CommandError("--workers must be at least 1.")
        existing = Worker.objects.count()
        if existing:
            raise CommandError(
                f"seed_demo fills an empty registry; this database already has {existing} "
                "workers. Use a fresh database."
            )
        if Enrollment.objects.filter(program_year__year__in=[year - 1, year]).exists():
            raise CommandError(f"Program years {year - 1}/{year} already have enrollments.")
        started = time.monotonic()
        with no_messages():
            with bulk_load():
                report = DemoSeeder(
                    workers=workers, year=year, seed=seed, batch_size=batch_size
                ).run()
            approved = approve_seeded_years(year)
        elapsed = time.monotonic() - started
        self.stdout.write(f"Seeded {report.workers:,} workers in {elapsed:.1f} s.")
        for phase, seconds in report.timings.items():
            self.stdout.write(f"  {phase}: {seconds:.1f} s")
        for table, count in sorted(report.rows.items()):
            self.stdout.write(f"  {table}: {count:,} rows")
        for program_year, counts in sorted(report.year_counts.items()):
            summary = ", ".join(f"{status} {n:,}" for status, n in sorted(counts.items()))
            budget = report.budgets.get(program_year, 0)
            self.stdout.write(f"  {program_year}: {summary}; budget Rp {budget:,}")
        for batch in approved:
            self.stdout.write(f"  {batch.number}: {batch.snapshot_count:,} participants approved")
