"""At import: which rows may be the same person as another row of the file or a worker.

A warning with the reasons and the other record, never a silent merge: the preview shows it
and the user can mark the row "not the same person" before confirming. Rows are compared with
each other through their blocking keys, and with the registry through the stored keys of every
worker (dedup.models.WorkerKey, rewritten by each scan and kept current on save), so the check
costs a few indexed queries whatever the registry's size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from participants.models import Worker

from .matching import DEFAULT_MIN_SCORE, Person, compare, hashed_keys
from .models import DuplicatePair, PairStatus, WorkerKey
from .scan import MAX_BLOCK, PERSON_FIELDS, _person

LOOKUP_CHUNK = 5_000


@dataclass
class PossibleDuplicate:
    """The other record a row may duplicate: another row of the file or a worker."""

    score: int
    reasons: list[str]
    nik: str
    name: str
    row: int | None = None  # the other row's number in the file
    worker_id: int | None = None


@dataclass
class RowCheck:
    flags: dict[int, list[PossibleDuplicate]] = field(default_factory=dict)

    def add(self, row: int, flag: PossibleDuplicate) -> None:
        self.flags.setdefault(row, []).append(flag)


def check_rows(
    rows: list[tuple[int, Person]], *, min_score: int = DEFAULT_MIN_SCORE
) -> dict[int, list[PossibleDuplicate]]:
    """``rows`` are (row number, person); returns the flags per row number, best first."""
    check = RowCheck()
    keys_of = {number: hashed_keys(person) for number, person in rows}
    by_number = dict(rows)

    # Within the file.
    block: dict[int, list[int]] = defaultdict(list)
    for number, keys in keys_of.items():
        for key in keys:
            block[key].append(number)
    pairs = set()
    for members in block.values():
        if 1 < len(members) <= MAX_BLOCK:
            for i, a in enumerate(members):
                for b in members[i + 1 :]:
                    pairs.add((min(a, b), max(a, b)))
    for a, b in sorted(pairs):
        pa, pb = by_number[a], by_number[b]
        if pa.nik == pb.nik:
            continue  # the same NIK twice is the importer's own "duplicate row" error
        match = compare(pa, pb)
        if match and match.score >= min_score:
            check.add(a, PossibleDuplicate(match.score, match.reasons, pb.nik, pb.full_name, row=b))
            check.add(b, PossibleDuplicate(match.score, match.reasons, pa.nik, pa.full_name, row=a))

    # Against the registry.
    all_keys = sorted({key for keys in keys_of.values() for key in keys})
    workers_by_key: dict[int, set[int]] = defaultdict(set)
    for start in range(0, len(all_keys), LOOKUP_CHUNK):
        for worker_id, key in WorkerKey.objects.filter(
            key__in=all_keys[start : start + LOOKUP_CHUNK]
        ).values_list("worker_id", "key"):
            workers_by_key[key].add(worker_id)
    wanted = {w for ids in workers_by_key.values() if len(ids) <= MAX_BLOCK for w in ids}
    people: dict[int, Person] = {}
    wanted_ids = sorted(wanted)
    for start in range(0, len(wanted_ids), LOOKUP_CHUNK):
        for row in Worker.objects.filter(
            pk__in=wanted_ids[start : start + LOOKUP_CHUNK]
        ).values_list(*PERSON_FIELDS):
            people[row[0]] = _person(row)
    distinct = _decided_distinct({p.nik for p in people.values()})
    for number, keys in keys_of.items():
        person = by_number[number]
        candidates = {
            w
            for key in keys
            for w in workers_by_key.get(key, ())
            if len(workers_by_key[key]) <= MAX_BLOCK
        }
        for worker_id in sorted(candidates):
            other = people.get(worker_id)
            if other is None or other.nik == person.nik:
                continue  # the row updates this very worker
            if tuple(sorted([other.nik, person.nik])) in distinct:
                continue
            match = compare(person, other)
            if match and match.score >= min_score:
                check.add(
                    number,
                    PossibleDuplicate(
                        match.score, match.reasons, other.nik, other.full_name, worker_id=worker_id
                    ),
                )
    for flags in check.flags.values():
        flags.sort(key=lambda f: -f.score)
    return check.flags


def _decided_distinct(niks: set[str]) -> set[tuple[str, str]]:
    if not niks:
        return set()
    pairs = set()
    ordered = sorted(niks)
    for start in range(0, len(ordered), LOOKUP_CHUNK):
        chunk = ordered[start : start + LOOKUP_CHUNK]
        pairs |= set(
            DuplicatePair.objects.filter(status=PairStatus.DISTINCT)
            .filter(nik_a__in=chunk)
            .values_list("nik_a", "nik_b")
        ) | set(
            DuplicatePair.objects.filter(status=PairStatus.DISTINCT)
            .filter(nik_b__in=chunk)
            .values_list("nik_a", "nik_b")
        )
    return pairs
