"""Benchmark the official documents: the SK attachment (daftar nominatif) as PDF and xlsx.

    .venv/bin/python benchmarks/bench_documents.py [--people 16413]   # DATABASE_URL optional

Builds an approved batch of ``--people`` frozen participants in a throw-away test database
(created and dropped here), then times ``approvals.documents.generate`` exactly as the
download view and ``manage.py document`` call it (reading the snapshot, laying out, rendering,
hashing, recording). Prints a Markdown table; results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")


def build_batch(people: int, seed: int):
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from approvals.models import BatchStatus, SnapshotRow, SubmissionBatch
    from approvals.snapshot import snapshot_sha256
    from enrollment.models import ProgramYear
    from participants.models import Kelurahan, Segment

    rng = random.Random(seed)
    year = ProgramYear.objects.get(year=2024)
    user = get_user_model().objects.create(username="bench")
    places = list(Kelurahan.objects.select_related("kecamatan"))
    segments = list(Segment.objects.values_list("name", flat=True))
    rows = []
    for i in range(people):
        place = rng.choice(places)
        pu = rng.random() < 0.1
        rows.append(
            {
                "enrollment_id_frozen": i + 1,
                "nik": f"357701{rng.randrange(10**10):010d}",
                "full_name": f"Peserta {rng.choice(['Siti', 'Budi', 'Agus', 'Sri'])} {i}",
                "birth_date": datetime.date(1960, 1, 1) + datetime.timedelta(rng.randrange(15000)),
                "kecamatan": place.kecamatan.name,
                "kelurahan": place.name,
                "segment": rng.choice(segments),
                "worker_type": "PU" if pu else "BPU",
                "risk_class": "rendah" if pu else "",
                "monthly_premium": 16800,
                "committed_amount": 16800 * 12,
                "coverage_start": datetime.date(2024, 1, 1),
                "coverage_end": datetime.date(2024, 12, 31),
            }
        )
    rows.sort(key=lambda r: (r["kecamatan"], r["kelurahan"], r["full_name"], r["nik"]))
    for position, row in enumerate(rows, 1):
        row["position"] = position
    batch = SubmissionBatch.objects.create(
        program_year=year,
        number="001/BENCH/2024",
        status=BatchStatus.APPROVED,
        approvals_required=1,
        prepared_by=user,
        approved_at=timezone.now(),
        snapshot_sha256=snapshot_sha256(rows),
        snapshot_count=len(rows),
    )
    SnapshotRow.objects.bulk_create([SnapshotRow(batch=batch, **r) for r in rows], batch_size=2000)
    return year, batch, user


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=16_413)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection

    from approvals.documents import generate

    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        year, batch, user = build_batch(args.people, args.seed)
        print(
            f"| database | document | format | people | wall s (best of {args.repeat}) "
            "| CPU s | size | pages | limit (wall s) |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for kind, scope in (("lampiran-sk", "year"), ("lampiran-sk", "batch"), ("rekap", "year")):
            for fmt, limit in (("pdf", 15.0), ("xlsx", 5.0)):
                best = cpu = None
                for _ in range(args.repeat):
                    started, cpu_started = time.perf_counter(), time.process_time()
                    made = generate(
                        kind,
                        program_year=year,
                        file_format=fmt,
                        batch=batch if scope == "batch" else None,
                        user=user,
                    )
                    took = time.perf_counter() - started
                    used = time.process_time() - cpu_started
                    best = took if best is None else min(best, took)
                    cpu = used if cpu is None else min(cpu, used)
                extent = ""
                if fmt == "pdf":
                    pages = made.content.count(b"/Type /Page") - made.content.count(b"/Type /Pages")
                    extent = f"{pages}"
                print(
                    f"| {connection.vendor} | {kind} ({scope}) | {fmt} | {args.people:,} "
                    f"| {best:.2f} | {cpu:.2f} | {len(made.content) / 1024:,.0f} KiB | {extent} "
                    f"| {'≤ ' + str(limit) if kind == 'lampiran-sk' else ''} |"
                )
    finally:
        connection.creation.destroy_test_db(connection.settings_dict["NAME"], verbosity=0)


if __name__ == "__main__":
    main()
