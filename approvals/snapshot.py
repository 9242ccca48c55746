"""What an approved batch freezes about each participant: built in ONE place.

``snapshot_rows`` reads enrollments through their public fields (worker, status, worker_type,
risk_class, monthly_premium, committed_amount, coverage dates), the segment and kelurahan the
enrollment was verified under (``Enrollment.segment``/``Enrollment.kelurahan``, kept when the
worker's record later changes) and the worker's identity data.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

SNAPSHOT_FIELDS = (
    "position",
    "enrollment_id_frozen",
    "nik",
    "full_name",
    "birth_date",
    "kecamatan",
    "kelurahan",
    "segment",
    "worker_type",
    "risk_class",
    "birth_place",
    "sex",
    "address",
    "rt",
    "rw",
    "phone",
    "declared_wage",
    "monthly_premium",
    "committed_amount",
    "coverage_start",
    "coverage_end",
)


# What ``snapshot_rows`` reads, for ``select_related``.
SNAPSHOT_RELATED = ("worker", "kelurahan__kecamatan", "segment")


def snapshot_rows(enrollments: Iterable) -> list[dict]:
    """The frozen rows, in the order documents list them: kecamatan, kelurahan, name, ID."""
    rows = []
    for enrollment in enrollments:
        worker = enrollment.worker
        rows.append(
            {
                "enrollment_id_frozen": enrollment.pk,
                "nik": worker.nik,
                "full_name": worker.full_name,
                "birth_date": worker.birth_date,
                # As verified, not the worker's current place (docs/approvals.md).
                "kecamatan": enrollment.kelurahan.kecamatan.name,
                "kelurahan": enrollment.kelurahan.name,
                "segment": enrollment.segment.name,
                "worker_type": enrollment.worker_type,
                "risk_class": enrollment.risk_class,
                "birth_place": worker.birth_place,
                "sex": worker.sex,
                "address": worker.address,
                "rt": worker.rt,
                "rw": worker.rw,
                "phone": worker.phone,
                "declared_wage": enrollment.declared_wage,
                "monthly_premium": enrollment.monthly_premium or 0,
                "committed_amount": enrollment.committed_amount,
                "coverage_start": enrollment.coverage_start,
                "coverage_end": enrollment.coverage_end,
            }
        )
    rows.sort(
        key=lambda r: (r["kecamatan"], r["kelurahan"], r["full_name"], r["enrollment_id_frozen"])
    )
    for position, row in enumerate(rows, start=1):
        row["position"] = position
    return rows


def snapshot_sha256(rows: Iterable) -> str:
    """SHA-256 of the whole snapshot: canonical JSON of every row's fields, in position order.

    ``rows`` may be dicts or ``SnapshotRow`` objects; both give the same hash.
    """
    digest = hashlib.sha256()
    for row in rows:
        get = row.get if isinstance(row, dict) else lambda name, r=row: getattr(r, name)
        values = {}
        for name in SNAPSHOT_FIELDS:
            value = get(name)
            values[name] = value.isoformat() if hasattr(value, "isoformat") else value
        digest.update(json.dumps(values, sort_keys=True, ensure_ascii=False).encode())
        digest.update(b"\n")
    return digest.hexdigest()
