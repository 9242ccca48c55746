"""The embedded SQLite default under real use: the real server, the real worker, several staff.

`make run` serves Siaga on SQLite with `runserver` and `db_worker` side by side. Before WAL,
a busy timeout and IMMEDIATE transactions, four staff adding users at once failed 96 times in
100 with "database is locked" (HTTP 500). This test starts both real processes on a fresh
SQLite file and sends a morning's mix from four clients at once: adding users and workers,
bulk verification, the DTKS request download (a logged personal-data export) and a
background import. Every request must succeed and the server must log no error.
"""

from __future__ import annotations

import csv
import datetime
import http.cookiejar
import io
import json
import os
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.factories import make_nik

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 4
ROUNDS = 14  # 4 clients x 14 rounds x 4 requests + imports: well over 200 writes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Client:
    """A member of staff with a browser's cookies, speaking plain HTTP to the real server."""

    def __init__(self, base: str, username: str, password: str):
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.statuses: list[tuple[str, int]] = []
        self.get("/admin/login/")
        status, _ = self.post(
            "/admin/login/?next=/admin/", {"username": username, "password": password}
        )
        assert status == 200 and "sessionid" in self._cookies(), "login failed"

    def _cookies(self) -> dict[str, str]:
        return {c.name: c.value for c in self.jar}

    def _open(self, request: urllib.request.Request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=120) as response:
                body = response.read().decode("utf-8", "replace")
                status = response.status
        except urllib.error.HTTPError as error:
            body = error.read().decode("utf-8", "replace")
            status = error.code
        self.statuses.append((request.full_url, status))
        return status, body

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict | list, files: dict | None = None) -> tuple[int, str]:
        headers = {"X-CSRFToken": self._cookies().get("csrftoken", "")}
        if files:
            boundary = uuid.uuid4().hex
            body = io.BytesIO()
            pairs = data.items() if isinstance(data, dict) else data
            for name, value in pairs:
                body.write(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                    f"{value}\r\n".encode()
                )
            for name, (filename, content) in files.items():
                body.write(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                    f'filename="{filename}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                )
                body.write(content + b"\r\n")
            body.write(f"--{boundary}--\r\n".encode())
            payload = body.getvalue()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            payload = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        return self._open(urllib.request.Request(self.base + path, payload, headers))


def _candidate_csv(client_no: int, rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["NIK", "Nama", "Tanggal Lahir", "L/P", "Kelurahan", "Status Pekerja", "Segmen"]
    )
    for i in range(rows):
        born = datetime.date(1970 + i % 30, 1 + i % 12, 1 + i % 27)
        nik = make_nik(birth_date=born, sex="L", serial=5000 + client_no * 100 + i)
        writer.writerow(
            [nik, f"Peserta Impor {client_no}-{i}", born.isoformat(), "L", "Kelun", "BPU", "PKL"]
        )
    return out.getvalue().encode()


@pytest.fixture
def live_sqlite(tmp_path):
    db = tmp_path / "siaga.sqlite3"
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db}",
        "DEBUG": "True",
        "SIAGA_IMPORT_STAGING_DIR": str(tmp_path / "staging"),
        # Every upload goes to the background worker, as large lists do.
        "SIAGA_IMPORT_BACKGROUND_BYTES": "1",
        "PYTHONUNBUFFERED": "1",
    }
    python = sys.executable

    def manage(*args: str) -> None:
        subprocess.run(
            [python, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True
        )

    manage("migrate", "--no-input")
    manage("seed_demo", "--workers", "300")
    script = "\n".join(
        [
            "from django.contrib.auth import get_user_model",
            "U = get_user_model()",
            *[
                f"U.objects.create_superuser('staf{i}', '', 'sandi-rahasia-{i}')"
                for i in range(CLIENTS)
            ],
        ]
    )
    manage("shell", "-c", script)

    port = _free_port()
    log = open(tmp_path / "server.log", "w+")  # noqa: SIM115 - read after the processes end
    server = subprocess.Popen(
        [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [python, "manage.py", "db_worker", "--no-reload", "--interval", "0.2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/admin/login/", timeout=2)
            break
        except OSError:
            time.sleep(0.2)
    try:
        yield base, db, log
    finally:
        for process in (server, worker):
            process.terminate()
            process.wait(timeout=20)
        log.close()


def _ids(db: Path, sql: str) -> list[int]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute(sql)]


def _staff_morning(base: str, db: Path, n: int, errors: list[str]) -> None:
    client = Client(base, f"staf{n}", f"sandi-rahasia-{n}")
    kelun = _ids(db, "select id from participants_kelurahan where name = 'Kelun'")[0]
    pkl = _ids(db, "select id from participants_segment where code = 'pkl'")[0]
    worker_ids = _ids(db, "select id from participants_worker order by id limit 50")
    enrollment_ids = _ids(db, "select id from enrollment_enrollment where status = 'diusulkan'")
    try:
        # One background import per member of staff, while the others keep writing.
        status, _ = client.post(
            "/admin/participants/worker/import/",
            {},
            files={"import_file": (f"usulan-{n}.csv", _candidate_csv(n, 40))},
        )
        assert status == 200, status
        job_id = _ids(
            db, f"select max(id) from importer_importjob where file_name = 'usulan-{n}.csv'"
        )[0]
        for r in range(ROUNDS):
            status, _ = client.post(
                "/admin/auth/user/add/",
                {
                    "username": f"baru-{n}-{r}",
                    "password1": "Sandi-Panjang-123",
                    "password2": "Sandi-Panjang-123",
                    "usable_password": "true",
                },
            )
            assert status == 200, f"add user: {status}"
            born = datetime.date(1980 + r, 1 + n, 10)
            status, body = client.post(
                "/admin/participants/worker/add/",
                {
                    "nik": make_nik(birth_date=born, sex="L", serial=100 + n * 50 + r),
                    "full_name": f"Pekerja {n}-{r}",
                    "birth_date": born.strftime("%d/%m/%Y"),
                    "sex": "L",
                    "address": "Jl. Salak 3",
                    "kk_number": "3577010101010001",
                    "birth_place": "Madiun",
                    "rt": "001",
                    "rw": "002",
                    "phone": "0812 3456 7890",
                    "monthly_income": "1500000",
                    "kelurahan": kelun,
                    "segment": pkl,
                    "worker_type": "BPU",
                    "dtks_status": "unchecked",
                    "is_active": "on",
                    "heirs-TOTAL_FORMS": "0",
                    "heirs-INITIAL_FORMS": "0",
                    "heirs-MIN_NUM_FORMS": "0",
                    "heirs-MAX_NUM_FORMS": "1000",
                },
            )
            assert status == 200 and "errornote" not in body, (
                f"add worker: {status} {re.findall(r'<ul class=.errorlist[^>]*>(.*?)</ul>', body)}"
            )
            status, _ = client.post(
                "/admin/participants/worker/",
                [
                    ("action", "download_dtks_request_list"),
                    ("index", "0"),
                    *[("_selected_action", i) for i in worker_ids],
                ],
            )
            assert status == 200, f"DTKS list: {status}"
            status, _ = client.post(
                "/admin/enrollment/enrollment/",
                [
                    ("action", "verify_selected"),
                    ("index", "0"),
                    *[("_selected_action", i) for i in enrollment_ids],
                ],
            )
            assert status == 200, f"verify: {status}"
        # The import: wait for the worker's check, then confirm and wait for the write.
        for _confirm in (False, True):
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                status, body = client.get(f"/admin/participants/worker/import/{job_id}/status.json")
                assert status == 200, f"import status: {status}"
                if json.loads(body)["next_url"]:
                    break
                time.sleep(0.3)
            else:
                raise AssertionError("import did not finish")
            if not _confirm:
                status, _ = client.post(
                    "/admin/participants/worker/process_import/", {"job": job_id}
                )
                assert status == 200, f"confirm: {status}"
    except AssertionError as error:
        errors.append(f"client {n}: {error}")
    bad = [(url, status) for url, status in client.statuses if status >= 400]
    if bad:
        errors.append(f"client {n}: {bad[:5]}")
    errors.append(("count", len(client.statuses)))


def test_server_and_worker_on_sqlite_take_many_staff_at_once(live_sqlite):
    base, db, log = live_sqlite
    results: list = []
    threads = [
        threading.Thread(target=_staff_morning, args=(base, db, n, results)) for n in range(CLIENTS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)

    requests = sum(r[1] for r in results if isinstance(r, tuple))
    errors = [r for r in results if not isinstance(r, tuple)]
    log.seek(0)
    server_log = log.read()
    assert errors == [], errors
    assert "database is locked" not in server_log
    assert not re.search(r'" 5\d\d ', server_log), server_log[-3000:]
    assert requests >= 200
    assert _ids(db, "select count(*) from auth_user where username like 'baru-%'") == [
        CLIENTS * ROUNDS
    ]
    assert _ids(
        db, "select count(*) from participants_worker where full_name like 'Pekerja %'"
    ) == [CLIENTS * ROUNDS]
    assert _ids(
        db, "select count(*) from participants_worker where full_name like 'Peserta Impor %'"
    ) == [CLIENTS * 40]
    assert _ids(db, "select count(*) from importer_importjob where status = 'imported'") == [
        CLIENTS
    ]
