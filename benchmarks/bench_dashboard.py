"""Benchmark the dashboard: `make bench-dashboard` (PostgreSQL) and
`make bench-dashboard-sqlite` (SQLite with `seed_demo`'s default data).

Fills a dedicated database (default siaga_dash_bench) with N workers (default 1,000,000),
their heirs, one enrollment per worker spread over 2024 and 2025 with history events, then
times in-process requests (Django test client: server time including middleware and template
rendering, no network) for the dashboard page, its JSON, the admin worker changelist and a
NIK search, beside the "floor": the bare SQL each one cannot avoid on the same data.
Prints the table and records it in docs/benchmarks.md under "## Dashboard".

The data are generated with set-based SQL (generate_series) with triggers disabled for the
bulk load (session_replication_role = replica, needs a superuser), then the dashboard's
summary tables are rebuilt once, exactly as `manage.py dashboard_rebuild` does. The
enrollment app's `seed_demo` command, once available, can be used instead with --seed-demo.

On SQLite (``--database-url sqlite:////tmp/file.sqlite3``) the data always come from
`seed_demo` (default size, 15,000 workers), and the dashboard reads the summary its SQLite
triggers keep (dashboard/sqlite_summary.py).

Usage: python benchmarks/bench_dashboard.py [--workers N] [--runs R] [--reseed]
       [--database-url URL] [--seed-demo]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEGMENTS = 16


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--workers", type=int, help="Default 1,000,000; on SQLite seed_demo's default."
    )
    parser.add_argument("--runs", type=int, default=25)
    parser.add_argument("--reseed", action="store_true", help="Drop the data and generate again.")
    parser.add_argument("--seed-demo", action="store_true", help="Use manage.py seed_demo.")
    parser.add_argument(
        "--year", type=int, help="Program year to show (default 2025; 2024 with --seed-demo)."
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/siaga_dash_bench"
        ),
    )
    parser.add_argument("--no-record", action="store_true", help="Do not edit docs/benchmarks.md.")
    parser.add_argument(
        "--rebuild", action="store_true", help="Recompute the dashboard summary before timing."
    )
    return parser.parse_args()


GENERATE = [
    # Workers: valid 16-digit NIKs (3577 0k DDMMYY serial), unique by (birth date, serial).
    """
    INSERT INTO participants_worker (nik, kk_number, full_name, birth_place, birth_date, sex,
        address, rt, rw, phone, worker_type, employer_name, monthly_income, has_disability,
        employer_covered, dtks_status, dtks_desil, dtks_checked_on, dtks_source, death_date,
        notes, created_at, updated_at, kelurahan_id, segment_id)
    SELECT '35770' || (1 + i % 3)::text
            || lpad((extract(day FROM bd)::int + CASE WHEN i % 2 = 1 THEN 40 ELSE 0 END)::text, 2, '0')
            || to_char(bd, 'MMYY') || lpad((1 + i / 16000)::text, 4, '0'),
        '357701' || lpad(i::text, 10, '0'),
        'Pekerja ' || i, 'Madiun', bd, CASE WHEN i % 2 = 1 THEN 'P' ELSE 'L' END,
        'Jl. Contoh ' || i, '001', '002', '', CASE WHEN i % 9 < 4 THEN 'PU' ELSE 'BPU' END, '',
        1500000 + (i % 40) * 50000, i % 97 = 0, false,
        (ARRAY['unchecked', 'registered', 'not_registered'])[1 + i % 3],
        CASE WHEN i % 3 = 1 THEN 1 + i % 10 END,
        CASE WHEN i % 3 <> 0 THEN DATE '2024-03-01' END, '', NULL, '', now(), now(),
        (SELECT array_agg(id ORDER BY code) FROM participants_kelurahan)[1 + (i * 7) % 27],
        (SELECT array_agg(id ORDER BY id) FROM participants_segment)[1 + (i * 11) % {segments}]
    FROM generate_series(0, {n} - 1) AS i,
        LATERAL (SELECT DATE '1962-01-01' + (i % 16000) AS bd) AS d
    """,
    # Heirs: 0-3 per worker, children of every age, some without a birth date.
    """
    INSERT INTO participants_heir (name, nik, relationship, birth_date, school_level,
        created_at, updated_at, worker_id)
    SELECT 'Ahli waris ' || w.id || '-' || k, '',
        CASE WHEN k = 1 AND w.id % 2 = 0 THEN 'spouse' ELSE 'child' END,
        CASE WHEN (w.id + k) % 6 = 0 THEN NULL ELSE DATE '1998-01-01' + ((w.id * 13 + k * 977) % 9400)::int END,
        (ARRAY['belum_sekolah', 'tk', 'sd', 'smp', 'sma', 'pt', 'tidak_sekolah', ''])[1 + (w.id + k) % 8],
        now(), now(), w.id
    FROM participants_worker w, generate_series(1, 3) AS k
    WHERE k <= w.id % 4
    """,
    # Enrollments: 40% of the workers in 2024 (mostly ended), 80% in 2025 (the whole
    # pipeline); the 20% in both years are 2025's renewals.
    """
    INSERT INTO enrollment_enrollment (worker_id, program_year_id, worker_type, risk_class,
        declared_wage, status, monthly_premium, monthly_premium_micro, committed_amount,
        committed_micro, coverage_start, coverage_end,
        kpj_number, termination_reason, status_note, status_changed_at, quota_override,
        quota_override_reason, created_at)
    SELECT w.id, y.id, w.worker_type, CASE WHEN w.worker_type = 'PU' THEN 'rendah' ELSE '' END,
        CASE WHEN w.worker_type = 'PU' THEN w.monthly_income ELSE 0 END,
        s.status,
        CASE WHEN s.status IN ('diusulkan', 'ditolak') THEN NULL ELSE 16800 END,
        CASE WHEN s.status IN ('diusulkan', 'ditolak') THEN NULL ELSE 16800000000 END,
        CASE WHEN s.status IN ('diusulkan', 'ditolak') THEN 0
             WHEN s.status = 'dihentikan' THEN 16800 * 6 ELSE 16800 * 12 END,
        CASE WHEN s.status IN ('diusulkan', 'ditolak') THEN 0
             WHEN s.status = 'dihentikan' THEN 16800000000 * 6 ELSE 16800000000 * 12 END,
        make_date(y.year, 1, 1), make_date(y.year, 12, 31),
        CASE WHEN s.status IN ('aktif', 'berakhir', 'dihentikan') THEN lpad(w.id::text, 11, '0') ELSE '' END,
        CASE WHEN s.status = 'dihentikan' THEN 'mengundurkan_diri' ELSE '' END,
        '', now(), false, '', now()
    FROM participants_worker w
    JOIN enrollment_programyear y ON (y.year = 2024 AND w.id % 5 < 2) OR (y.year = 2025 AND w.id % 5 >= 1)
    CROSS JOIN LATERAL (SELECT CASE
        WHEN y.year = 2024 THEN (ARRAY['berakhir','berakhir','berakhir','berakhir','berakhir','berakhir','berakhir','dihentikan','ditolak','aktif'])[1 + ((w.id * 7 + w.id / 5) % 10)::int]
        ELSE (ARRAY['aktif','aktif','aktif','aktif','aktif','didaftarkan','diverifikasi','diusulkan','dihentikan','ditolak'])[1 + ((w.id * 3 + w.id / 7) % 10)::int]
    END AS status) AS s
    """,
    # History: verification and activation events spread over the months.
    """
    INSERT INTO enrollment_enrollmentevent (from_status, to_status, at, reason, enrollment_id)
    SELECT 'diusulkan', 'diverifikasi',
        make_timestamptz(y.year::int, (1 + (e.id * 5 + e.id / 3 + y.year) % (8 + y.year % 4))::int, (1 + e.id % 27)::int, 9, 0, 0, 'Asia/Jakarta'), '', e.id
    FROM enrollment_enrollment e JOIN enrollment_programyear y ON y.id = e.program_year_id
    WHERE e.status NOT IN ('diusulkan', 'ditolak')
    UNION ALL
    SELECT 'didaftarkan', 'aktif',
        make_timestamptz(y.year::int, (2 + e.id % 9)::int, (1 + e.id % 27)::int, 10, 0, 0, 'Asia/Jakarta'), '', e.id
    FROM enrollment_enrollment e JOIN enrollment_programyear y ON y.id = e.program_year_id
    WHERE e.kpj_number <> ''
    """,
]


def seed(n: int) -> None:
    from django.db import connection, transaction

    from dashboard.summary import summary_rebuild

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE participants_heir, enrollment_enrollmentevent, enrollment_invoiceline,"
            " enrollment_claim, enrollment_enrollment, participants_worker,"
            " dashboard_enrollmentfact, dashboard_cubecell RESTART IDENTITY CASCADE"
        )
        cursor.execute(
            "UPDATE enrollment_programyear SET budget = 20000000000000, status = 'berjalan'"
        )
        cursor.execute(
            "INSERT INTO enrollment_quotatarget (program_year_id, worker_type, target)"
            " SELECT id, t, %s FROM enrollment_programyear, unnest(ARRAY['PU','BPU']) t"
            " ON CONFLICT DO NOTHING",
            [n // 3],
        )
        cursor.execute("SET LOCAL session_replication_role = replica")
        for step, statement in enumerate(GENERATE, 1):
            started = time.perf_counter()
            cursor.execute(statement.format(n=n, segments=SEGMENTS))
            print(f"  seed step {step}/{len(GENERATE)}: {time.perf_counter() - started:.1f} s")
        cursor.execute("SET LOCAL session_replication_role = origin")
    started = time.perf_counter()
    summary_rebuild()
    print(f"  summary rebuild: {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        for table in (
            "participants_worker",
            "participants_heir",
            "enrollment_enrollment",
            "enrollment_enrollmentevent",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")


CPU_MEDIANS: dict = {}


def timed(fn, runs: int) -> tuple[float, float]:
    """Median and p95 wall time in ms; the median CPU time of this process (the request and,
    on SQLite, the database work, without waiting for other processes) is kept in
    CPU_MEDIANS, since on a shared machine the wall time mostly measures the others."""
    fn()  # warm caches and connection
    samples, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    CPU_MEDIANS[fn] = statistics.median(cpu)
    return statistics.median(samples), p95


def ensure_database(url: str) -> None:
    """Create the benchmark's own database on first use (never touches another one)."""
    from urllib.parse import urlsplit

    import psycopg2

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = psycopg2.connect(
        host=parts.hostname, port=parts.port or 5432, user=parts.username or "postgres",
        password=parts.password, dbname="postgres",
    )  # fmt: skip
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            print(f"Creating database {name} …")
            cursor.execute(f'CREATE DATABASE "{name}"')
    admin.close()


def main() -> None:
    args = parse_args()
    sqlite = args.database_url.startswith("sqlite:")
    if sqlite:
        args.seed_demo = True
    else:
        ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")
    os.environ.setdefault("DEBUG", "False")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-a-secret-" + "x" * 30)
    os.environ.setdefault("ALLOWED_HOSTS", "testserver")
    os.environ.setdefault("SECURE_SSL_REDIRECT", "False")
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from dashboard.facts import T_CUBE
    from enrollment.models import Enrollment, ProgramYear
    from participants.models import Worker

    if connection.vendor not in ("postgresql", "sqlite"):
        sys.exit("The benchmark needs PostgreSQL or SQLite (set --database-url).")
    if args.workers is None:
        from enrollment.demo import DEFAULT_WORKERS

        args.workers = DEFAULT_WORKERS if sqlite else 1_000_000
    call_command("migrate", verbosity=0)
    # Production settings serve hashed static files from the collectstatic manifest.
    call_command("collectstatic", interactive=False, verbosity=0)
    workers = Worker.objects.count()
    if args.reseed or workers != args.workers:
        print(f"Generating {args.workers:,} workers …")
        if args.seed_demo:
            from dashboard.summary import summary_deferred

            if Worker.objects.exists():
                sys.exit(
                    f"{args.database_url} holds other data: remove the file or database first."
                )
            with summary_deferred():
                call_command("seed_demo", workers=args.workers)
        else:
            seed(args.workers)
    elif args.rebuild:
        from dashboard.summary import summary_rebuild

        summary_rebuild()
    workers = Worker.objects.count()
    enrollments = Enrollment.objects.count()

    User = get_user_model()
    official, _ = User.objects.get_or_create(username="bench-official")
    official.user_permissions.add(Permission.objects.get(codename="view_dashboard"))
    admin, _ = User.objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    official_client, admin_client = Client(), Client()
    official_client.force_login(official)
    admin_client.force_login(admin)
    year = ProgramYear.objects.get(year=args.year or (2024 if args.seed_demo else 2025))
    nik = Worker.objects.order_by("pk").values_list("nik", flat=True)[len(str(workers)) * 997]

    def get(client, url, **params):
        def run():
            response = client.get(url, params)
            assert response.status_code == 200, (url, response.status_code)

        return run

    def bare(sql, params=()):
        def run():
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                cursor.fetchall()

        return run

    cube_floor = bare(
        f"SELECT dim, value, status, worker_type, SUM(n), SUM(amount) FROM {T_CUBE}"
        " WHERE program_year_id = %s GROUP BY 1, 2, 3, 4",
        [year.pk],
    )
    live = bare(
        "SELECT w.kelurahan_id, w.segment_id, e.worker_type, e.status, COUNT(*),"
        " SUM(e.committed_amount) FROM enrollment_enrollment e"
        " JOIN participants_worker w ON w.id = e.worker_id WHERE e.program_year_id = %s"
        " GROUP BY 1, 2, 3, 4",
        [year.pk],
    )
    changelist_floor = bare(
        "SELECT w.*, s.name, k.name FROM participants_worker w"
        " JOIN participants_segment s ON s.id = w.segment_id"
        " JOIN participants_kelurahan k ON k.id = w.kelurahan_id ORDER BY w.id DESC LIMIT 51"
    )
    nik_floor = bare("SELECT * FROM participants_worker WHERE nik = %s", [nik])
    rows = [
        (
            "Dashboard page /dashboard/",
            get(official_client, "/dashboard/", year=year.year),
            cube_floor,
            300,
        ),
        (
            f"Dashboard JSON /dashboard/{year.year}.json",
            get(official_client, f"/dashboard/{year.year}.json"),
            cube_floor,
            200,
        ),
        (
            "Dashboard page, filtered (kecamatan + BPU)",
            get(official_client, "/dashboard/", year=year.year, kecamatan=1, worker_type="BPU"),
            cube_floor,
            300,
        ),
        (
            f"Dashboard xlsx /dashboard/{year.year}.xlsx",
            get(official_client, f"/dashboard/{year.year}.xlsx"),
            cube_floor,
            300,
        ),
        (
            f"Dashboard print /dashboard/{year.year}/report/",
            get(official_client, f"/dashboard/{year.year}/report/"),
            cube_floor,
            300,
        ),
        (
            "Admin worker changelist",
            get(admin_client, "/admin/participants/worker/"),
            changelist_floor,
            300,
        ),
        (
            "Admin NIK search (16 digits)",
            get(admin_client, "/admin/participants/worker/", q=nik),
            nik_floor,
            300,
        ),
    ]
    load = os.getloadavg()
    results = []
    for label, fn, floor_fn, limit in rows:
        median, p95 = timed(fn, args.runs)
        floor_median, _p = timed(floor_fn, args.runs)
        results.append((label, median, p95, CPU_MEDIANS[fn], floor_median, limit))
    live_median, live_p95 = timed(live, max(5, args.runs // 5))

    if sqlite:
        import sqlite3

        engine = f"SQLite {sqlite3.sqlite_version}"
    else:
        engine = f"PostgreSQL {connection.cursor().connection.server_version // 10000}"
    header = (
        f"{workers:,} workers, {enrollments:,} enrollments; {engine}, {os.cpu_count()} CPU, "
        f"Python {platform.python_version()}; {args.runs} runs each, in-process Django test client;"
        f" load average before the runs {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
        " (other work on the machine inflates every figure)."
    )
    lines = [
        "| Request | median ms | p95 ms | CPU median ms | floor median ms | target ms | ok |",
        "|---|---:|---:|---:|---:|---:|:---:|",
    ]
    for label, median, p95, cpu, floor_median, limit in results:
        ok = "yes" if median <= limit else "NO"
        lines.append(
            f"| {label} | {median:.1f} | {p95:.1f} | {cpu:.1f} | {floor_median:.1f} | {limit}"
            f" | {ok} |"
        )
    lines.append(
        f"| (reference) live GROUP BY over enrollments for {year.year}, no summary"
        f" | {live_median:.1f}"
        f" | {live_p95:.1f} | {CPU_MEDIANS[live]:.1f} | – | – | – |"
    )
    table = "\n".join(lines)
    print()
    print(header)
    print(table)
    if not args.no_record:
        if sqlite:
            source = "SQLite, data from `manage.py seed_demo` (`make bench-dashboard-sqlite`)"
        elif args.seed_demo:
            source = "Data from `manage.py seed_demo`"
        else:
            source = "Data generated in SQL (the default)"
        record(source, header, table)


def record(source: str, header: str, table: str) -> None:
    """Replace this data source's subsection of "## Dashboard" in docs/benchmarks.md."""
    path = ROOT / "docs" / "benchmarks.md"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    intro = (
        "## Dashboard\n\n"
        "Measured by `make bench-dashboard` (benchmarks/bench_dashboard.py; "
        "`BENCH_ARGS=--seed-demo` fills the database with `manage.py seed_demo` instead) "
        "and on SQLite by `make bench-dashboard-sqlite` (`seed_demo`'s default data in a "
        "scratch file). "
        "Server time of each request in-process (CPU: this process's CPU time, which on a "
        "shared machine is closer to a quiet machine's time); the floor is the bare SQL the "
        "request "
        "cannot avoid (the cube aggregate for the dashboard, the changelist's page query, "
        "the NIK lookup).\n\n"
    )
    subsection = f"### {source}\n\n{header}\n\n{table}\n\n"
    section_re = re.compile(r"^## Dashboard\n.*?(?=^## |\Z)", re.S | re.M)
    found = section_re.search(text)
    if found is None:
        text = text.rstrip() + "\n\n" + intro + subsection
    else:
        body = found.group(0)
        kept = re.findall(r"^### .*?(?=^### |\Z)", body, re.S | re.M)
        kept = [k.rstrip() + "\n\n" for k in kept if not k.startswith(f"### {source}\n")]
        body = intro + "".join(sorted([*kept, subsection]))
        text = text[: found.start()] + body + text[found.end() :]
    text = text.rstrip() + "\n"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text)
    print(f"\nRecorded in {path.relative_to(ROOT)}.")


if __name__ == "__main__":
    main()
