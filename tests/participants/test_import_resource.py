"""WorkerResource: django-import-export's Resource API backed by Siaga's import engine."""

from pathlib import Path

import pytest
import tablib

from participants.models import Worker
from participants.resources import WorkerResource
from tests.factories import UserFactory

FILES = Path(__file__).parent.parent / "fixtures" / "spreadsheets"

pytestmark = pytest.mark.django_db


def dataset(name):
    return tablib.Dataset().load((FILES / name).read_text(encoding="utf-8-sig"), format="csv")


def test_dry_run_counts_and_writes_nothing():
    result = WorkerResource().import_data(dataset("bom_utf8.csv"), dry_run=True)
    assert result.totals["new"] == 4
    assert not result.has_validation_errors()
    assert not Worker.objects.exists()


def test_import_then_reimport_skips_unchanged_rows():
    user = UserFactory(username="importir")
    WorkerResource().import_data(dataset("bom_utf8.csv"), user=user)
    assert Worker.objects.count() == 4
    assert {w.history.get().history_user for w in Worker.objects.all()} == {user}
    result = WorkerResource().import_data(dataset("bom_utf8.csv"), user=user)
    assert (result.totals["new"], result.totals["update"], result.totals["skip"]) == (0, 0, 4)


def test_a_write_needs_the_user_for_the_audit_trail():
    with pytest.raises(ValueError, match="user"):
        WorkerResource().import_data(dataset("bom_utf8.csv"))
    assert not Worker.objects.exists()


def test_invalid_rows_carry_the_siaga_messages_by_column():
    data = tablib.Dataset().load(
        "\n".join((FILES / "problems.csv").read_text().splitlines()[1:]), format="csv"
    )
    result = WorkerResource().import_data(data, rollback_on_validation_errors=True)
    assert result.totals["invalid"] == 5
    assert not Worker.objects.exists()
    bad = next(r for r in result.invalid_rows if r.number == 6)
    assert set(bad.field_specific_errors) == {"Desa/Kelurahan", "Segmen", "Status Pekerja",
                                             "Tgl. Lahir", "No. Telp"}  # fmt: skip
