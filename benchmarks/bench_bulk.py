"""Benchmark the bulk jobs at registry scale: `make bench-bulk` (PEOPLE=…, default 1,000,000).

On PostgreSQL (``--database-url``, default BENCH_DATABASE_URL or
postgres://postgres@127.0.0.1:5432/siaga_bulk_bench, the benchmark's own database, created on
first use) the registry is generated with set-based SQL (generate_series, as
benchmarks/bench_dashboard.py): PEOPLE workers with heirs, every one of them enrolled in
program year 2026 (about 94 % active or run out, the rest stopped or refused), an empty
2027 with a budget and quotas large enough for everyone. On SQLite
(``--database-url sqlite:////tmp/file.sqlite3``, PEOPLE default 16,000, an office's size)
the same rows come from the same statements in their SQLite form.

Each job then runs in a fresh Python process, so its peak RSS is its own:

* ``renewal``: ``enrollments_renew`` 2026 → 2027 (the whole membership);
* ``dashboard rebuild``: ``summary_rebuild`` (what ``manage.py dashboard_rebuild`` runs);
* ``propose top N``: ``proposals_from_priority`` for 2028 (``--top``, default 10,000 BPU);
* ``DTKS import``: a generated answer of Dinas Sosial for every worker (csv), preview + write;
* ``BPJS activation``: BPJS's answer (csv: NIK, No KPJ, start) for every 2027 renewal,
  first marked submitted in SQL, preview + write.

Prints a table (job, rows, wall s, CPU s of the job's process, peak RSS MB of that process)
and, unless --no-record, records it in docs/benchmarks.md under "## Bulk jobs".

Usage: python benchmarks/bench_bulk.py [--people N] [--jobs renewal,dashboard,…]
       [--database-url URL] [--reseed] [--top N] [--no-record]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "benchmarks" / "out"

JOBS = ("renewal", "dashboard", "propose", "dtks", "bpjs")
FROM_YEAR, TO_YEAR, TOP_YEAR = 2026, 2027, 2028


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, help="Default 1,000,000; 16,000 on SQLite.")
    parser.add_argument("--jobs", default=",".join(JOBS), help=f"Any of {', '.join(JOBS)}.")
    parser.add_argument("--top", type=int, default=10_000, help="N for 'propose top N'.")
    parser.add_argument("--reseed", action="store_true", help="Generate the registry again.")
    parser.add_argument(
        "--timeout", type=int, default=1500, help="Seconds a job but renewal may take."
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/siaga_bulk_bench"
        ),
    )
    parser.add_argument("--no-record", action="store_true", help="Do not edit docs/benchmarks.md.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    return parser.parse_args()


def setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret-" + "x" * 30)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    # BPJS and DTKS answers for a province are one file each: lift the office-size caps.
    os.environ.setdefault("SIAGA_IMPORT_MAX_BYTES", str(2 * 1024**3))
    os.environ.setdefault("SIAGA_IMPORT_MAX_ROWS", str(5_000_000))
    os.environ.setdefault("SIAGA_IMPORT_MAX_CELLS", str(50_000_000))
    import django

    django.setup()


# --- the registry ----------------------------------------------------------------------------

# Workers and heirs as benchmarks/bench_dashboard.py makes them (valid NIKs, every kelurahan
# and segment, DTKS answers of all kinds); enrollments: every worker in FROM_YEAR.
ENROLL_SQL = """
    INSERT INTO enrollment_enrollment (worker_id, program_year_id, worker_type, risk_class,
        declared_wage, status, monthly_premium, monthly_premium_micro, committed_amount,
        committed_micro, coverage_start, coverage_end, kpj_number, termination_reason,
        status_note, status_changed_at, quota_override, quota_override_reason, created_at,
        segment_id, kelurahan_id)
    SELECT w.id, y.id, w.worker_type, CASE WHEN w.worker_type = 'PU' THEN 'rendah' ELSE '' END,
        CASE WHEN w.worker_type = 'PU' THEN w.monthly_income ELSE 0 END, s.status,
        16800, 16800000000, 16800 * 12, 16800000000 * 12,
        y.coverage_start, y.coverage_end,
        CASE WHEN s.status IN ('aktif', 'berakhir', 'dihentikan') THEN {kpj} ELSE '' END,
        CASE WHEN s.status = 'dihentikan' THEN 'mengundurkan_diri' ELSE '' END,
        '', {now}, {false}, '', {now}, w.segment_id, w.kelurahan_id
    FROM participants_worker w
    JOIN enrollment_programyear y ON y.year = {year}
    JOIN (SELECT w2.id AS wid, CASE WHEN w2.id % 100 < 60 THEN 'aktif'
                                    WHEN w2.id % 100 < 94 THEN 'berakhir'
                                    WHEN w2.id % 100 < 97 THEN 'dihentikan'
                                    ELSE 'ditolak' END AS status
          FROM participants_worker w2) s ON s.wid = w.id
"""


def make_years(people: int) -> None:
    """FROM_YEAR running (its budget covers its enrollments), TO_YEAR and TOP_YEAR open with
    room for everyone, each with the rates of 2025 and overall PU/BPU quotas."""
    import datetime

    from enrollment.models import PremiumRate, ProgramYear, QuotaTarget

    template = ProgramYear.objects.get(year=2025)
    for year in (FROM_YEAR, TO_YEAR, TOP_YEAR):
        program_year, _ = ProgramYear.objects.update_or_create(
            year=year,
            defaults={
                "budget": people * 16_800 * 12 * 2,
                "coverage_start": datetime.date(year, 1, 1),
                "coverage_end": datetime.date(year, 12, 31),
                "status": "berjalan",
                "min_age": template.min_age,
                "max_age": template.max_age,
                "pu_wage_base": template.pu_wage_base,
                "umk": template.umk or 2_500_000,
            },
        )
        for rate in PremiumRate.objects.filter(program_year=template):
            PremiumRate.objects.update_or_create(
                program_year=program_year,
                worker_type=rate.worker_type,
                risk_class=rate.risk_class,
                defaults={
                    "jkk_amount": rate.jkk_amount,
                    "jkm_amount": rate.jkm_amount,
                    "jkk_percent": rate.jkk_percent,
                    "jkm_percent": rate.jkm_percent,
                    "legal_basis": rate.legal_basis,
                },
            )
        for worker_type in ("PU", "BPU"):
            QuotaTarget.objects.update_or_create(
                program_year=program_year,
                worker_type=worker_type,
                segment=None,
                kecamatan=None,
                defaults={"target": people},
            )


def seed(people: int) -> None:
    from django.db import connection, transaction

    from benchmarks.bench_dashboard import GENERATE, SEGMENTS
    from dashboard.summary import summary_deferred

    postgres = connection.vendor == "postgresql"
    with summary_deferred(), transaction.atomic(), connection.cursor() as cursor:
        for table in (
            "participants_historicalheir",
            "participants_heir",
            "targeting_proposalitem",
            "targeting_proposalskip",
            "targeting_proposalbatch",
            "enrollment_historicalenrollment",
            "enrollment_enrollmentevent",
            "enrollment_enrollment",
            "participants_historicalworker",
            "participants_worker",
        ):
            cursor.execute(f"DELETE FROM {table}")
        make_years(people)
        if postgres:
            cursor.execute("SET LOCAL session_replication_role = replica")
            for statement in GENERATE[:2]:
                started = time.perf_counter()
                cursor.execute(statement.format(n=people, segments=SEGMENTS))
                print(f"  {statement.split('(')[0].strip()}: {time.perf_counter() - started:.1f} s")
            now, false = "now()", "false"
        else:
            sqlite_workers(cursor, people)
            now, false = "CURRENT_TIMESTAMP", "0"
        started = time.perf_counter()
        kpj = "lpad(w.id::text, 11, '0')" if postgres else "substr('0000000000' || w.id, -11)"
        cursor.execute(ENROLL_SQL.format(year=FROM_YEAR, now=now, false=false, kpj=kpj))
        print(f"  enrollments {FROM_YEAR}: {time.perf_counter() - started:.1f} s")
        if postgres:
            cursor.execute("SET LOCAL session_replication_role = origin")
    from dashboard.summary import summary_rebuild

    summary_rebuild()
    if postgres:
        with connection.cursor() as cursor:
            for table in ("participants_worker", "participants_heir", "enrollment_enrollment"):
                cursor.execute(f"VACUUM ANALYZE {table}")


def sqlite_workers(cursor, people: int) -> None:
    """The same workers on SQLite, built in Python (16,000 rows: a second)."""
    import datetime

    from participants.models import Kelurahan, Segment

    kelurahan = list(Kelurahan.objects.order_by("code").values_list("id", flat=True))
    segments = list(Segment.objects.order_by("id").values_list("id", flat=True))
    rows = []
    for i in range(people):
        born = datetime.date(1962, 1, 1) + datetime.timedelta(days=i % 16000)
        day = born.day + (40 if i % 2 else 0)
        nik = f"35770{1 + i % 3}{day:02d}{born:%m%y}{1 + i // 16000:04d}"
        rows.append(
            (nik, f"357701{i:010d}", f"Pekerja {i}", "Madiun", born, "P" if i % 2 else "L",
             f"Jl. Contoh {i}", "001", "002", "", "PU" if i % 9 < 4 else "BPU", "",
             1_500_000 + (i % 40) * 50_000, i % 97 == 0, False,
             ("unchecked", "registered", "not_registered")[i % 3],
             1 + i % 10 if i % 3 == 1 else None,
             datetime.date(2024, 3, 1) if i % 3 else None, "", None, "",
             kelurahan[(i * 7) % len(kelurahan)], segments[(i * 11) % len(segments)])
        )  # fmt: skip
    cursor.executemany(
        "INSERT INTO participants_worker (nik, kk_number, full_name, birth_place, birth_date,"
        " sex, address, rt, rw, phone, worker_type, employer_name, monthly_income,"
        " has_disability, employer_covered, dtks_status, dtks_desil, dtks_checked_on,"
        " dtks_source, death_date, notes, kelurahan_id, segment_id, created_at, updated_at,"
        " is_active, deactivation_reason)"
        " VALUES (" + ", ".join(["%s"] * 23) + ", CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 1, '')",
        rows,
    )


def reset_years() -> None:
    """Empty TO_YEAR and TOP_YEAR again (a run before this one filled them), untimed."""
    from django.db import connection, transaction

    from dashboard.summary import summary_deferred
    from enrollment.models import Enrollment

    years = Enrollment.objects.filter(program_year__year__in=(TO_YEAR, TOP_YEAR))
    if not years.exists():
        return
    print("Emptying the years the jobs fill …")
    ids = "SELECT id FROM enrollment_enrollment WHERE program_year_id IN"
    ids += " (SELECT id FROM enrollment_programyear WHERE year IN (%s, %s))"
    with summary_deferred(), transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":  # the summary is rebuilt at the end
            cursor.execute("SET LOCAL session_replication_role = replica")
        for table in ("targeting_proposalitem", "targeting_proposalskip"):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute("DELETE FROM targeting_proposalbatch")
        for table, column in (
            ("enrollment_enrollmentevent", "enrollment_id"),
            ("enrollment_historicalenrollment", "id"),
            ("enrollment_enrollment", "id"),
        ):
            cursor.execute(f"DELETE FROM {table} WHERE {column} IN ({ids})", [TO_YEAR, TOP_YEAR])
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = origin")


# --- the jobs (each in its own process) -------------------------------------------------------


def bench_user():
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-bulk", defaults={"is_staff": True, "is_superuser": True}
    )
    return user


def job_renewal(args) -> int:
    from enrollment.models import ProgramYear
    from enrollment.renewal import enrollments_renew

    report = enrollments_renew(
        from_year=ProgramYear.objects.get(year=FROM_YEAR),
        to_year=ProgramYear.objects.get(year=TO_YEAR),
        user=bench_user(),
    )
    print(
        f"  renewal: {len(report.created):,} proposed, {report.already:,} already, "
        f"{report.not_renewed_count:,} not renewed",
        file=sys.stderr,
    )
    return len(report.created)


def job_dashboard(args) -> int:
    from dashboard.summary import summary_rebuild
    from enrollment.models import Enrollment

    summary_rebuild()
    return Enrollment.objects.count()


def job_propose(args) -> int:
    import datetime

    from enrollment.models import ProgramYear
    from targeting.services import proposals_from_priority

    outcome = proposals_from_priority(
        program_year=ProgramYear.objects.get(year=TOP_YEAR),
        worker_type="BPU",
        count=args.top,
        user=bench_user(),
        on=datetime.date(TOP_YEAR - 1, 12, 1),
    )
    return len(outcome.proposed)


def _run_import(importer, path: Path) -> int:
    """The admin's two steps without HTTP: stage (preview), then confirm."""
    from importer import services

    user = bench_user()
    staged = services.import_stage(
        importer=importer, data=path.read_bytes(), file_name=path.name, user=user
    )
    done = services.import_confirm(importer=importer, job=staged.job, user=user, skip_invalid=True)
    assert done.job.status == "imported", (done.job.status, done.job.message)
    return done.job.rows_total


def job_dtks(args) -> int:
    import datetime

    from participants.models import Worker
    from targeting.resources import DtksResultImporter

    path = OUT / f"dtks-{args.people}.csv"
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["NIK", "Status DTKS", "Desil"])
        niks = Worker.objects.order_by("pk").values_list("nik", flat=True)
        for i, nik in enumerate(niks.iterator(chunk_size=20_000)):
            registered = i % 4 != 0
            out.writerow([nik, "Terdaftar" if registered else "Tidak terdaftar",
                          1 + i % 10 if registered else ""])  # fmt: skip
    importer = DtksResultImporter(checked_on=datetime.date(2026, 11, 1), source="Dinas Sosial")
    return _run_import(importer, path)


def job_bpjs(args) -> int:
    from django.db import connection

    from enrollment.models import ProgramYear
    from enrollment.resources import BpjsActivationImporter

    year = ProgramYear.objects.get(year=TO_YEAR)
    with connection.cursor() as cursor:  # what verification and submission would have done
        cursor.execute(
            "UPDATE enrollment_enrollment SET status = 'didaftarkan', monthly_premium = 16800,"
            " monthly_premium_micro = 16800000000, committed_amount = 16800 * 12,"
            " committed_micro = 16800000000 * 12 WHERE program_year_id = %s",
            [year.pk],
        )
    path = OUT / f"bpjs-{args.people}.csv"
    rows = (
        year.enrollments.order_by("pk")
        .values_list("pk", "worker__nik", "coverage_start")
        .iterator(chunk_size=20_000)
    )
    with path.open("w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["NIK", "No KPJ", "Tanggal Mulai Kepesertaan"])
        for pk, nik, start in rows:
            out.writerow([nik, f"{90_000_000_000 + pk:011d}", start.strftime("%d-%m-%Y")])
    return _run_import(BpjsActivationImporter(program_year=year), path)


def backend_cpu() -> float:
    """CPU seconds of this connection's PostgreSQL backend so far (same host: /proc), or 0."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def child(args) -> None:
    setup(args.database_url)
    # A job that cannot keep its memory flat fails here instead of taking the shared machine.
    limit = int(os.environ.get("BENCH_MEMORY_LIMIT_MB", "4096")) * 1024**2
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    db_started = backend_cpu()
    cpu_started, started = time.process_time(), time.perf_counter()
    rows = globals()[f"job_{args.child}"](args)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    db_cpu = backend_cpu() - db_started
    print(
        json.dumps({"rows": rows, "wall": wall, "cpu": cpu, "db_cpu": db_cpu, "peak_mb": peak_mb})
    )


LABELS = {
    "renewal": f"Renewal {FROM_YEAR} → {TO_YEAR}",
    "dashboard": "Dashboard rebuild",
    "propose": "Propose top N (BPU)",
    "dtks": "DTKS result import (preview + write)",
    "bpjs": "BPJS activation import (preview + write)",
}


def main() -> None:
    args = parse_args()
    if args.child:
        return child(args)
    sqlite = args.database_url.startswith("sqlite:")
    if args.people is None:
        args.people = 16_000 if sqlite else 1_000_000
    if not sqlite:
        from benchmarks.bench_dashboard import ensure_database

        ensure_database(args.database_url)
    setup(args.database_url)
    from django.core.management import call_command
    from django.db import connection

    from participants.models import Worker

    call_command("migrate", verbosity=0)
    OUT.mkdir(exist_ok=True)
    if args.reseed or Worker.objects.count() != args.people:
        print(f"Generating {args.people:,} workers …")
        started = time.perf_counter()
        seed(args.people)
        print(f"  generated in {time.perf_counter() - started:.0f} s")
    if sqlite:
        import sqlite3

        engine = f"SQLite {sqlite3.sqlite_version}"
    else:
        engine = f"PostgreSQL {connection.cursor().connection.server_version // 10000}"
    reset_years()
    connection.close()
    results = []
    load_before = os.getloadavg()
    for job in args.jobs.split(","):
        command = [sys.executable, __file__, "--child", job, "--people", str(args.people),
                   "--top", str(args.top), "--database-url", args.database_url]  # fmt: skip
        started = time.perf_counter()
        try:
            limit = None if job == "renewal" else args.timeout  # renewal: the target itself
            done = subprocess.run(command, capture_output=True, text=True, timeout=limit)
        except subprocess.TimeoutExpired:
            results.append((job, {"failed": f"stopped after {args.timeout} s"}))
            print(f"  {LABELS[job]}: stopped after {args.timeout} s")
            continue
        sys.stderr.write(done.stderr[-3000:])
        if done.returncode:
            why = "out of memory" if "MemoryError" in done.stderr else "failed"
            figures = {"failed": f"{why} after {time.perf_counter() - started:.0f} s"}
        else:
            figures = json.loads(done.stdout.strip().splitlines()[-1])
        results.append((job, figures))
        print(f"  {LABELS[job]}: {figures}")
    load_after = os.getloadavg()
    header = (
        f"{args.people:,} workers; {engine}, {os.cpu_count()} CPU, Python "
        f"{platform.python_version()}; load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after (shared machine: the CPU column is this process's own)."
    )
    lines = [
        "| job | rows | wall s | CPU s (Python) | CPU s (database) | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for job, f in results:
        if "failed" in f:
            lines.append(f"| {LABELS[job]} | – | {f['failed']} | – | – | – |")
            continue
        lines.append(
            f"| {LABELS[job]} | {f['rows']:,} | {f['wall']:.1f} | {f['cpu']:.1f}"
            f" | {f['db_cpu']:.1f} | {f['peak_mb']:.0f} |"
        )
    table = "\n".join(lines)
    print()
    print(header)
    print(table)
    if not args.no_record:
        record(f"{engine.split()[0]}, {args.people:,} workers", header, table)


def record(source: str, header: str, table: str) -> None:
    """Replace this subsection of "## Bulk jobs" in docs/benchmarks.md."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text()
    intro = (
        "## Bulk jobs\n\n"
        "Measured by `make bench-bulk` (benchmarks/bench_bulk.py; `PEOPLE=…`, "
        "`BENCH_ARGS=--jobs renewal,…`; `make bench-bulk-sqlite` on SQLite). Each job runs "
        "in a fresh process: wall time, that process's CPU time, the CPU time of its "
        "PostgreSQL backend (read from /proc, same host) and the process's peak RSS. On a "
        "shared machine the CPU columns are the figures to compare: wall time there mostly "
        "measures the others' work.\n\n"
    )
    subsection = f"### {source}\n\n{header}\n\n{table}\n\n"
    section_re = re.compile(r"^## Bulk jobs\n.*?(?=^## |\Z)", re.S | re.M)
    found = section_re.search(text)
    if found is None:
        text = text.rstrip() + "\n\n" + intro + subsection
    else:
        kept = re.findall(r"^### .*?(?=^### |\Z)", found.group(0), re.S | re.M)
        kept = [k.rstrip() + "\n\n" for k in kept if not k.startswith(f"### {source}\n")]
        text = text[: found.start()] + intro + "".join([*kept, subsection]) + text[found.end() :]
    path.write_text(text.rstrip() + "\n")
    print(f"\nRecorded in {path.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
