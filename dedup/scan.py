"""Registry-wide search for possible duplicates, without comparing every pair.

Every worker gets a handful of blocking keys (dedup.matching.blocking_keys: NIK with one slip
allowed, first/last name word with the birth date, the whole name with the birth year or the
kelurahan, KK, phone). Only workers sharing a key are compared. A scan (docs/duplicates.md,
"Finding pairs"):

1. streams the registry once and keeps it as compact arrays (numbers, and one id per
   distinct spelling-neutral name: names repeat, so each is normalised once);
2. computes the keys as integers with array operations and sorts them into blocks; a block
   of at most ``MAX_BLOCK`` workers gives all its pairs, a larger one (a group phone, a very
   common name on a common date) is sorted by name and birth date and each worker is paired
   with its ``WINDOW - 1`` neighbours only, so it costs linear time instead of quadratic and
   still finds same-name records in it;
3. drops, still as arrays, every pair that cannot reach the threshold: the score can never
   exceed ``50 + evidence`` (birth date, NIK, KK, phone, kelurahan and address are bounded
   from above), and names below ``MIN_NAME_SIMILARITY`` never make a pair;
4. scores the few remaining pairs with the rule itself (dedup.matching.compare).

The stored keys (dedup.models.WorkerKey) serve the import check; the scan keeps them
current incrementally: it hashes the fields they depend on and re-keys only the workers whose
hash changed since the last scan (dedup.models.WorkerKeyState), rebuilding all of them in
bulk when most changed (the first scan).
"""

from __future__ import annotations

import io
import itertools
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from django.db import connection, transaction
from rapidfuzz import fuzz, process

from participants.models import Worker

from .matching import (
    DEFAULT_MIN_SCORE,
    MIN_NAME_SIMILARITY,
    WEIGHTS,
    Person,
    _name_tokens,
    compare,
    hashed_keys,
    name_keys,
    stable_key,
)
from .models import DuplicatePair, PairStatus, WorkerKey, WorkerKeyState, fingerprint

MAX_BLOCK = 40  # a larger block is only compared with its neighbours (and the import check
WINDOW = 8  # skips it): see the module docstring
FETCH_CHUNK = 20_000
PAIR_CHUNK = 5_000
# More changed workers than this share of the registry: rebuild every key in bulk.
REBUILD_SHARE = 0.2
# What the last scan in this process did (benchmarks/bench_duplicates.py prints it).
STATS: dict[str, int] = {}
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
STATE_TABLE = WorkerKeyState._meta.db_table
WORKER_TABLE = Worker._meta.db_table


def _copy(cursor, table: str, columns: str, rows) -> None:
    """Append rows to a table: COPY on PostgreSQL, executemany elsewhere."""
    if connection.vendor == "postgresql":
        buffer = io.StringIO("".join("\t".join(map(str, row)) + "\n" for row in rows))
        cursor.copy_expert(f"COPY {table} ({columns}) FROM STDIN", buffer)
    else:
        marks = ", ".join(["%s"] * len(columns.split(",")))
        cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


def _write_keys(cursor, rows: list[tuple[int, int]]) -> None:
    _copy(cursor, KEY_TABLE, "worker_id, key", rows)


def keys_refresh(workers) -> None:
    """Rewrite the blocking keys of these workers (after a save, an import or a merge), from
    what the database holds (a saved instance may still carry a date typed as text)."""
    _keys_refresh_ids([w.pk for w in workers])


def _keys_refresh_ids(ids: list[int]) -> None:
    for start in range(0, len(ids), PAIR_CHUNK):
        chunk = ids[start : start + PAIR_CHUNK]
        WorkerKey.objects.filter(worker_id__in=chunk).delete()
        people = [
            _person(row) for row in Worker.objects.filter(pk__in=chunk).values_list(*PERSON_FIELDS)
        ]
        with connection.cursor() as cursor:
            _write_keys(cursor, [(p.pk, k) for p in people for k in hashed_keys(p)])


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
        return _hash_sql(expression)
    return f"siaga_key({expression})"


def _key_table_constraints(cursor) -> list[str]:
    """Statements re-creating the key table's indexes and foreign key (PostgreSQL), dropped
    around a bulk rebuild: one index build and one validating join are much cheaper than ten
    million index insertions and foreign-key checks."""
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [KEY_TABLE],
    )
    foreign_keys = cursor.fetchall()
    # Checks still pending in this transaction (keys or workers written before the scan)
    # run now: PostgreSQL alters no table with pending trigger events. The project's
    # deferrable constraints are Django's foreign keys, all initially deferred, so
    # _rebuild_keys sets them back to deferred when done.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    restore = []
    for name, definition in foreign_keys:
        cursor.execute(f'ALTER TABLE {KEY_TABLE} DROP CONSTRAINT "{name}"')
        restore.append(f'ALTER TABLE {KEY_TABLE} ADD CONSTRAINT "{name}" {definition}')
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT LIKE %s",
        [KEY_TABLE, "%_pkey"],
    )
    for name, definition in cursor.fetchall():
        cursor.execute(f'DROP INDEX "{name}"')
        restore.append(definition)
    return restore


def _copy_escape(value) -> str:
    text = str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _insert_name_keys(cursor, registry: Registry) -> None:
    """The name keys (matching.name_keys) computed by PostgreSQL from each distinct name's
    spelling-neutral form, which Python computed once per name: the same strings, hashed."""
    cursor.execute("DROP TABLE IF EXISTS pg_temp.dedup_scan_names")
    cursor.execute(
        "CREATE TEMPORARY TABLE dedup_scan_names (full_name text, whole text, first4 text, "
        "last4 text) ON COMMIT DROP"
    )
    buffer = io.StringIO(
        "".join("\t".join(map(_copy_escape, row)) + "\n" for row in registry.name_rows())
    )
    cursor.copy_expert("COPY dedup_scan_names FROM STDIN", buffer)
    cursor.execute("ANALYZE dedup_scan_names")
    day = "extract(day FROM w.birth_date)::int"
    month = "extract(month FROM w.birth_date)::int"
    year = "extract(year FROM w.birth_date)::int::text"
    day_month = (
        f"lpad(least({day}, {month})::text, 2, '0') || "
        f"lpad(greatest({day}, {month})::text, 2, '0') || {year}"
    )
    cursor.execute(
        f"""
        INSERT INTO {KEY_TABLE} (worker_id, key)
        SELECT w.id, {_hash_sql("k.key")}
        FROM {WORKER_TABLE} w JOIN dedup_scan_names n ON n.full_name = w.full_name
        CROSS JOIN LATERAL (VALUES
            (CASE WHEN w.birth_date IS NOT NULL THEN 'n' || n.first4 || '|' || {day_month} END),
            (CASE WHEN w.birth_date IS NOT NULL AND n.last4 <> n.first4
                  THEN 'n' || n.last4 || '|' || {day_month} END),
            (CASE WHEN w.birth_date IS NOT NULL THEN 'y' || n.whole || '|' || {year} END),
            (CASE WHEN w.kelurahan_id <> 0 THEN 'k' || n.whole || '|' || w.kelurahan_id END)
        ) AS k(key)
        WHERE k.key IS NOT NULL"""
    )
    cursor.execute("DROP TABLE dedup_scan_names")


def _write_python_name_keys(cursor) -> None:
    rows: list[tuple[int, int]] = []
    for pk, full_name, birth_date, kelurahan_id in _stream(
        f"SELECT id, full_name, birth_date, kelurahan_id FROM {WORKER_TABLE}"
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


def _rebuild_keys(cursor, registry: Registry | None = None) -> None:
    """Every worker's keys, recomputed: the import check's index.

    The number keys are computed by the database in one statement; the name keys need the
    spelling rules, so Python computes them, streaming the registry in chunks."""
    postgres = connection.vendor == "postgresql"
    restore: list[str] = []
    if postgres:
        restore = _key_table_constraints(cursor)
        cursor.execute(f"TRUNCATE {KEY_TABLE}")
        last9 = f"right({_DIGITS}, 9)"
    else:
        cursor.execute(f"DELETE FROM {KEY_TABLE}")
        connection.connection.create_function("siaga_key", 1, stable_key, deterministic=True)
        last9 = f"substr({_DIGITS}, -9)"
    selects = " UNION ALL ".join(
        f"SELECT id, {_sql_hash(key.format(last9=last9))} FROM {WORKER_TABLE} WHERE {where}"
        for key, where in SQL_KEYS
    )
    cursor.execute(f"INSERT INTO {KEY_TABLE} (worker_id, key) {selects}")
    if postgres:
        _insert_name_keys(cursor, registry or Registry())
    else:
        _write_python_name_keys(cursor)
    if postgres:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for statement in restore:
            cursor.execute(statement)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(f"ANALYZE {KEY_TABLE}")


def _stream(sql: str) -> Iterator[tuple]:
    """Rows of a query, fetched in chunks (a server-side cursor on PostgreSQL, so memory
    stays flat however large the registry)."""
    if connection.vendor == "postgresql":
        cursor = connection.connection.cursor(name="dedup_scan_stream")
        cursor.itersize = FETCH_CHUNK
    else:
        cursor = connection.connection.cursor()
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(FETCH_CHUNK):
            yield from rows
    finally:
        cursor.close()


# --- the registry as arrays ---------------------------------------------------------------


def _int_or_hash(text: str) -> int:
    """A number string as its value, anything else as a stable non-negative hash (only
    equality matters, and an accidental equality only adds a pair to score)."""
    if text.isdigit() and len(text) <= 18:
        return int(text)
    return stable_key(text) & 0x7FFF_FFFF_FFFF_FFFF


def _hash_sql(expression: str) -> str:
    return f"('x' || substr(md5({expression}), 1, 16))::bit(64)::bigint"


KEYED_FIELDS = ("nik", "full_name", "birth_date", "kk_number", "phone", "kelurahan_id")


def _registry_rows() -> Iterator[list[tuple]]:
    """Chunks of (id, full name, NIK, birth date as YYYYMMDD, KK, phone's last 9 digits, the
    same only when there are at least 9, kelurahan, hash of the key fields) — numbers as
    integers, -1 for none; PostgreSQL computes them, elsewhere Python does."""
    if connection.vendor == "postgresql":
        digits = "regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')"
        sql = f"""
            SELECT id, full_name,
              CASE WHEN nik ~ '^[0-9]{{16}}$' THEN nik::bigint ELSE -1 END,
              coalesce(to_char(birth_date, 'YYYYMMDD')::bigint, -1),
              CASE WHEN kk_number = '' OR kk_number IS NULL THEN -1
                   WHEN kk_number ~ '^[0-9]{{1,18}}$' THEN kk_number::bigint
                   ELSE {_hash_sql("kk_number")} & 9223372036854775807 END,
              CASE WHEN d = '' THEN -1 ELSE right(d, 9)::bigint END,
              CASE WHEN length(d) >= 9 THEN right(d, 9)::bigint ELSE -1 END,
              coalesce(kelurahan_id, 0),
              {_hash_sql(f"concat_ws('|', {', '.join(KEYED_FIELDS)})")}
            FROM (SELECT *, {digits} AS d FROM {WORKER_TABLE}) AS w"""
        rows = _stream(sql)
        while chunk := list(itertools.islice(rows, FETCH_CHUNK)):
            yield chunk
        return
    sql = (
        f"SELECT id, nik, full_name, birth_date, kk_number, phone, kelurahan_id FROM {WORKER_TABLE}"
    )
    rows = _stream(sql)
    while raw := list(itertools.islice(rows, FETCH_CHUNK)):
        chunk = []
        for pk, nik, full_name, born, kk, phone, kel in raw:
            if born is None:
                birth = -1
            elif isinstance(born, str):  # SQLite
                birth = int(born[:4]) * 10_000 + int(born[5:7]) * 100 + int(born[8:10])
            else:
                birth = born.year * 10_000 + born.month * 100 + born.day
            digits = "".join(c for c in phone or "" if c in "0123456789")
            chunk.append(
                (
                    pk,
                    full_name,
                    int(nik) if len(nik) == 16 and nik.isdigit() else -1,
                    birth,
                    _int_or_hash(kk) if kk else -1,
                    int(digits[-9:]) if digits else -1,
                    int(digits[-9:]) if len(digits) >= 9 else -1,
                    kel or 0,
                    zlib.crc32(f"{nik}|{full_name}|{born}|{kk}|{phone}|{kel}".encode()),
                )
            )
        yield chunk


class Registry:
    """The compared fields of every worker as arrays (row ``i`` = ``ids[i]``), names as ids
    into lists of distinct spelling-neutral names."""

    def __init__(self) -> None:
        ids, nik, name, birth, kk, phone, phone9, kel, fps = (array("q") for _ in range(9))
        self._name_ids: dict[str, int] = {}
        self._wholes: dict[str, int] = {}
        self._prefixes: dict[str, int] = {}
        self.whole_names: list[str] = []
        self.prefix_names: list[str] = []
        # Per distinct full name: whole-name id, first/last word prefix ids, token signature.
        self._name_whole, self._name_first, self._name_last, self._name_sig = (
            array("q") for _ in range(4)
        )
        for chunk in _registry_rows():
            columns = list(zip(*chunk, strict=True))
            for target, column in zip(
                (ids, nik, birth, kk, phone, phone9, kel, fps),
                (columns[0], *columns[2:]),
                strict=True,
            ):
                target.extend(column)
            name_ids = self._name_ids
            name.extend(
                [
                    number
                    if (number := name_ids.get(full_name)) is not None
                    else self._add(full_name)
                    for full_name in columns[1]
                ]
            )
        name_whole = self._name_whole
        name_first, name_last, name_sig = self._name_first, self._name_last, self._name_sig
        self.ids = np.frombuffer(ids, dtype=np.int64)
        self.nik = np.frombuffer(nik, dtype=np.int64)
        self.birth = np.frombuffer(birth, dtype=np.int64)
        self.kk = np.frombuffer(kk, dtype=np.int64)
        self.phone = np.frombuffer(phone, dtype=np.int64)
        self.phone9 = np.frombuffer(phone9, dtype=np.int64)
        self.kel = np.frombuffer(kel, dtype=np.int64)
        self.fingerprints = np.frombuffer(fps, dtype=np.int64)
        names = np.frombuffer(name, dtype=np.int64)
        self.whole = np.frombuffer(name_whole, dtype=np.int64)[names]
        self.first = np.frombuffer(name_first, dtype=np.int64)[names]
        self.last = np.frombuffer(name_last, dtype=np.int64)[names]
        self.sig = np.frombuffer(name_sig, dtype=np.int64)[names].view(np.uint64)
        # Distinct words per name (the "without a middle word" rule compares word sets).
        self.tokens = np.array([len(set(w.split())) for w in self.whole_names] + [0])[self.whole]
        # Rank of each whole name in alphabetical order: neighbours in a large block.
        order = np.argsort(np.array(self.whole_names + [""], dtype=object), kind="stable")
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        self.name_rank = rank[self.whole]

    def _add(self, full_name: str) -> int:
        number = self._name_ids[full_name] = len(self._name_ids)
        tokens = _name_tokens(full_name)
        if not tokens:
            for column in (self._name_whole, self._name_first, self._name_last):
                column.append(-1)
            self._name_sig.append(0)
            return number
        whole = " ".join(tokens)
        if whole not in self._wholes:
            self._wholes[whole] = len(self._wholes)
            self.whole_names.append(whole)
        self._name_whole.append(self._wholes[whole])
        for column, prefix in (
            (self._name_first, tokens[0][:4]),
            (self._name_last, tokens[-1][:4]),
        ):
            if prefix not in self._prefixes:
                self._prefixes[prefix] = len(self._prefixes)
                self.prefix_names.append(prefix)
            column.append(self._prefixes[prefix])
        signature = 0
        for token in tokens:
            signature |= 1 << (zlib.crc32(token.encode()) & 63)
        self._name_sig.append(signature - (1 << 64) if signature >> 63 else signature)
        return number

    def name_rows(self) -> Iterator[tuple[str, str, str, str]]:
        """(full name, spelling-neutral name, first and last word prefix) per distinct name."""
        for full_name, number in self._name_ids.items():
            whole = self._name_whole[number]
            if whole >= 0:
                yield (
                    full_name,
                    self.whole_names[whole],
                    self.prefix_names[self._name_first[number]],
                    self.prefix_names[self._name_last[number]],
                )

    def __len__(self) -> int:
        return len(self.ids)

    def blocking_keys(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(key, row) arrays per kind of key: the integer forms of matching.blocking_keys."""
        every = np.arange(len(self), dtype=np.int64)
        nik, birth = self.nik, self.birth
        has_nik = nik >= 0
        rows = every[has_nik]
        n = nik[has_nik]
        yield n // 10**4, rows  # a: a slip in the serial
        yield n % 10**10, rows  # b: a slip in the region digits
        yield (n // 10**10) * 10**4 + n % 10**4, rows  # c: in the birth-date digits
        yield (n // 10**11) * 10**9 + n % 10**9, rows  # d: a swap across region/date
        yield (n // 10**5) * 10**3 + n % 10**3, rows  # e: a swap across date/serial
        has_kk = self.kk >= 0
        yield self.kk[has_kk], every[has_kk]
        has_phone = self.phone9 >= 0
        yield self.phone9[has_phone], every[has_phone]
        named = self.whole >= 0
        dated = named & (birth >= 0)
        year, month, day = birth // 10_000, birth // 100 % 100, birth % 100
        day_month = (
            np.minimum(day, month) * 10**6 + np.maximum(day, month) * 10**4 + year
        )  # the same key for day and month swapped
        rows = every[dated]
        other = dated & (self.last != self.first)  # first and last word: one kind of key
        yield (
            np.concatenate([self.first[dated], self.last[other]]) * 10**8
            + np.concatenate([day_month[dated], day_month[other]]),
            np.concatenate([rows, every[other]]),
        )
        yield self.whole[dated] * 10**4 + year[dated], rows
        placed = named & (self.kel > 0)
        yield (self.whole[placed] << 32) | self.kel[placed], every[placed]


def _block_pairs(keys: np.ndarray, rows: np.ndarray, registry: Registry):
    """Row pairs sharing a key, in batches: every pair of a block of at most ``MAX_BLOCK``,
    neighbours by name and birth date in a larger block."""
    if len(keys) < 2:
        return
    order = np.lexsort((registry.birth[rows], registry.name_rank[rows], keys))
    keys, rows = keys[order], rows[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    for size in np.unique(sizes[(sizes > 1) & (sizes <= MAX_BLOCK)]):
        block_starts = starts[sizes == size]
        first, second = np.triu_indices(size, 1)
        for start in range(0, len(block_starts), max(1, 2_000_000 // len(first))):
            base = block_starts[start : start + max(1, 2_000_000 // len(first)), None]
            yield rows[(base + first).ravel()], rows[(base + second).ravel()]
    large = sizes > MAX_BLOCK
    if large.any():
        block = np.repeat(np.arange(len(starts)), sizes)
        inside = np.repeat(large, sizes)
        for step in range(1, WINDOW):
            left = np.flatnonzero(inside[:-step] & (block[:-step] == block[step:]))
            yield rows[left], rows[left + step]


def _digit_differences(a: np.ndarray, b: np.ndarray, digits: int) -> np.ndarray:
    count = np.zeros(len(a), dtype=np.int8)
    for _ in range(digits):
        count += (a % 10) != (b % 10)
        a, b = a // 10, b // 10
    return count


def _plausible(a: np.ndarray, b: np.ndarray, registry: Registry, min_score: int) -> np.ndarray:
    """Which pairs (row arrays) might reach ``min_score``: a bound on compare()'s score from
    above, so no pair the rule would list is dropped."""
    r = registry
    name_ok = (r.whole[a] >= 0) & (r.whole[b] >= 0)
    points = np.zeros(len(a), dtype=np.int16)
    ba, bb = r.birth[a], r.birth[b]
    dated = (ba >= 0) & (bb >= 0)
    equal = dated & (ba == bb)
    points += np.where(equal, WEIGHTS["birth_equal"], 0).astype(np.int16)
    near = dated & ~equal
    if near.any():
        # Day and month swapped, or one digit of the date apart.
        swapped = (ba // 10_000 == bb // 10_000) & (ba // 100 % 100 == bb % 100)
        swapped &= ba % 100 == bb // 100 % 100
        close = swapped | (_digit_differences(ba, bb, 8) == 1)
        bonus = max(WEIGHTS["birth_swapped"], WEIGHTS["birth_one_digit"])
        points += np.where(near & close, bonus, 0).astype(np.int16)
    na, nb = r.nik[a], r.nik[b]
    # One digit apart or two adjacent digits swapped: at most two digits differ. A NIK that
    # is not 16 digits is given the benefit of the doubt.
    nik_near = (na < 0) | (nb < 0) | (_digit_differences(na, nb, 16) <= 2)
    points += np.where(nik_near, WEIGHTS["nik_near"], 0).astype(np.int16)
    points += np.where((r.kk[a] >= 0) & (r.kk[a] == r.kk[b]), WEIGHTS["same_kk"], 0).astype(
        np.int16
    )
    same_phone = (r.phone[a] >= 0) & (r.phone[a] == r.phone[b])
    points += np.where(same_phone, WEIGHTS["same_phone"], 0).astype(np.int16)
    place = WEIGHTS["same_kelurahan"] + WEIGHTS["similar_address"]
    points += np.where((r.kel[a] > 0) & (r.kel[a] == r.kel[b]), place, 0).astype(np.int16)
    keep = name_ok & (50 + points.astype(np.int32) >= min_score)
    # Names: the same spelling-neutral name, or similar enough (token-sort ratio, or one name
    # possibly the other without a middle word: token signatures included one in the other).
    wa, wb = r.whole[a], r.whole[b]
    differ = keep & (wa != wb)
    if differ.any():
        sa, sb = r.sig[a[differ]], r.sig[b[differ]]
        ta, tb = r.tokens[a[differ]], r.tokens[b[differ]]
        subset = (np.minimum(ta, tb) >= 2) & (
            ((ta < tb) & ((sa & ~sb) == 0)) | ((tb < ta) & ((sb & ~sa) == 0))
        )
        names = r.whole_names
        similar = (
            process.cpdist(
                [names[i] for i in wa[differ]],
                [names[i] for i in wb[differ]],
                scorer=fuzz.token_sort_ratio,
                score_cutoff=MIN_NAME_SIMILARITY - 0.5,
                workers=1,
            )
            > 0
        )
        keep[differ] = subset | similar
    return keep


def _candidate_rows(registry: Registry, min_score: int) -> np.ndarray:
    """Pairs of registry rows worth scoring, packed ``a << 32 | b`` (a < b), each once."""
    found = []
    STATS["block pairs"] = 0
    for keys, rows in registry.blocking_keys():
        for a, b in _block_pairs(keys, rows, registry):
            STATS["block pairs"] += len(a)
            keep = _plausible(a, b, registry, min_score)
            low, high = np.minimum(a[keep], b[keep]), np.maximum(a[keep], b[keep])
            found.append((low << 32) | high)
    if not found:
        return np.zeros(0, dtype=np.int64)
    return np.unique(np.concatenate(found))


# --- keeping the stored keys current --------------------------------------------------------


def keys_sync(registry: Registry) -> int:
    """Re-key the workers whose key fields changed since the last scan; returns how many."""
    with connection.cursor() as cursor:
        stored_ids, stored_fps = array("q"), array("q")
        for worker_id, fp in _stream(f"SELECT worker_id, fingerprint FROM {STATE_TABLE}"):
            stored_ids.append(worker_id)
            stored_fps.append(fp)
        old_ids = np.frombuffer(stored_ids, dtype=np.int64)
        old_fps = np.frombuffer(stored_fps, dtype=np.int64)
        order = np.argsort(old_ids)
        old_ids, old_fps = old_ids[order], old_fps[order]
        at = np.minimum(np.searchsorted(old_ids, registry.ids), max(len(old_ids) - 1, 0))
        if len(old_ids):
            same = (old_ids[at] == registry.ids) & (old_fps[at] == registry.fingerprints)
        else:
            same = np.zeros(len(registry), dtype=bool)
        changed = registry.ids[~same]
        if not len(changed):
            return 0
        if len(changed) > REBUILD_SHARE * len(registry):
            _rebuild_keys(cursor, registry)
            cursor.execute(f"DELETE FROM {STATE_TABLE}")
            every = zip(registry.ids.tolist(), registry.fingerprints.tolist(), strict=True)
            _copy(cursor, STATE_TABLE, "worker_id, fingerprint", every)
            return len(changed)
        rows = zip(registry.ids[~same].tolist(), registry.fingerprints[~same].tolist(), strict=True)
        changed_ids = changed.tolist()
        _keys_refresh_ids(changed_ids)
        for start in range(0, len(changed_ids), PAIR_CHUNK):
            WorkerKeyState.objects.filter(
                worker_id__in=changed_ids[start : start + PAIR_CHUNK]
            ).delete()
        _copy(cursor, STATE_TABLE, "worker_id, fingerprint", rows)
        return len(changed)


# --- the scan --------------------------------------------------------------------------------


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
    with transaction.atomic():
        registry = Registry()
        STATS["re-keyed"] = keys_sync(registry)
        packed = _candidate_rows(registry, min_score)
        STATS["scored"] = len(packed)
        pairs = np.stack([registry.ids[packed >> 32], registry.ids[packed & 0xFFFFFFFF]], axis=1)
        del registry
        for start in range(0, len(pairs), PAIR_CHUNK):
            found.extend(_score(pairs[start : start + PAIR_CHUNK].tolist(), min_score, decided))
    found.sort(key=lambda c: (-c.score, c.a.nik, c.b.nik))
    return found


def _score(pairs, min_score: int, decided) -> list[Candidate]:
    if not pairs:
        return []
    ids = sorted({pk for pair in pairs for pk in pair})
    people: dict[int, Person] = {}
    for start in range(0, len(ids), PAIR_CHUNK):
        for row in Worker.objects.filter(pk__in=ids[start : start + PAIR_CHUNK]).values_list(
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
