"""Callbacks that higher apps (notifications) register in their ``AppConfig.ready()`` for
events of the lifecycle; enrollment never imports them.

Each callback runs INSIDE the transaction that makes the change (a transactional outbox):
what it writes commits or rolls back with the activation, renewal or claim, so a crash
after the commit cannot lose it. Callbacks must therefore be cheap and must not fail on
anything but a database error: insert rows set-based (a bounded number of queries for a
batch of thousands), do slow or fragile work such as rendering a message later.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

# enrollment_ids=[…] of enrollments that became active (KPJ number set from BPJS's answer).
ACTIVATED: list[Callable[..., object]] = []
# enrollment_ids=[…] of next-year proposals made by the renewal.
RENEWED: list[Callable[..., object]] = []
# claim_ids=[…] of claims recorded or whose status changed.
CLAIM_STATUS: list[Callable[..., object]] = []


def in_transaction(hooks: list[Callable[..., object]], **kwargs) -> None:
    """Run the callbacks now, inside the caller's transaction (which must be open)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("enrollment hooks run inside the transaction of the change")
    for hook in list(hooks):
        hook(**kwargs)
