"""Jobs survive crashes: the real task worker (``manage.py db_worker``), the web process and
the command are killed with SIGKILL at each stage of an import, and the job, the data and
the staging folder are checked afterwards, then the job is retried or cancelled."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.importer.conftest import DRIVER, ROOT

pytestmark = pytest.mark.django_db(transaction=True)

CLEAN = ROOT / "tests" / "fixtures" / "spreadsheets" / "clean.xlsx"  # four valid workers
INTERRUPTED = "Server berhenti saat impor; tidak ada data yang ditulis"


@pytest.fixture
def env(process_env, tmp_path):
    pause = tmp_path / "pause"
    pause.mkdir()
    # Every file goes to the background worker (as long files do).
    return {
        **process_env,
        "SIAGA_IMPORT_BACKGROUND_BYTES": "0",
        "SIAGA_IMPORT_PAUSE_DIR": str(pause),
    }


def drive(env, *args) -> dict:
    process = subprocess.run(
        [sys.executable, str(DRIVER), *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert process.returncode == 0, process.stderr[-3000:]
    return json.loads([line for line in process.stdout.splitlines() if line.startswith("{")][-1])


def run_worker(env) -> None:
    subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=600,
    )  # fmt: skip


def kill_at(env, point: str, command: list[str]) -> None:
    """Start ``command`` so it stops at checkpoint ``point``, then SIGKILL it there."""
    marker = Path(env["SIAGA_IMPORT_PAUSE_DIR"]) / point
    process = subprocess.Popen(
        command, cwd=ROOT, env={**env, "SIAGA_IMPORT_PAUSE_AT": point},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert process.poll() is None, f"{command} ended before {point}"
            assert time.monotonic() < deadline, f"{point} never reached"
            time.sleep(0.2)
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the process and any child it started
        process.wait()
    marker.unlink()


WORKER = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--no-reload"]


def state(env) -> tuple[dict, dict]:
    report = drive(env, "report")
    return report["jobs"][-1], report


def test_a_worker_killed_while_checking_leaves_a_failed_job_that_can_be_retried(env):
    job = drive(env, "enqueue", str(CLEAN))
    assert job["status"] == "queued"
    kill_at(env, "staging", WORKER)

    job, report = state(env)
    assert job["status"] == "staging"  # as the dead worker left it
    drive(env, "recover")  # what the next page view, upload or task does
    job, report = state(env)
    assert (job["status"], job["interrupted"], job["can_retry"]) == ("failed", True, True)
    assert job["message"].startswith(INTERRUPTED)
    assert report["workers"] == 0
    assert report["files"] == [job["upload_file"]]  # the upload waits for the retry

    assert drive(env, "retry", str(job["pk"]))["status"] == "queued"
    run_worker(env)
    job, report = state(env)
    assert job["status"] == "previewed"
    assert report["files"] == [job["staged_file"]]  # upload deleted once checked
    assert report["workers"] == 0


def test_a_worker_killed_while_writing_writes_nothing_then_retry_writes_once(env):
    job = drive(env, "enqueue", str(CLEAN))
    run_worker(env)
    assert drive(env, "confirm", str(job["job"]))["status"] == "queued"
    kill_at(env, "writing", WORKER)  # inside the transaction, rows inserted, not committed

    job, report = state(env)
    assert (job["status"], report["workers"]) == ("running", 0)
    drive(env, "recover")
    job, report = state(env)
    assert (job["status"], job["interrupted"]) == ("failed", True)
    assert job["message"].startswith(INTERRUPTED)
    assert report["workers"] == report["heirs"] == 0
    assert report["files"] == [job["staged_file"]]

    assert drive(env, "retry", str(job["pk"]))["status"] == "queued"
    run_worker(env)
    job, report = state(env)
    assert (job["status"], report["workers"]) == ("imported", 4)
    assert report["files"] == []


def test_cancelling_an_interrupted_job_deletes_its_rows_at_once(env):
    job = drive(env, "enqueue", str(CLEAN))
    run_worker(env)
    drive(env, "confirm", str(job["job"]))
    kill_at(env, "writing", WORKER)
    drive(env, "recover")
    job, report = state(env)
    assert report["files"]

    assert drive(env, "cancel", str(job["pk"]))["status"] == "abandoned"
    job, report = state(env)
    assert (report["files"], report["workers"], job["staged_file"]) == ([], 0, "")


def test_a_worker_killed_after_the_commit_leaves_the_data_and_a_finished_job(env):
    job = drive(env, "enqueue", str(CLEAN))
    run_worker(env)
    drive(env, "confirm", str(job["job"]))
    kill_at(env, "committed", WORKER)

    job, report = state(env)
    assert (job["status"], report["workers"]) == ("imported", 4)  # job and data agree
    assert report["files"] == [job["staged_file"]]
    drive(env, "recover")
    job, report = state(env)
    assert (report["files"], job["staged_file"]) == ([], "")  # the leftover rows are gone


def test_a_web_process_killed_while_checking_leaves_a_failed_job(env):
    kill_at(env, "staging", [sys.executable, str(DRIVER), "web", str(CLEAN)])
    job, report = state(env)
    assert job["status"] == "staging"
    drive(env, "recover")
    job, report = state(env)
    assert (job["status"], job["interrupted"], job["can_retry"]) == ("failed", True, False)
    assert job["message"].startswith(INTERRUPTED)
    assert (report["workers"], report["files"]) == (0, [])


def test_a_command_killed_while_writing_writes_nothing(env):
    kill_at(env, "writing", [sys.executable, str(DRIVER), "cli", str(CLEAN)])
    job, report = state(env)
    assert (job["status"], report["workers"]) == ("running", 0)
    drive(env, "recover")
    job, report = state(env)
    assert (job["status"], job["message"][:50]) == ("failed", INTERRUPTED[:50])
    assert (report["workers"], report["files"]) == (0, [])
