"""Validated rows kept server-side between preview and confirmation.

The confirm step writes these rows as they were checked, without reading or validating the
uploaded file again. The files hold personal data, so they live in a private folder, are
deleted when the import finishes or is abandoned, and stale ones are purged.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

from django.conf import settings

STALE_AFTER_SECONDS = 3 * 60 * 60


def staging_dir() -> Path:
    path = Path(settings.SIAGA_IMPORT_STAGING_DIR)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _default(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    raise TypeError(f"Cannot stage {type(value).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1:
        if "$date" in obj:
            return datetime.date.fromisoformat(obj["$date"])
        if "$dt" in obj:
            return datetime.datetime.fromisoformat(obj["$dt"])
    return obj


def _create(suffix: str, content: bytes) -> str:
    name = f"{uuid.uuid4().hex}{suffix}"
    fd = os.open(staging_dir() / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    return name


def write_upload(data: bytes) -> str:
    """Keep an uploaded file for the background worker (read once, then deleted)."""
    return _create(".upload", data)


def read_upload(name: str) -> bytes:
    return _path(name).read_bytes()


def write_stage(payload: Any) -> str:
    """Store ``payload`` (JSON-able plus dates); return the file's name within the folder."""
    raw = json.dumps(payload, default=_default, separators=(",", ":")).encode()
    return _create(".json.z", zlib.compress(raw, 1))


def _path(name: str) -> Path:
    if not name or Path(name).name != name:
        raise FileNotFoundError(name)
    return staging_dir() / name


def read_stage(name: str) -> Any:
    with open(_path(name), "rb") as handle:
        return json.loads(zlib.decompress(handle.read()), object_hook=_hook)


def delete_stage(name: str) -> None:
    if not name:
        return
    with contextlib.suppress(FileNotFoundError):
        _path(name).unlink(missing_ok=True)


def purge_stale(max_age: int = STALE_AFTER_SECONDS) -> list[str]:
    """Delete staged files older than ``max_age`` seconds; return their names."""
    cutoff = time.time() - max_age
    removed = []
    for path in [*staging_dir().glob("*.json.z"), *staging_dir().glob("*.upload")]:
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
