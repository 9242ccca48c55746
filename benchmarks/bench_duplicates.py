"""Benchmark the possible-duplicate rule: quality (precision/recall) and speed of a full scan.

    make bench-duplicates                        # 16,000 people, database of DATABASE_URL
    make bench-duplicates PEOPLE=1000000         # with DATABASE_URL=postgres://…
    .venv/bin/python benchmarks/bench_duplicates.py --people 200000 --keep   # keep the data
    .venv/bin/python benchmarks/bench_duplicates.py --people 200000 --reuse  # scan it again

It builds a registry with known duplicates and look-alikes (dedup/synthetic.py) in a
throw-away test database (``test_<name>``; SQLite: benchmarks/out/dup-<people>.sqlite3),
then runs the same scan as ``manage.py find_duplicates`` twice, each in a fresh process:

- **first scan**: no blocking keys stored yet, so every worker's keys are computed (what the
  first scan after an upgrade, or after a bulk load without keys, costs);
- **rescan**: keys are current, only changed workers would be re-keyed (the usual case).

Each prints one row of a table: people, database, wall seconds, CPU seconds of the Python
process and (PostgreSQL on this host) of its database backend, peak memory of both, pairs
found, precision and recall at the default threshold. Results are recorded by hand in
docs/benchmarks.md together with the machine's load.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")


def load(people: int, seed: int) -> None:
    from dedup.synthetic import generate, worker_fields
    from importer.bulk import insert_rows
    from participants.models import Kelurahan, Segment, Worker

    rows, truth = generate(people, seed=seed)
    kelurahan = list(Kelurahan.objects.order_by("code").values_list("pk", flat=True))
    segment = Segment.objects.order_by("pk").values_list("pk", flat=True).first()
    for start in range(0, len(rows), 50_000):
        records = [
            worker_fields(r, kelurahan, segment, "Madiun") for r in rows[start : start + 50_000]
        ]
        insert_rows(Worker, records)
    _truth_file(people, seed).write_text("".join(f"{a} {b}\n" for a, b in sorted(truth)))


def _truth_file(people: int, seed: int) -> Path:
    return OUT / f"dup-truth-{people}-{seed}.txt"


def _proc_cpu(pid: int) -> float:
    """User + system CPU seconds of a process on this host (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _proc_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def scan(profile: str | None) -> None:
    """Child process: the scan alone, so its time and peak memory are its own."""
    import django

    django.setup()
    from django.db import connection

    from dedup.scan import find_duplicates

    backend = None
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend = cursor.fetchone()[0]
        if not Path(f"/proc/{backend}").exists():  # the server runs elsewhere
            backend = None
    backend_cpu = _proc_cpu(backend) if backend else 0.0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    started = time.monotonic()
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        pairs = profiler.runcall(find_duplicates)
        profiler.dump_stats(profile)
    else:
        pairs = find_duplicates()
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    peak_mb = after.ru_maxrss / 1024
    db_cpu = _proc_cpu(backend) - backend_cpu if backend else 0.0
    db_peak = _proc_peak_mb(backend) if backend else 0.0
    for pair in pairs:
        print(f"PAIR {pair.a.nik} {pair.b.nik} {pair.score}")
    from dedup.scan import STATS

    print(f"TIME {wall:.2f} {cpu:.2f} {peak_mb:.0f} {db_cpu:.2f} {db_peak:.0f}")
    print("STATS " + ", ".join(f"{name} {value:,}" for name, value in STATS.items()))


def _run_scan(env: dict, profile: str | None) -> tuple[set, list[str]]:
    command = [sys.executable, __file__, "--scan-only"]
    if profile:
        command += ["--profile", profile]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if out.returncode:
        sys.exit(out.stderr)
    lines = out.stdout.splitlines()
    found = {tuple(line.split()[1:3]) for line in lines if line.startswith("PAIR ")}
    figures = next(line.split()[1:] for line in lines if line.startswith("TIME "))
    print(next(line for line in lines if line.startswith("STATS ")), file=sys.stderr)
    return found, figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=16_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the test database")
    parser.add_argument("--reuse", action="store_true", help="scan a kept test database")
    parser.add_argument("--profile", help="cProfile the scans into PROFILE.first/.rescan")
    parser.add_argument("--rescan-only", action="store_true", help="skip the first scan")
    parser.add_argument("--scan-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scan_only:
        scan(args.profile)
        return

    import django

    django.setup()
    from django.db import connection

    OUT.mkdir(exist_ok=True)
    original = connection.settings_dict["NAME"]
    vendor = connection.vendor
    if vendor == "sqlite":  # a file, so the scan's own process can open it
        connection.settings_dict["TEST"]["NAME"] = str(OUT / f"dup-{args.people}.sqlite3")
    else:
        connection.settings_dict["TEST"]["NAME"] = f"test_{original}_dup{args.people}"
    if args.reuse:
        test_name = connection.settings_dict["TEST"]["NAME"]
        connection.settings_dict["NAME"] = test_name
    else:
        test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        if not args.reuse:
            started = time.monotonic()
            load(args.people, args.seed)
            print(f"loaded in {time.monotonic() - started:.0f} s", file=sys.stderr)
        from dedup.models import WorkerKey, WorkerKeyState
        from participants.models import Worker

        workers = Worker.objects.count()
        truth = {
            tuple(line.split())
            for line in _truth_file(args.people, args.seed).read_text().splitlines()
        }
        env = dict(os.environ)
        if vendor == "postgresql":
            from urllib.parse import urlsplit, urlunsplit

            parts = urlsplit(os.environ["DATABASE_URL"])
            env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + test_name))
        else:
            env["DATABASE_URL"] = f"sqlite:///{test_name}"
        print(
            "| people | db | scan | wall s | CPU s | peak MB | DB CPU s | DB peak MB "
            "| pairs | precision | recall |"
        )
        print("|--:|---|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        runs = ["rescan"] if args.rescan_only else ["first", "rescan"]
        for run in runs:
            if run == "first":
                WorkerKey.objects.all().delete()
                WorkerKeyState.objects.all().delete()
            connection.close()
            profile = f"{args.profile}.{run}" if args.profile else None
            found, (wall, cpu, peak, db_cpu, db_peak) = _run_scan(env, profile)
            true_found = len(found & truth)
            precision = true_found / len(found) if found else 1.0
            recall = true_found / len(truth) if truth else 1.0
            db = "PostgreSQL" if vendor == "postgresql" else "SQLite"
            db_cols = f"{db_cpu} | {db_peak}" if vendor == "postgresql" else "– | –"
            print(
                f"| {workers:,} | {db} | {run} | {wall} | {cpu} | {peak} | {db_cols} "
                f"| {len(found):,} | {precision:.1%} | {recall:.1%} |",
                flush=True,
            )
    finally:
        connection.close()
        if args.keep or args.reuse:
            connection.settings_dict["NAME"] = original
        else:
            connection.creation.destroy_test_db(original, verbosity=0)


if __name__ == "__main__":
    main()
