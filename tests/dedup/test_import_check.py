"""An import flags rows that may be the same person as another row or an existing worker."""

import datetime

import pytest

from dedup.importing import check_rows
from dedup.matching import Person
from dedup.models import DuplicatePair, PairStatus
from dedup.services import pair_mark_distinct
from tests.factories import UserFactory, WorkerFactory, make_nik

pytestmark = pytest.mark.django_db
BORN = datetime.date(1975, 8, 17)


def _nik(serial: str) -> str:
    return make_nik(birth_date=BORN, sex="P", serial=0)[:12] + serial


def _row(name, serial, **kw):
    return Person(nik=_nik(serial), full_name=name, birth_date=BORN, **kw)


def test_rows_of_one_file_that_look_alike_flag_each_other():
    flags = check_rows(
        [
            (2, _row("Siti Aminah", "0021")),
            (3, _row("Hj. St. Aminah", "0027")),
            (4, _row("Sri Wahyuni", "0040")),
        ]
    )
    assert set(flags) == {2, 3}
    [flag] = flags[3]
    assert flag.row == 2 and flag.worker_id is None
    assert flag.reasons[:3] == ["nama mirip 100%", "tanggal lahir sama", "NIK beda satu digit"]


def test_a_row_like_an_existing_worker_points_at_the_record():
    worker = WorkerFactory(
        nik=_nik("0021"), full_name="Siti Aminah",
        birth_date=BORN, sex="P",
    )  # fmt: skip
    flags = check_rows([(2, _row("Siti Aminah", "0012")), (3, _row("Siti Aminah", "0021"))])
    # Row 2 (a swapped pair of NIK digits) may duplicate the worker; row 3 is the worker itself.
    assert [f.worker_id for f in flags[2] if f.worker_id] == [worker.pk]
    assert all(f.worker_id is None for f in flags.get(3, []))


def test_pairs_decided_different_are_not_flagged_again():
    staff = UserFactory()
    a = WorkerFactory(nik=_nik("0021"), full_name="Siti Aminah",
                      birth_date=BORN, sex="P")  # fmt: skip
    b = WorkerFactory(nik=_nik("0027"), full_name="Siti Aminah",
                      birth_date=BORN, sex="P")  # fmt: skip
    low, high = sorted([a.nik, b.nik])
    pair = DuplicatePair.objects.create(
        worker_a=a, worker_b=b, nik_a=low, nik_b=high, score=100, fingerprint="",
        status=PairStatus.OPEN,
    )  # fmt: skip
    pair_mark_distinct(pair=pair, user=staff)
    flags = check_rows([(2, Person(nik=b.nik, full_name=b.full_name, birth_date=BORN))])
    assert flags == {}


def test_keys_the_database_computes_equal_the_rules():
    """The scan computes number keys in SQL and name keys in Python; an import computes all
    of them in Python. Both must give the same keys, or imports would miss registry matches."""
    from django.db import connection

    from dedup.matching import Person, hashed_keys
    from dedup.models import WorkerKey
    from dedup.scan import _rebuild_keys

    workers = [
        WorkerFactory(phone="+6281234567890"),
        WorkerFactory(kk_number="", phone=""),
        WorkerFactory(full_name="Hj. St. Aminah, S.Pd.", phone="+6285712345678"),
    ]
    with connection.cursor() as cursor:
        _rebuild_keys(cursor)
    for worker in workers:
        stored = set(WorkerKey.objects.filter(worker=worker).values_list("key", flat=True))
        assert stored == hashed_keys(Person.of(worker)), worker.full_name
