"""Benchmark the possible-duplicate rule: quality (precision/recall) and speed of a full scan.

    make bench-duplicates                      # 16,000 people on SQLite and, with
                                               # DATABASE_URL, on PostgreSQL
    .venv/bin/python benchmarks/bench_duplicates.py --people 1000000   # DATABASE_URL=postgres…

It builds a registry with known duplicates and look-alikes (dedup/synthetic.py) in a
throw-away test database (``test_<name>``, created and dropped here), runs the same scan as
``manage.py find_duplicates`` in a fresh process and prints one table row: people, pairs
found, precision and recall at the default threshold, scan time and the scan's peak memory.
Results are recorded by hand in docs/benchmarks.md.
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
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")


def load(people: int, seed: int) -> set[tuple[str, str]]:
    from dedup.synthetic import generate
    from importer.bulk import insert_rows
    from participants.models import Kelurahan, Segment, Worker, WorkerType

    rows, truth = generate(people, seed=seed)
    kelurahan = list(Kelurahan.objects.order_by("code").values_list("pk", flat=True))
    segment = Segment.objects.order_by("pk").values_list("pk", flat=True).first()
    records = [
        {
            "nik": r.nik,
            "full_name": r.full_name,
            "birth_place": "Madiun",
            "birth_date": r.birth_date,
            "sex": r.sex,
            "kk_number": r.kk_number,
            "address": r.address,
            "rt": "001",
            "rw": "001",
            "kelurahan_id": kelurahan[r.kelurahan % len(kelurahan)],
            "phone": r.phone,
            "worker_type": WorkerType.BPU,
            "segment_id": segment,
        }
        for r in rows
    ]
    for start in range(0, len(records), 50_000):
        insert_rows(Worker, records[start : start + 50_000])
    return truth


def scan() -> None:
    """Child process: the scan alone, so its peak memory is its own."""
    import django

    django.setup()
    from dedup.scan import find_duplicates

    started = time.monotonic()
    pairs = find_duplicates()
    seconds = time.monotonic() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    for pair in pairs:
        print(f"PAIR {pair.a.nik} {pair.b.nik} {pair.score}")
    print(f"TIME {seconds:.2f} {peak_mb:.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=16_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--scan-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.scan_only:
        scan()
        return

    import django

    django.setup()
    from django.db import connection

    original = connection.settings_dict["NAME"]
    if connection.vendor == "sqlite":  # a file, so the scan's own process can open it
        connection.settings_dict["TEST"]["NAME"] = str(ROOT / "benchmarks" / "out" / "dup.sqlite3")
        (ROOT / "benchmarks" / "out").mkdir(exist_ok=True)
    test_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        started = time.monotonic()
        truth = load(args.people, args.seed)
        loaded = time.monotonic() - started
        from participants.models import Worker

        workers = Worker.objects.count()
        connection.close()
        env = dict(os.environ)
        if connection.vendor == "postgresql":
            from urllib.parse import urlsplit, urlunsplit

            parts = urlsplit(os.environ["DATABASE_URL"])
            env["DATABASE_URL"] = urlunsplit(parts._replace(path="/" + test_name))
        else:
            env["DATABASE_URL"] = f"sqlite:///{test_name}"
        out = subprocess.run(
            [sys.executable, __file__, "--scan-only"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        found = {tuple(line.split()[1:3]) for line in out if line.startswith("PAIR ")}
        seconds, peak = next(line.split()[1:] for line in out if line.startswith("TIME "))
        true_found = len(found & truth)
        precision = true_found / len(found) if found else 1.0
        recall = true_found / len(truth) if truth else 1.0
        print(
            "| database | workers | known duplicates | pairs found | precision | recall "
            "| scan (s) | scan peak RSS (MB) | load (s) |"
        )
        print("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
        print(
            f"| {connection.vendor} | {workers:,} | {len(truth):,} | {len(found):,} "
            f"| {precision:.1%} | {recall:.1%} | {float(seconds):.1f} | {peak} | {loaded:.0f} |"
        )
    finally:
        connection.creation.destroy_test_db(original, verbosity=0)


if __name__ == "__main__":
    main()
