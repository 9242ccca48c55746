"""Registry-wide search for possible duplicates, without comparing every pair.

Every worker gets a handful of blocking keys (dedup.matching.blocking_keys: NIK with one slip
allowed, first/last name word with the birth date, the whole name with the birth year or the
kelurahan, KK, phone). Only workers sharing a key are compared. The keys go into a temporary
table and the database groups them, so memory stays flat however large the registry: Python
holds one chunk of workers, then one chunk of candidate pairs at a time. Keys shared by more
than ``MAX_BLOCK`` workers (a phone number typed for a whole group, a very common name on a
common date) carry no information and are skipped.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection, transaction

from participants.models import Worker

from .matching import DEFAULT_MIN_SCORE, Person, compare, hashed_keys, name_keys, stable_key
from .models import DuplicatePair, PairStatus, WorkerKey, fingerprint

MAX_BLOCK = 40
WORKER_CHUNK = 20_000
PAIR_CHUNK = 50_000
PERSON_FIELDS = (
    "pk",
    "nik",
    "full_name",
    "birth_date",
    "kk_number",
    "phone",
    "kelurahan_id",
    "address",
)


@dataclass(frozen=True)
class Candidate:
    a: Person
    b: Person
    score: int
    reasons: list[str]

    def as_json(self) -> dict:
        return {"a": self.a.nik, "b": self.b.nik, "score": self.score, "reasons": self.reasons}


def _person(row) -> Person:
    pk, nik, full_name, birth_date, kk, phone, kelurahan_id, address = row
    return Person(
        nik=nik,
        full_name=full_name,
        birth_date=birth_date,
        kk_number=kk or "",
        phone=phone or "",
        kelurahan_id=kelurahan_id,
        address=address or "",
        pk=pk,
    )


KEY_TABLE = WorkerKey._meta.db_table


def _write_keys(cursor, rows: list[tuple[int, int]]) -> None:
    if connection.vendor == "postgresql":
        buffer = io.StringIO("".join(f"{pk}\t{key}\n" for pk, key in rows))
        cursor.copy_expert(f"COPY {KEY_TABLE} (worker_id, key) FROM STDIN", buffer)
    else:
        cursor.executemany(f"INSERT INTO {KEY_TABLE} (worker_id, key) VALUES (%s, %s)", rows)


def keys_refresh(workers) -> None:
    """Rewrite the blocking keys of these workers (after a save, an import or a merge), from
    what the database holds (a saved instance may still carry a date typed as text)."""
    ids = [w.pk for w in workers]
    WorkerKey.objects.filter(worker_id__in=ids).delete()
    people = [_person(row) for row in Worker.objects.filter(pk__in=ids).values_list(*PERSON_FIELDS)]
    WorkerKey.objects.bulk_create(
        [WorkerKey(worker_id=p.pk, key=k) for p in people for k in hashed_keys(p)],
        batch_size=5_000,
    )


WORKER_TABLE = Worker._meta.db_table
# The identity keys of matching.identity_keys, computed by the database (same strings).
_DIGITS = "replace(replace(replace(phone, '+', ''), ' ', ''), '-', '')"
SQL_KEYS = [
    ("'a' || substr(nik, 1, 12)", "length(nik) = 16"),
    ("'b' || substr(nik, 7, 10)", "length(nik) = 16"),
    ("'c' || substr(nik, 1, 6) || substr(nik, 13, 4)", "length(nik) = 16"),
    ("'d' || substr(nik, 1, 5) || substr(nik, 8, 9)", "length(nik) = 16"),
    ("'e' || substr(nik, 1, 11) || substr(nik, 14, 3)", "length(nik) = 16"),
    ("'f' || kk_number", "kk_number <> ''"),
    ("'p' || {last9}", f"length({_DIGITS}) >= 9"),
]


def _sql_hash(expression: str) -> str:
    if connection.vendor == "postgresql":
        return f"('x' || substr(md5({expression}), 1, 16))::bit(64)::bigint"
    return f"siaga_key({expression})"


def _rebuild_keys(cursor) -> None:
    """Every worker's keys, recomputed: the scan's input and the import check's index.

    The number keys are computed by the database in one statement; the name keys need the
    spelling rules, so Python computes them, streaming the registry in chunks."""
    cursor.execute(f"DELETE FROM {KEY_TABLE}")
    if connection.vendor == "sqlite":
        connection.connection.create_function("siaga_key", 1, stable_key, deterministic=True)
        last9 = f"substr({_DIGITS}, -9)"
    else:
        last9 = f"right({_DIGITS}, 9)"
    selects = " UNION ALL ".join(
        f"SELECT id, {_sql_hash(key.format(last9=last9))} FROM {WORKER_TABLE} WHERE {where}"
        for key, where in SQL_KEYS
    )
    cursor.execute(f"INSERT INTO {KEY_TABLE} (worker_id, key) {selects}")
    rows: list[tuple[int, int]] = []
    queryset = Worker.objects.values_list("pk", "full_name", "birth_date", "kelurahan_id")
    for pk, full_name, birth_date, kelurahan_id in queryset.order_by().iterator(
        chunk_size=WORKER_CHUNK
    ):
        person = Person(
            nik="", full_name=full_name, birth_date=birth_date, kelurahan_id=kelurahan_id
        )
        rows.extend((pk, stable_key(key)) for key in set(name_keys(person)))
        if len(rows) >= 200_000:
            _write_keys(cursor, rows)
            rows = []
    if rows:
        _write_keys(cursor, rows)


def _candidate_pairs(cursor) -> Iterator[tuple[int, int]]:
    """Pairs of worker ids sharing a blocking key, each pair once."""
    _rebuild_keys(cursor)
    aggregate = (
        "string_agg(worker_id::text, ',')"
        if connection.vendor == "postgresql"
        else "group_concat(worker_id)"
    )
    cursor.execute(
        f"SELECT {aggregate} FROM {KEY_TABLE} GROUP BY key HAVING COUNT(*) > 1 AND COUNT(*) <= %s",
        [MAX_BLOCK],
    )
    seen: set[int] = set()
    while batch := cursor.fetchmany(10_000):
        for (members,) in batch:
            ids = sorted(int(x) for x in members.split(","))
            for i, a in enumerate(ids):
                for b in ids[i + 1 :]:
                    if a == b:
                        continue
                    packed = (a << 32) | b
                    if packed not in seen:
                        seen.add(packed)
    for packed in sorted(seen):
        yield packed >> 32, packed & 0xFFFFFFFF


def _decided() -> dict[tuple[str, str], str]:
    """Fingerprints of decided pairs: those stay out while the compared fields are unchanged."""
    return {
        (a, b): fp
        for a, b, fp in DuplicatePair.objects.exclude(status=PairStatus.OPEN).values_list(
            "nik_a", "nik_b", "fingerprint"
        )
    }


def find_duplicates(
    *, min_score: int = DEFAULT_MIN_SCORE, include_decided: bool = False
) -> list[Candidate]:
    """Possible duplicate pairs of the registry at or above ``min_score``, best first."""
    decided = {} if include_decided else _decided()
    found: list[Candidate] = []
    with transaction.atomic(), connection.cursor() as cursor:
        pairs = _candidate_pairs(cursor)
        chunk: list[tuple[int, int]] = []
        for pair in pairs:
            chunk.append(pair)
            if len(chunk) >= PAIR_CHUNK:
                found.extend(_score(chunk, min_score, decided))
                chunk = []
        found.extend(_score(chunk, min_score, decided))
    found.sort(key=lambda c: (-c.score, c.a.nik, c.b.nik))
    return found


def _score(pairs, min_score: int, decided) -> list[Candidate]:
    if not pairs:
        return []
    ids = sorted({pk for pair in pairs for pk in pair})
    people: dict[int, Person] = {}
    for start in range(0, len(ids), 5_000):
        for row in Worker.objects.filter(pk__in=ids[start : start + 5_000]).values_list(
            *PERSON_FIELDS
        ):
            people[row[0]] = _person(row)
    out = []
    for a_id, b_id in pairs:
        a, b = people[a_id], people[b_id]
        if a.nik > b.nik:
            a, b = b, a
        match = compare(a, b)
        if match is None or match.score < min_score:
            continue
        decided_fp = decided.get((a.nik, b.nik))
        if decided_fp is not None and decided_fp == fingerprint(a, b):
            continue
        out.append(Candidate(a=a, b=b, score=match.score, reasons=match.reasons))
    return out
