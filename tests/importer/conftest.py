"""A database that separate processes (the import driver, ``manage.py db_worker``) share.

On PostgreSQL that is the test database itself (the tests using it are transactional, so
what the processes commit is visible and flushed afterwards). In-memory SQLite cannot be
shared, so there a migrated database file is made once per session and copied per test.
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
DRIVER = ROOT / "tests" / "importer" / "hostile_driver.py"
MEMORY_LIMIT = 1 << 30  # 1 GB of address space per process


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("db") / "template.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{path}"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=900
    )
    return path


@pytest.fixture
def process_env(request, tmp_path):
    """Environment for a child process: the shared database and a private staging folder."""
    if connection.vendor == "postgresql":
        request.getfixturevalue("reference_data")  # transactional: committed and flushed
        db = connection.settings_dict
        url = (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        )
    else:
        path = tmp_path / "shared.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SIAGA_IMPORT_STAGING_DIR": str(tmp_path / "staging"),
        "DJANGO_SETTINGS_MODULE": "siaga.settings",
        "CONN_MAX_AGE": "0",
    }
    env.pop("SIAGA_IMPORT_PAUSE_AT", None)
    return env


def limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
