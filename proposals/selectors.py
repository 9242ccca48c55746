"""Reads of proposals and yearly updates: who may see which proposals, the officials' counts,
each kelurahan's update progress, and who the update has not confirmed (for renewal)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext

from accounts.scoping import scope_queryset
from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear
from importer.bulk import filter_in
from participants.models import Kelurahan

from .models import Answer, Proposal, ProposalStatus, UpdateAnswer, UpdateRound

VIEW_ALL_PERMISSION = "proposals.view_all_proposals"
# This year's participants whom the yearly update asks about: those with cover running or run
# out in the year (the people renewal would take).
PARTICIPANT_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.ENDED)


def proposals_visible_to(
    user: AbstractBaseUser, queryset: QuerySet[Proposal] | None = None
) -> QuerySet[Proposal]:
    """The one rule of which proposals ``user`` may see (and so review or open): Disnaker
    staff with ``view_all_proposals`` see all; a proposer sees their own. Every list, page,
    action and count goes through here, so an area scope is added in this one place."""
    queryset = Proposal.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if getattr(user, "is_superuser", False) or user.has_perm(VIEW_ALL_PERMISSION):
        # Staff limited to an area or group see the proposals for people inside it
        # (a proposal names its candidate's kelurahan and segment itself).
        return scope_queryset(user, queryset, "")
    return queryset.filter(proposer_id=user.pk)


@dataclass
class ProposerCounts:
    proposer: str
    source: str
    submitted: int
    accepted: int
    returned: int
    pending: int


def proposer_counts(program_year: ProgramYear) -> list[ProposerCounts]:
    """Per proposer and source: candidates sent, accepted, returned and waiting (one grouped
    query over the (program_year, status) index)."""
    rows = (
        Proposal.objects.filter(program_year=program_year)
        .values("proposer__username", "proposer__first_name", "proposer__last_name", "source_name")
        .annotate(
            submitted=Count("pk"),
            accepted=Count("pk", filter=Q(status=ProposalStatus.ACCEPTED)),
            returned=Count("pk", filter=Q(status=ProposalStatus.RETURNED)),
            pending=Count("pk", filter=Q(status=ProposalStatus.SUBMITTED)),
        )
        .order_by("source_name", "proposer__username")
    )
    found = []
    for row in rows:
        name = f"{row['proposer__first_name']} {row['proposer__last_name']}".strip()
        found.append(
            ProposerCounts(
                proposer=name or row["proposer__username"],
                source=row["source_name"],
                submitted=row["submitted"],
                accepted=row["accepted"],
                returned=row["returned"],
                pending=row["pending"],
            )
        )
    return found


def participants_for_update(program_year: ProgramYear, kelurahan: Kelurahan) -> QuerySet:
    """The year's participants living in ``kelurahan`` (by the registry's current address),
    and those already answered for (a death ends the cover, the person stays on the form):
    the rows of that kelurahan's update form, by name."""
    enrolled = Enrollment.objects.filter(
        program_year=program_year, status__in=PARTICIPANT_STATUSES
    ).values("worker_id")
    answered = UpdateAnswer.objects.filter(
        round__program_year=program_year, round__kelurahan=kelurahan
    ).values("worker_id")
    return (
        kelurahan.workers.filter(Q(pk__in=enrolled) | Q(pk__in=answered))
        .prefetch_related("heirs")
        .order_by("full_name", "pk")
    )


@dataclass
class KelurahanProgress:
    kelurahan: Kelurahan
    participants: int
    answered: int
    working: int
    moved: int
    died: int
    not_found: int
    round: UpdateRound | None

    @property
    def done(self) -> bool:
        return self.round is not None and self.round.is_done

    @property
    def unanswered(self) -> int:
        return max(self.participants - self.answered, 0)


def update_progress(program_year: ProgramYear) -> list[KelurahanProgress]:
    """Every kelurahan's yearly update for ``program_year``: participants, answers by kind,
    whether the form was downloaded and the update marked done. Three grouped queries."""
    participants = dict(
        Enrollment.objects.filter(program_year=program_year, status__in=PARTICIPANT_STATUSES)
        .values("worker__kelurahan")
        .annotate(n=Count("pk"))
        .values_list("worker__kelurahan", "n")
    )
    # People answered for whose cover has since ended (a death) still count as asked.
    no_longer = (
        UpdateAnswer.objects.filter(round__program_year=program_year)
        .exclude(
            worker__enrollments__program_year=program_year,
            worker__enrollments__status__in=PARTICIPANT_STATUSES,
        )
        .values("round__kelurahan")
        .annotate(n=Count("pk"))
        .values_list("round__kelurahan", "n")
    )
    for kelurahan_id, n in no_longer:
        participants[kelurahan_id] = participants.get(kelurahan_id, 0) + n
    answers: dict[int, dict[str, int]] = {}
    for row in (
        UpdateAnswer.objects.filter(round__program_year=program_year)
        .values("round__kelurahan", "answer")
        .annotate(n=Count("pk"))
    ):
        answers.setdefault(row["round__kelurahan"], {})[row["answer"]] = row["n"]
    rounds = {
        r.kelurahan_id: r
        for r in UpdateRound.objects.filter(program_year=program_year).select_related(
            "completed_by"
        )
    }
    found = []
    for kelurahan in Kelurahan.objects.select_related("kecamatan").order_by("code"):
        given = answers.get(kelurahan.pk, {})
        found.append(
            KelurahanProgress(
                kelurahan=kelurahan,
                participants=participants.get(kelurahan.pk, 0),
                answered=sum(given.values()),
                working=given.get(Answer.WORKING, 0),
                moved=given.get(Answer.MOVED, 0),
                died=given.get(Answer.DIED, 0),
                not_found=given.get(Answer.NOT_FOUND, 0),
                round=rounds.get(kelurahan.pk),
            )
        )
    return found


def unconfirmed_for_renewal(*, from_year: ProgramYear, worker_ids: Iterable[int]) -> dict[int, str]:
    """Renewal's check (``enrollment.renewal.RENEWAL_CHECKS``): once the yearly update of
    ``from_year`` has begun (a kelurahan downloaded its form or sent answers), only the people
    it confirmed as still working are renewed; the others are held back with the reason.
    A year whose update never began (years before Siaga's pemutakhiran) is renewed as before.
    """
    if not UpdateRound.objects.filter(program_year=from_year).exists():
        return {}
    worker_ids = list(worker_ids)
    answered: dict[int, str] = {}
    for queryset in filter_in(
        UpdateAnswer.objects.filter(round__program_year=from_year), "worker_id", worker_ids
    ):
        answered.update(queryset.values_list("worker_id", "answer"))
    held = {}
    for worker_id in worker_ids:
        answer = answered.get(worker_id)
        if answer == Answer.WORKING:
            continue
        if answer is None:
            held[worker_id] = gettext("Not confirmed in the %(year)s yearly update.") % {
                "year": from_year.year
            }
        else:
            held[worker_id] = gettext("Yearly update %(year)s: %(answer)s.") % {
                "year": from_year.year,
                "answer": Answer(answer).label,
            }
    return held


def dashboard_section(request: HttpRequest, program_year: ProgramYear) -> dict[str, Any] | None:
    """The dashboard's section (``dashboard.views.EXTRA_SECTIONS``): proposals per proposer
    and the yearly update per kelurahan, counts only."""
    from accounts.scoping import is_scoped

    if is_scoped(request.user):
        # Per proposer and per kelurahan across the city: not for an area or group account.
        return None
    progress = update_progress(program_year)
    return {
        "template": "proposals/_dashboard.html",
        "proposer_rows": proposer_counts(program_year),
        "progress_rows": progress,
        "progress_done": sum(1 for p in progress if p.done),
        "progress_total": len(progress),
        "year": program_year.year,
    }
