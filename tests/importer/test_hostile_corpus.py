"""The hostile-file corpus (tests/fixtures/hostile/, built by tests/fixtures/build_hostile.py)
imported through the admin, the background worker and the command, each in its own process
under a 1 GB address-space limit and a time limit: every file ends with a message, no process
dies, nothing is written."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures import build_hostile
from tests.importer.conftest import DRIVER, ROOT, limit_memory

pytestmark = pytest.mark.django_db(transaction=True)

HOSTILE = Path(build_hostile.OUT)
# Read correctly, then refused for their (deliberately invalid) rows at the preview.
READABLE = {"external_links.xlsx", "unicode_text_utf16.txt", "utf16_be.csv", "utf32.csv"}
TIME_LIMIT = 900  # seconds per process, for the whole corpus on a loaded machine
ENGLISH = re.compile(r"\b(the|file|sheet|rows|cannot|damaged)\b", re.IGNORECASE)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> list[Path]:
    large = build_hostile.write_large(tmp_path_factory.mktemp("hostile-large"))
    return sorted(HOSTILE.iterdir()) + large


def test_the_committed_corpus_is_what_the_script_builds():
    assert sorted(p.name for p in HOSTILE.iterdir()) == sorted(build_hostile.SMALL)
    assert sum(p.stat().st_size for p in HOSTILE.iterdir()) < 3 * 1024 * 1024


def run(env, *args, memory_limited=True) -> list[dict]:
    process = subprocess.run(
        [sys.executable, str(DRIVER), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=limit_memory if memory_limited else None,
    )
    assert process.returncode == 0, process.stderr[-3000:]  # no crash, no abort, no kill
    return [json.loads(line) for line in process.stdout.splitlines() if line.startswith("{")]


def assert_nothing_written(env) -> dict:
    (report,) = run(env, "report")
    assert (report["workers"], report["heirs"]) == (0, 0)
    return report


def assert_refused_in_indonesian(name: str, status: str, message: str) -> None:
    if name in READABLE:
        assert status == "previewed", (name, message)
    else:
        assert status == "unreadable", (name, status)
        assert message and not ENGLISH.search(message), (name, message)


def test_every_hostile_file_gets_a_message_in_the_admin(process_env, corpus):
    results = run(process_env, "web", *map(str, corpus))
    assert [r["file"] for r in results] == [p.name for p in corpus]
    for result in results:
        assert_refused_in_indonesian(result["file"], result["status"], result["message"])
        if result["file"] in READABLE:
            assert result["http"] == 302 and "/import/" in result["location"]
        else:  # the upload form again, saying why, with HTTP 200
            assert result["http"] == 200 and result["page_has_message"], result
        assert result["seconds"] < 120, result
    report = assert_nothing_written(process_env)
    assert len(report["files"]) == len(READABLE)  # only the previews' checked rows are kept


def test_every_hostile_file_gets_a_message_from_the_background_worker(process_env, corpus):
    queued = run(process_env, "enqueue", *map(str, corpus))
    assert {r["status"] for r in queued} == {"queued"}
    worker = subprocess.run(
        [sys.executable, "manage.py", "db_worker", "--batch", "--no-startup-delay", "--no-reload"],
        cwd=ROOT,
        env=process_env,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=limit_memory,
    )
    assert worker.returncode == 0, worker.stderr[-3000:]
    report = assert_nothing_written(process_env)
    assert len(report["jobs"]) == len(corpus)
    for job in report["jobs"]:
        assert_refused_in_indonesian(job["file"], job["status"], job["message"])
        assert not job["upload_file"]  # the worker deleted every upload it had checked
    assert len(report["files"]) == len(READABLE)


def test_every_hostile_file_gets_a_message_from_the_command(process_env, corpus):
    results = run(process_env, "cli", *map(str, corpus))
    assert [r["file"] for r in results] == [p.name for p in corpus]
    for result in results:
        if result["file"] in READABLE:
            assert (result["exit"], result["outcome"]) == (1, "refused"), result
        else:
            assert (result["exit"], result["outcome"]) == (2, "unreadable"), result
            assert result["message"] and not ENGLISH.search(result["message"]), result
    assert_nothing_written(process_env)
