"""Helpers shared by the enrollment admin modules."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join
from django.utils.translation import ngettext

from participants.privacy import shown_nik

from ..models import (
    Enrollment,
    ProgramYear,
)

MAX_FAILURES_LISTED = 30


def report_bulk(
    request: HttpRequest,
    queryset: QuerySet[Enrollment],
    action: Callable[[Enrollment], object],
    *,
    done_message: str,
) -> None:
    """Run ``action`` on each enrollment (each in its own transaction) and tell staff how many
    succeeded and why each of the others did not."""
    succeeded = 0
    refused: list[tuple[Enrollment, ValidationError]] = []
    for enrollment in queryset.select_related("worker").order_by("pk"):
        try:
            action(enrollment)
        except ValidationError as exc:
            refused.append((enrollment, exc))
        else:
            succeeded += 1
    report_results(request, succeeded, refused, done_message=done_message)


def report_results(
    request: HttpRequest,
    succeeded: int,
    refused: list[tuple[Enrollment, ValidationError]],
    *,
    done_message: str,
) -> None:
    """How many succeeded, and each refusal with its reason (NIKs as the user may see them)."""
    messages.success(request, done_message % {"count": succeeded})
    if not refused:
        return
    failures = [
        f"{shown_nik(e.worker.nik, request.user)} {e.worker.full_name}: {'; '.join(exc.messages)}"
        for e, exc in refused[:MAX_FAILURES_LISTED]
    ]
    messages.error(
        request,
        format_html(
            "{}<ul>{}</ul>",
            ngettext(
                "%(count)d enrollment was not changed:",
                "%(count)d enrollments were not changed:",
                len(refused),
            )
            % {"count": len(refused)},
            format_html_join("", "<li>{}</li>", ((f,) for f in failures)),
        ),
    )


class CreatedByServiceMixin:
    """Records created through a service in ``save_form`` (enrollment_propose, claim_record)
    and kept as history: the admin saves nothing more on add and never deletes."""

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        # An enrollment or claim is history: it is terminated or rejected, never deleted.
        return False


class ClosedYearReadOnlyMixin:
    """A closed program year, its rates and quotas can be looked at, never changed."""

    def _year_of(self, obj) -> ProgramYear | None:
        if obj is None:
            return None
        return obj if isinstance(obj, ProgramYear) else getattr(obj, "program_year", None)

    def has_change_permission(self, request, obj=None):
        year = self._year_of(obj)
        if year is not None and year.is_closed:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        # ModelAdmin passes no object; an inline passes its parent (the year).
        year = self._year_of(args[0] if args else None)
        if year is not None and year.is_closed:
            return False
        return super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        year = self._year_of(obj)
        if year is not None and year.is_closed:
            return False
        return super().has_delete_permission(request, obj)
