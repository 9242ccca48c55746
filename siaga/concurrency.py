"""Lost races answer with a message, never a 500 (issue 13, point 4).

Two staff saving the same thing at once (the same worker proposed twice, the same NIK added
twice) both pass the form's checks, because neither sees the other's uncommitted row; the
database's unique constraint then refuses the second. ``refuse_lost_race`` runs a write in a
savepoint and turns that refusal into the ``ValidationError`` the form would have shown had
the other request finished a moment earlier: by the time the constraint fires the winner has
committed, so checking again finds it. ``IntegrityErrorMiddleware`` is the net for any write
that does not go through a service: an Indonesian page (HTTP 409), nothing saved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

T = TypeVar("T")
logger = logging.getLogger(__name__)

CONCURRENT_WRITE = _(
    "Someone else saved the same data at the same moment, so nothing was saved from this "
    "request. Reload the page and check the data."
)


def refuse_lost_race(
    write: Callable[[], T], refusal: Callable[[], ValidationError | None] | None = None
) -> T:
    """``write()`` in a savepoint; a constraint violation becomes ``refusal()`` (the rule's own
    message, checked again now that the winner is visible) or a general message."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError as exc:
        error = refusal() if refusal is not None else None
        raise (error or ValidationError(CONCURRENT_WRITE, code="concurrent_write")) from exc


def unique_refusal(instance: models.Model) -> ValidationError | None:
    """The model's own unique/constraint message for ``instance``, if one applies now."""
    try:
        instance.validate_unique()
        instance.validate_constraints()
    except ValidationError as exc:
        return exc
    return None


class IntegrityErrorMiddleware:
    """Any constraint violation that reached a view: a clear page instead of a server error.

    The view's transaction has been rolled back by then, so nothing of the request is saved.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, IntegrityError):
            return None
        # The database's message can quote a NIK: log only where it happened (UU 27/2022).
        constraint = getattr(getattr(exception.__cause__, "diag", None), "constraint_name", "")
        logger.warning("Constraint %s refused a write on %s (409)", constraint, request.path)
        return render(request, "409.html", status=409)
