"""The registry scan: incremental keys, oversized blocks, and no pair lost to the shortcuts."""

import datetime
import itertools

import pytest

from dedup import scan
from dedup.matching import DEFAULT_MIN_SCORE, Person, compare, hashed_keys
from dedup.models import WorkerKey, WorkerKeyState
from dedup.scan import Registry, find_duplicates, keys_sync
from dedup.synthetic import generate, worker_fields
from importer.bulk import insert_rows
from participants.models import Kelurahan, Segment, Worker
from tests.factories import WorkerFactory, make_nik

pytestmark = pytest.mark.django_db
BORN = datetime.date(1984, 7, 9)


def _niks(pairs):
    return {tuple(sorted([p.a.nik, p.b.nik])) for p in pairs}


def _load(people: int, seed: int = 7):
    """A synthetic registry with known duplicates, written like an import (no save signal)."""
    rows, truth = generate(people, seed=seed)
    kelurahan = list(Kelurahan.objects.order_by("code").values_list("pk", flat=True))
    segment = Segment.objects.order_by("pk").values_list("pk", flat=True).first()
    insert_rows(Worker, [worker_fields(r, kelurahan, segment, "Madiun") for r in rows])
    return truth


def test_a_rescan_rekeys_only_changed_workers_and_finds_the_new_pair():
    original = WorkerFactory(
        nik=make_nik(birth_date=BORN, sex="L", serial=21),
        full_name="Djoko Santoso",
        birth_date=BORN,
        phone="+6285600011122",
    )
    other = WorkerFactory(full_name="Bambang Wijaya", phone="+6285799988877")
    WorkerFactory.create_batch(3)
    assert _niks(find_duplicates()) & {tuple(sorted([original.nik, other.nik]))} == set()
    assert WorkerKeyState.objects.count() == Worker.objects.count()
    with scan.transaction.atomic():
        assert keys_sync(Registry()) == 0  # nothing changed since the scan

    # A bulk write (no save signal) makes the other record a retyped copy of the original.
    Worker.objects.filter(pk=other.pk).update(
        full_name="Joko Santoso",
        birth_date=BORN,
        nik=make_nik(birth_date=BORN, sex="L", serial=27),
        phone="+6285600011122",
        kk_number=original.kk_number,
    )
    found = _niks(find_duplicates())
    assert tuple(sorted([original.nik, make_nik(birth_date=BORN, sex="L", serial=27)])) in found
    other.refresh_from_db()
    stored = set(WorkerKey.objects.filter(worker=other).values_list("key", flat=True))
    assert stored == hashed_keys(Person.of(other))  # the import check sees the new keys
    with scan.transaction.atomic():
        assert keys_sync(Registry()) == 0


def test_only_the_changed_worker_is_rekeyed(monkeypatch):
    WorkerFactory.create_batch(12)
    find_duplicates()
    changed = Worker.objects.order_by("pk").first()
    Worker.objects.filter(pk=changed.pk).update(full_name="Siti Aminah")
    rekeyed = []
    real = scan._keys_refresh_ids
    monkeypatch.setattr(scan, "_keys_refresh_ids", lambda ids: rekeyed.extend(ids) or real(ids))
    find_duplicates()
    assert rekeyed == [changed.pk]


def test_a_block_larger_than_the_cap_still_pairs_same_name_records(monkeypatch):
    """Factory workers share one phone number: a block far above the cap. Instead of being
    skipped, it pairs each record with its neighbours by name, so a retyped record in it is
    found (its NIK is wholly different and the names differ only in old spelling)."""
    monkeypatch.setattr(scan, "MAX_BLOCK", 4)
    monkeypatch.setattr(scan, "WINDOW", 2)
    WorkerFactory.create_batch(10)
    a = WorkerFactory(full_name="Sri Wahyuni", birth_date=BORN, kk_number="3577010000009999")
    b = WorkerFactory(full_name="Sri Wahjoeni", birth_date=BORN, kk_number="3577010000009999")
    assert Worker.objects.filter(phone=a.phone).count() > scan.MAX_BLOCK
    assert tuple(sorted([a.nik, b.nik])) in _niks(find_duplicates())


def test_small_block_caps_keep_every_kind_of_known_duplicate(monkeypatch):
    """The synthetic registry's duplicates (NIK slips, swaps, new NIKs, old spellings, swapped
    birth dates …) are found as well with a cap of 5 as with the default cap."""
    truth = _load(1500)
    default = _niks(find_duplicates())
    monkeypatch.setattr(scan, "MAX_BLOCK", 5)
    capped = _niks(find_duplicates())
    for found in (default, capped):
        assert len(found & truth) / len(truth) >= 0.95  # recall
        assert len(found & truth) / len(found) >= 0.90  # precision
    assert len(capped & truth) >= len(default & truth) - 1


def test_the_shortcuts_lose_no_pair_the_rule_would_list():
    """Every pair sharing a blocking key that compare() scores at or above the threshold is
    listed: the array-level bounds only drop pairs that cannot reach it."""
    _load(800, seed=3)
    people = [
        Person.of(w)
        for w in Worker.objects.only(
            "pk", "nik", "full_name", "birth_date", "kk_number", "phone", "kelurahan", "address"
        )
    ]
    blocks = {}
    for person in people:
        for key in hashed_keys(person):
            blocks.setdefault(key, []).append(person)
    expected = set()
    for members in blocks.values():
        if len(members) > scan.MAX_BLOCK:
            continue
        for a, b in itertools.combinations(members, 2):
            match = compare(a, b)
            if match and match.score >= DEFAULT_MIN_SCORE:
                expected.add(tuple(sorted([a.nik, b.nik])))
    assert expected
    assert expected <= _niks(find_duplicates())


def test_a_bulk_rebuild_records_every_worker_and_the_keys_the_rule_computes(monkeypatch):
    workers = WorkerFactory.create_batch(6)
    find_duplicates()
    Worker.objects.filter(pk__in=[w.pk for w in workers[:2]]).update(full_name="Siti Aminah")
    monkeypatch.setattr(scan, "REBUILD_SHARE", 0.1)  # 2 of 6 changed: rebuild everything
    with scan.transaction.atomic():
        assert keys_sync(Registry()) == 2
        assert keys_sync(Registry()) == 0  # unchanged workers are still recorded
    for worker in Worker.objects.all():
        stored = set(WorkerKey.objects.filter(worker=worker).values_list("key", flat=True))
        assert stored == hashed_keys(Person.of(worker))
