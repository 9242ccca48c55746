"""Complaint figures for officials: counts per category, no personal data."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from .models import DONE_STATUSES, OPEN_STATUSES, Category, Ticket

ANSWERED_WINDOW_DAYS = 30


@dataclass(frozen=True)
class CategoryRow:
    category: str
    label: str
    open: int
    overdue: int
    answered_recently: int


def complaint_counts(
    today: datetime.date | None = None, *, tickets: QuerySet[Ticket] | None = None
) -> list[CategoryRow]:
    """Per category: open complaints, open ones past their deadline, and complaints answered
    in the last 30 days. One grouped query over the (category, status) index; ``tickets``
    narrows it (an area or group account's own scope, accounts/scoping.py)."""
    today = today or timezone.localdate()
    since = timezone.now() - datetime.timedelta(days=ANSWERED_WINDOW_DAYS)
    rows = {
        r["category"]: r
        for r in (Ticket.objects.all() if tickets is None else tickets)
        .values("category")
        .annotate(
            open=Count("pk", filter=Q(status__in=OPEN_STATUSES)),
            overdue=Count("pk", filter=Q(status__in=OPEN_STATUSES, deadline__lt=today)),
            answered=Count("pk", filter=Q(status__in=DONE_STATUSES, resolved_at__gte=since)),
        )
    }
    return [
        CategoryRow(
            category=value,
            label=str(label),
            open=rows.get(value, {}).get("open", 0),
            overdue=rows.get(value, {}).get("overdue", 0),
            answered_recently=rows.get(value, {}).get("answered", 0),
        )
        for value, label in Category.choices
    ]
