"""Writes to the registry. Admin, importer and commands go through these functions."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from .models import Heir, Worker


def stamp_author(worker: Worker, user: AbstractBaseUser | None) -> None:
    """Record who created/last changed a worker."""
    if user is not None and not user.is_authenticated:
        user = None
    if worker._state.adding and worker.created_by_id is None:
        worker.created_by = user
    worker.updated_by = user


@transaction.atomic
def worker_create(*, user: AbstractBaseUser | None, **fields: Any) -> Worker:
    worker = Worker(**fields)
    worker.full_clean()
    stamp_author(worker, user)
    worker.save()
    return worker


@transaction.atomic
def worker_update(
    *, worker: Worker, user: AbstractBaseUser | None, data: dict[str, Any]
) -> list[str]:
    """Apply ``data`` to ``worker``; return the names of the fields that changed."""
    changed = [name for name, value in data.items() if getattr(worker, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(worker, name, data[name])
    worker.full_clean()
    stamp_author(worker, user)
    worker.save()
    return changed


@transaction.atomic
def heir_create(*, worker: Worker, **fields: Any) -> Heir:
    heir = Heir(worker=worker, **fields)
    heir.full_clean()
    heir.save()
    return heir
