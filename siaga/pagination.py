"""Pagination that stays fast on tables with a million rows."""

from __future__ import annotations

from django.conf import settings
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property


def estimated_row_count(model) -> int | None:
    """PostgreSQL's planner estimate of a table's rows, or None where there is none."""
    connection = connections[model.objects.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    # -1 means "never analysed": no usable estimate.
    return int(row[0]) if row and row[0] >= 0 else None


class EstimatedCountPaginator(Paginator):
    """Uses the table estimate instead of COUNT(*) for an unfiltered, large table.

    A filtered list (search, list filters) still gets its exact count: those counts run on
    indexes and staff rely on them ("42 workers in Kelun"). Only the whole-table figure, which
    costs a full scan every page, is estimated.
    """

    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where:
            estimate = estimated_row_count(self.object_list.model)
            if estimate is not None and estimate >= settings.SIAGA_ESTIMATED_COUNT_THRESHOLD:
                return estimate
        return super().count
