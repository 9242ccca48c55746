"""Benchmark the priority list at scale (PostgreSQL): how much the neutral tie-break costs.

Fills a dedicated database (default siaga_priority_bench) with N workers (default 1,000,000)
and their heirs, generated like ``bench_dashboard.py`` (set-based SQL), no enrollments, so
every eligible worker is a candidate of 2024. Then times, warm, the two queries the priority
page runs (the first page of 50 and the count) with the tie-break ``TieKey``
(sha256("<year>:<NIK>")) and with the former ``created_at, nik`` order.

Usage: python benchmarks/bench_priority.py [--workers N] [--runs R] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_dashboard import GENERATE, SEGMENTS, ensure_database, timed  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/siaga_priority_bench"
        ),
    )
    return parser.parse_args()


def seed(n: int) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE participants_heir, enrollment_enrollmentevent, enrollment_invoiceline,"
            " enrollment_claim, enrollment_enrollment, participants_worker RESTART IDENTITY CASCADE"
        )
        cursor.execute("SET LOCAL session_replication_role = replica")
        for statement in GENERATE[:2]:  # workers, heirs
            started = time.perf_counter()
            cursor.execute(statement.format(n=n, segments=SEGMENTS))
            print(f"  seed step: {time.perf_counter() - started:.1f} s")
        cursor.execute("SET LOCAL session_replication_role = origin")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE participants_worker")
        cursor.execute("VACUUM ANALYZE participants_heir")


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from enrollment.models import ProgramYear
    from participants.models import Worker
    from targeting.selectors import ranked_candidates, rule_for

    call_command("migrate", verbosity=0)
    if Worker.objects.count() != args.workers:
        print(f"Generating {args.workers:,} workers …")
        seed(args.workers)
    year = ProgramYear.objects.get(year=2024)
    rule = rule_for(year)
    ranked = ranked_candidates(program_year=year, rule=rule, on=year.coverage_start)
    former = ranked.order_by("-score", "created_at", "nik")
    print(f"{Worker.objects.count():,} workers, {ranked.count():,} candidates")
    for label, queryset in (("sha256 tie-break", ranked), ("created_at, nik", former)):
        median, p95 = timed(lambda qs=queryset: list(qs[:50]), args.runs)
        print(f"  first page of 50, {label}: median {median:.0f} ms, p95 {p95:.0f} ms")
    median, p95 = timed(lambda: ranked.count(), args.runs)
    print(f"  count: median {median:.0f} ms, p95 {p95:.0f} ms")


if __name__ == "__main__":
    main()
