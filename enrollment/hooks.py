"""Callbacks that higher apps (notifications) register in their ``AppConfig.ready()`` for
events of the lifecycle; enrollment never imports them.

Each callback runs after the transaction that made the change commits (``on_commit``,
``robust``): a failing callback is logged and never undoes or breaks the activation, renewal
or claim that triggered it.
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


def after_commit(hooks: list[Callable[..., object]], **kwargs) -> None:
    for hook in list(hooks):
        transaction.on_commit(lambda hook=hook: hook(**kwargs), robust=True)
