"""Writes to the registry. Admin, importer and commands go through these functions."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, models, transaction
from django.utils import timezone

from siaga.concurrency import refuse_lost_race, unique_refusal

from .models import Heir, Worker

# Called after a death date or a deactivation is written, with the worker ids, the user and a
# note: a higher app ends what depended on the worker being alive and active (enrollment
# registers the end of cover in its AppConfig.ready). Every path that writes those fields
# (worker form, import, claim) ends in ``workers_departed``.
DEPARTURE_HOOKS: list[Callable[..., None]] = []
DEPARTURE_FIELDS = frozenset({"death_date", "is_active"})


def workers_departed(
    *, worker_ids: Iterable[int], user: AbstractBaseUser | None, reason: str = ""
) -> None:
    """Tell the registered hooks that these workers' death date or active flag changed."""
    worker_ids = sorted(set(worker_ids))
    if not worker_ids:
        return
    for hook in DEPARTURE_HOOKS:
        hook(worker_ids=worker_ids, user=user, reason=reason)


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
    # Two staff adding the same NIK at once: the second hears "NIK already exists".
    refuse_lost_race(worker.save, lambda: unique_refusal(worker))
    return worker


@transaction.atomic
def worker_update(
    *, worker: Worker, user: AbstractBaseUser | None, data: dict[str, Any], reason: str = ""
) -> list[str]:
    """Apply ``data`` to ``worker``; return the names of the fields that changed.

    A new death date or a deactivation ends the worker's cover (``workers_departed``);
    ``reason`` goes with it into the enrollments' history.
    """
    changed = [name for name, value in data.items() if getattr(worker, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(worker, name, data[name])
    worker.full_clean()
    stamp_author(worker, user)
    worker.save()
    if DEPARTURE_FIELDS.intersection(changed):
        workers_departed(worker_ids=[worker.pk], user=user, reason=reason)
    return changed


@transaction.atomic
def heir_create(*, worker: Worker, **fields: Any) -> Heir:
    heir = Heir(worker=worker, **fields)
    heir.full_clean()
    refuse_lost_race(heir.save, lambda: unique_refusal(heir))
    return heir


def history_record_bulk(
    model: type[models.Model],
    *,
    lookup: str,
    values: Iterable[Any],
    history_type: str,
    user: AbstractBaseUser | None,
    reason: str,
    chunk_size: int = 20_000,
    min_pk: int | None = None,
    history_date: Any = None,
) -> int:
    """Write audit-trail rows for records a bulk operation created or changed, in SQL.

    Set-based writes (the importer's COPY, bulk_update) bypass django-simple-history's signals;
    this copies the current rows into the history table with one INSERT … SELECT per chunk, so
    every imported worker still has a "who, when, what" entry and later diffs have a baseline.
    ``history_type`` is "+" (created) or "~" (changed). ``min_pk`` narrows to rows with a
    larger primary key (rows just inserted, e.g. heirs, found by their worker);
    ``history_date`` defaults to now.
    """
    history = model.history.model
    tracked = [f for f in history._meta.concrete_fields if not f.attname.startswith("history_")]
    quote = connection.ops.quote_name
    columns = [quote(f.column) for f in tracked]
    source_column = quote(model._meta.get_field(lookup).column)
    values = list(values)
    user_id = getattr(user, "pk", None)
    postgres = connection.vendor == "postgresql"
    if not postgres:
        chunk_size = min(chunk_size, 900)  # SQLite's bound-parameter floor is 999
    written = 0
    extra, extra_params = "", []
    if min_pk is not None:
        extra = f" AND {quote(model._meta.pk.column)} > %s"
        extra_params = [min_pk]
    when = history_date or timezone.now()
    with connection.cursor() as cursor:
        for start in range(0, len(values), chunk_size):
            chunk = values[start : start + chunk_size]
            # PostgreSQL takes the chunk as one array parameter (see importer.bulk.filter_in).
            where, params = (
                (f"{source_column} = ANY(%s)", [chunk])
                if postgres
                else (f"{source_column} IN ({', '.join(['%s'] * len(chunk))})", chunk)
            )
            cursor.execute(
                f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}, "
                f"{quote('history_date')}, {quote('history_type')}, "
                f"{quote('history_user_id')}, {quote('history_change_reason')}) "
                f"SELECT {', '.join(columns)}, %s, %s, %s, %s "
                f"FROM {quote(model._meta.db_table)} WHERE {where}{extra}",
                [when, history_type, user_id, reason[:100], *params, *extra_params],
            )
            written += cursor.rowcount
    return written


def history_record_from(
    model: type[models.Model],
    *,
    min_pk: int,
    history_type: str,
    user: AbstractBaseUser | None,
    reason: str,
    history_date: Any = None,
) -> int:
    """Audit-trail rows for every row of ``model`` with a primary key of at least ``min_pk``,
    in one INSERT … SELECT (a bulk load such as ``seed_demo`` that just wrote them)."""
    history = model.history.model
    tracked = [f for f in history._meta.concrete_fields if not f.attname.startswith("history_")]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in tracked)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({columns}, "
            f"{quote('history_date')}, {quote('history_type')}, "
            f"{quote('history_user_id')}, {quote('history_change_reason')}) "
            f"SELECT {columns}, %s, %s, %s, %s FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(model._meta.pk.column)} >= %s ORDER BY {quote(model._meta.pk.column)}",
            [
                history_date or timezone.now(),
                history_type,
                getattr(user, "pk", None),
                reason[:100],
                min_pk,
            ],
        )
        return cursor.rowcount
