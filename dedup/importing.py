"""At import: which rows may be the same person as another row of the file or a worker.

A warning with the reasons and the other record, never a silent merge: the preview shows it
and the user can mark the row "not the same person" before confirming. Confirming writes every
valid row as its own record (nothing is merged or dropped); the pair of a row marked "not the
same person" is recorded as *different people* (who, when: it never comes back in the scan
until a compared field changes), every other flagged pair goes to the review queue
(``DuplicatePair``, open) for a verifier to merge or mark different.

Rows are compared with each other through their blocking keys, and with the registry through
the stored keys of every worker (``dedup.models.WorkerKey``: rewritten by each scan, kept
current on save and by every import's write, and filled in here for workers that have none,
e.g. after ``seed_demo``). The lookups are a few queries with one array (PostgreSQL) or JSON
(SQLite) parameter each, whatever the number of rows: no query per row.
"""

from __future__ import annotations

import contextlib
import gc
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from itertools import combinations
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import Worker

from .matching import (
    DEFAULT_MIN_SCORE,
    Person,
    blocking_keys,
    compare,
    hashed_keys,
    stable_key,
)
from .models import DuplicatePair, PairStatus, WorkerKey, fingerprint
from .scan import MAX_BLOCK, PERSON_FIELDS, _person, _write_keys

LOOKUP_CHUNK = 50_000
KEY_TABLE = WorkerKey._meta.db_table
WORKER_TABLE = Worker._meta.db_table
PAIR_TABLE = DuplicatePair._meta.db_table


@dataclass
class PossibleDuplicate:
    """The other record a row may duplicate: another row of the file or a worker."""

    score: int
    reasons: list[str]
    nik: str
    name: str
    row: int | None = None  # the other row's number in the file
    worker_id: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- lookups with one parameter per chunk (no Django IN-list compilation) --------------------


def _in_clause(column: str) -> str:
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)"
    return f"{column} IN (SELECT value FROM json_each(%s))"


def _param(values: Sequence[Any]) -> Any:
    if connection.vendor == "postgresql":
        return list(values)
    if values and isinstance(values[0], int):
        return "[" + ",".join(map(str, values)) + "]"  # keys: 4x faster than json.dumps
    return json.dumps(list(values))


def _select_in(sql: str, column: str, values: Iterable[Any]) -> list[tuple]:
    """``sql`` (a SELECT with a ``{where}`` placeholder) for rows whose ``column`` is one of
    ``values``: one query per 50,000 values."""
    values = sorted(set(values))
    found: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(values), LOOKUP_CHUNK):
            cursor.execute(
                sql.format(where=_in_clause(column)),
                [_param(values[start : start + LOOKUP_CHUNK])],
            )
            found.extend(cursor.fetchall())
    return found


def _people_by(column: str, values: Iterable[Any]) -> list[Person]:
    columns = ", ".join("id" if f == "pk" else f for f in PERSON_FIELDS)
    sql = f"SELECT {columns} FROM {WORKER_TABLE} WHERE {{where}}"
    rows = _select_in(sql, column, values)
    if rows and isinstance(rows[0][3], str):
        # A raw row may carry the birth date as text (SQLite without type detection).
        from django.utils.dateparse import parse_date

        rows = [(r[0], r[1], r[2], parse_date(r[3]) if r[3] else None, *r[4:]) for r in rows]
    return [_person(row) for row in rows]


# --- keys ------------------------------------------------------------------------------------


def keys_ensure() -> int:
    """Give keys to the workers that have none (loaded in bulk, e.g. ``seed_demo``, before any
    scan); returns how many. An index probe per worker: milliseconds at the city's size."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.id FROM {WORKER_TABLE} w WHERE NOT EXISTS "
            f"(SELECT 1 FROM {KEY_TABLE} k WHERE k.worker_id = w.id)"
        )
        missing = [row[0] for row in cursor.fetchall()]
    if missing:
        keys_write(_people_by("id", missing), replace=False)
    return len(missing)


def keys_write(people: list[Person], *, replace: bool = True) -> None:
    """Store the blocking keys of ``people`` (saved workers), replacing theirs if ``replace``."""
    if not people:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        ids = [p.pk for p in people]
        if replace:
            for start in range(0, len(ids), LOOKUP_CHUNK):
                cursor.execute(
                    f"DELETE FROM {KEY_TABLE} WHERE {_in_clause('worker_id')}",
                    [_param(ids[start : start + LOOKUP_CHUNK])],
                )
        _write_keys(cursor, [(p.pk, key) for p in people for key in hashed_keys(p)])


def keys_refresh_niks(niks: Iterable[str]) -> None:
    """Rewrite the keys of the workers with these NIKs (an import's written rows)."""
    keys_write(_people_by("nik", niks))


# --- the check -------------------------------------------------------------------------------


@contextlib.contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: the check allocates a few hundred thousand small
    tuples and sets (no cycles) while the importer holds every parsed row, and each collection
    would walk all of them (a third of the check's time for 20,000 rows)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_rows(
    rows: list[tuple[int, Person]], *, min_score: int = DEFAULT_MIN_SCORE
) -> dict[int, list[PossibleDuplicate]]:
    """``rows`` are (row number, person); returns the flags per row number, best first.

    A row is never flagged against the worker with its own NIK (it updates that worker) nor
    against a row with the same NIK (the importer's own "duplicate row" error), nor for a pair
    already decided *different people*. A row resembling both a worker and that worker's own
    row of the file is flagged once, pointing at the worker."""
    with no_cyclic_gc():
        return _check_rows(rows, min_score)


def _check_rows(
    rows: list[tuple[int, Person]], min_score: int
) -> dict[int, list[PossibleDuplicate]]:
    flags: dict[int, dict[str, PossibleDuplicate]] = defaultdict(dict)
    rows = sorted(rows, key=lambda item: item[0])
    # The keys as text: PostgreSQL hashes them itself (md5 in C), SQLite's are hashed below.
    keys_of = {number: set(blocking_keys(person)) for number, person in rows}
    by_number = dict(rows)

    # Within the file.
    block: dict[str, list[int]] = defaultdict(list)
    for number, keys in keys_of.items():
        for key in keys:
            block[key].append(number)
    pairs: set[tuple[int, int]] = set()
    for members in block.values():
        if 1 < len(members) <= MAX_BLOCK:
            pairs.update(combinations(members, 2))  # members are in row order

    # Against the registry: every stored key the file's rows share, in a few queries.
    workers_by_key: dict[str, set[int]] = defaultdict(set)
    if rows:
        keys_ensure()
        for key, worker_id in _registry_keys(block):
            workers_by_key[key].add(worker_id)
    usable = {k: ids for k, ids in workers_by_key.items() if len(ids) <= MAX_BLOCK}
    wanted = {w for ids in usable.values() for w in ids}
    people = {p.pk: p for p in _people_by("id", wanted)} if wanted else {}
    distinct = _decided_distinct(
        {p.nik for p in people.values()}, {p.nik for p in by_number.values()}
    )

    for a, b in pairs:
        pa, pb = by_number[a], by_number[b]
        if pa.nik == pb.nik or (
            distinct and (min(pa.nik, pb.nik), max(pa.nik, pb.nik)) in distinct
        ):
            continue
        match = compare(pa, pb, min_score=min_score)
        if match:
            flags[a].setdefault(
                pb.nik, PossibleDuplicate(match.score, match.reasons, pb.nik, pb.full_name, row=b)
            )
            flags[b].setdefault(
                pa.nik, PossibleDuplicate(match.score, match.reasons, pa.nik, pa.full_name, row=a)
            )

    for number, keys in keys_of.items():
        person = by_number[number]
        candidates = {w for key in keys if key in usable for w in usable[key]}
        if not candidates:
            continue
        for worker_id in candidates:  # the flags are sorted at the end
            other = people.get(worker_id)
            if other is None or other.nik == person.nik:
                continue  # the row updates this very worker
            if distinct and (min(other.nik, person.nik), max(other.nik, person.nik)) in distinct:
                continue
            match = compare(person, other, min_score=min_score)
            if match:
                # The worker, rather than its own row in the file (same NIK), is the record.
                flags[number][other.nik] = PossibleDuplicate(
                    match.score, match.reasons, other.nik, other.full_name, worker_id=worker_id
                )
    return {
        number: sorted(found.values(), key=lambda f: (-f.score, f.nik))
        for number, found in flags.items()
        if found
    }


def _registry_keys(keys: Iterable[str]) -> list[tuple[str, int]]:
    """(key, worker id) of every stored key among ``keys`` (text, as ``blocking_keys``)."""
    keys = sorted(keys)
    text_of = {stable_key(key): key for key in keys}
    if connection.vendor == "postgresql":
        # The keys hashed here (hashlib, as for SQLite) and sent as one bigint[] per chunk:
        # the database only probes its key index, instead of hashing every key as text.
        found: list[tuple[str, int]] = []
        sql = (
            f"SELECT w.key, w.worker_id FROM unnest(%s::bigint[]) AS f(k) JOIN {KEY_TABLE} w "
            f"ON w.key = f.k"
        )
        hashed = list(text_of)
        with connection.cursor() as cursor:
            for start in range(0, len(hashed), LOOKUP_CHUNK):
                # One array literal ('{1,2,…}'), parsed by the server in one call: psycopg2
                # would send a list as ARRAY[1, 2, …], one expression node per element.
                chunk = hashed[start : start + LOOKUP_CHUNK]
                cursor.execute(sql, ["{" + ",".join(map(str, chunk)) + "}"])
                found.extend((text_of[key], worker_id) for key, worker_id in cursor.fetchall())
        return found
    return [
        (text_of[key], worker_id)
        for key, worker_id in _select_in(
            f"SELECT key, worker_id FROM {KEY_TABLE} WHERE {{where}}", "key", text_of
        )
    ]


def _decided_distinct(registry: set[str], file: set[str]) -> set[tuple[str, str]]:
    """Pairs (low NIK, high NIK) already decided *different people* among these NIKs."""
    niks = registry | file
    if not niks:
        return set()
    sql = f"SELECT nik_a, nik_b FROM {PAIR_TABLE} WHERE status = %s AND {{where}}"
    found = set()
    with connection.cursor() as cursor:
        ordered = sorted(niks)
        for column in ("nik_a", "nik_b"):
            for start in range(0, len(ordered), LOOKUP_CHUNK):
                cursor.execute(
                    sql.format(where=_in_clause(column)),
                    [PairStatus.DISTINCT, _param(ordered[start : start + LOOKUP_CHUNK])],
                )
                found.update((a, b) for a, b in cursor.fetchall() if a in niks and b in niks)
    return found


# --- the write: decisions and the queue --------------------------------------------------------


def import_pairs_record(rows: list[Any], *, user: Any) -> dict[str, int]:
    """After an import wrote ``rows`` (``PlannedRow``s with ``duplicates``), inside the same
    transaction: the pairs of rows staff marked "not the same person" become *different
    people* (decided by ``user``, now), every other flagged pair goes to the review queue.
    Nothing is merged. Also rewrites the written workers' blocking keys, so the next import
    and the queue see them. Returns counts."""
    written = {r.row: r for r in rows}
    keys_refresh_niks([r.key for r in rows])
    ticked = {r.row for r in rows if r.not_duplicate}
    wanted: dict[tuple[str, str], dict[str, Any]] = {}
    for planned in rows:
        for flag in planned.duplicates:
            other_row = flag.get("row")
            if flag.get("worker_id") is None and other_row not in written:
                continue  # the other row was not written (invalid, a conflict left out)
            low, high = sorted([planned.key, flag["nik"]])
            if low == high:
                continue
            entry = wanted.setdefault(
                (low, high),
                {"score": flag["score"], "reasons": flag["reasons"], "distinct": False},
            )
            if planned.row in ticked or other_row in ticked:
                entry["distinct"] = True
            entry["row"] = min(planned.row, entry.get("row", planned.row))
    if not wanted:
        return {"duplicates_queued": 0, "duplicates_distinct": 0}
    people = {p.nik: p for p in _people_by("nik", {n for pair in wanted for n in pair})}
    ids = [
        pk
        for pk, low, high in _select_in(
            f"SELECT id, nik_a, nik_b FROM {PAIR_TABLE} WHERE {{where}}",
            "nik_a",
            {low for low, _high in wanted},
        )
        if (low, high) in wanted
    ]
    existing = {(p.nik_a, p.nik_b): p for p in DuplicatePair.objects.filter(pk__in=ids)}
    now = timezone.now()
    new_pairs, changed = [], []
    queued = distinct = 0
    for (low, high), entry in sorted(wanted.items()):
        a, b = people.get(low), people.get(high)
        if a is None or b is None:
            continue
        pair = existing.get((low, high))
        if pair is None:
            pair = DuplicatePair(
                worker_a_id=a.pk, worker_b_id=b.pk, nik_a=low, nik_b=high,
                score=entry["score"], reasons=entry["reasons"], fingerprint=fingerprint(a, b),
            )  # fmt: skip
            new_pairs.append(pair)
        elif pair.status == PairStatus.MERGED or (
            pair.status == PairStatus.DISTINCT and not entry["distinct"]
        ):
            continue
        else:
            changed.append(pair)
            pair.worker_a_id, pair.worker_b_id = a.pk, b.pk
            pair.score, pair.reasons, pair.fingerprint = (
                entry["score"], entry["reasons"], fingerprint(a, b),
            )  # fmt: skip
        if entry["distinct"]:
            pair.status, pair.decided_at, pair.decided_by = PairStatus.DISTINCT, now, user
            pair.note = _("Marked not the same person at import (row %(row)d).") % {
                "row": entry["row"]
            }
            distinct += 1
        else:
            pair.status, pair.decided_at, pair.decided_by = PairStatus.OPEN, None, None
            queued += 1
    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    reason = _("Spreadsheet import")
    user = user if getattr(user, "pk", None) else None
    if new_pairs:
        bulk_create_with_history(
            new_pairs, DuplicatePair, batch_size=1_000, default_user=user,
            default_change_reason=reason,
        )  # fmt: skip
    if changed:
        bulk_update_with_history(
            changed, DuplicatePair,
            ["worker_a", "worker_b", "score", "reasons", "fingerprint", "status", "decided_at",
             "decided_by", "note"],
            batch_size=1_000, default_user=user, default_change_reason=reason,
        )  # fmt: skip
    return {"duplicates_queued": queued, "duplicates_distinct": distinct}
