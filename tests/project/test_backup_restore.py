"""The backup procedure in docs/deploy.md works: pg_dump, pg_restore into a fresh database."""

import shutil
import subprocess

import pytest
from django.db import connection

from participants.models import Heir, Worker
from tests.factories import HeirFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="backups are PostgreSQL's"),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed"),
]


def test_a_dump_restores_into_a_fresh_database_with_every_row(tmp_path):
    HeirFactory.create_batch(5)
    settings = connection.settings_dict
    conn = ["-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432)]
    conn += ["-U", settings["USER"] or "postgres"]
    dump = tmp_path / "siaga.dump"
    restored = settings["NAME"] + "_restore"
    subprocess.run(
        ["pg_dump", *conn, "--format=custom", f"--file={dump}", settings["NAME"]], check=True
    )
    subprocess.run(["dropdb", *conn, "--if-exists", restored], check=True)
    subprocess.run(["createdb", *conn, restored], check=True)
    try:
        subprocess.run(
            ["pg_restore", *conn, "--no-owner", f"--dbname={restored}", dump], check=True
        )
        query = (
            "SELECT (SELECT count(*) FROM participants_worker),"
            " (SELECT count(*) FROM participants_heir),"
            " (SELECT string_agg(nik, ',' ORDER BY nik) FROM participants_worker)"
        )
        out = subprocess.run(
            ["psql", *conn, "-d", restored, "-At", "-c", query],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    finally:
        subprocess.run(["dropdb", *conn, "--if-exists", restored], check=True)
    workers, heirs, niks = out.split("|")
    assert int(workers) == Worker.objects.count() == 5
    assert int(heirs) == Heir.objects.count() == 5
    assert niks == ",".join(sorted(Worker.objects.values_list("nik", flat=True)))
