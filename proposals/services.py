"""Writes of proposals (usulan) and of the yearly update (pemutakhiran).

A proposal moves ``diajukan → diterima`` or ``diajukan → dikembalikan`` and never back; a
returned candidate is proposed again as a new proposal. Accepting runs, in one transaction
per proposal, the registry's and the enrollment's own checks: identity and possible
duplicates (``dedup``), the worker's validation (``participants.services.worker_create``),
the year's quota and budget under the program year's row lock (``enrollment.limits.YearRoom``,
the lock every verification queues on) and eligibility (``enrollment_propose``). A refusal
writes nothing and leaves the proposal waiting, with the reason for the reviewer.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from dedup.importing import check_rows
from dedup.matching import Person
from enrollment.limits import YearRoom
from enrollment.models import ProgramYear
from enrollment.services import enrollment_propose, ensure_year_open
from participants.models import Worker
from participants.resources import same_name
from participants.services import heir_create, worker_create, worker_update

from .models import (
    CANDIDATE_FIELDS,
    Answer,
    Proposal,
    ProposalStatus,
    UpdateAnswer,
    UpdateRound,
)

S = ProposalStatus


def _check_open(proposal: Proposal) -> None:
    if proposal.status != S.SUBMITTED:
        raise ValidationError(
            _("This proposal is already %(status)s; only a submitted proposal can be reviewed."),
            code="proposal_closed",
            params={"status": S(proposal.status).label},
        )


@transaction.atomic
def proposal_submit(
    *, user: AbstractBaseUser, program_year: ProgramYear, source_kind: str, source_name: str,
    import_job: Any = None, **candidate: Any,
) -> Proposal:  # fmt: skip
    """Record one candidate as a proposal for ``program_year`` (entered one by one)."""
    ensure_year_open(program_year)
    proposal = Proposal(
        program_year=program_year,
        proposer=user,
        source_kind=source_kind,
        source_name=source_name,
        import_job=import_job,
        **candidate,
    )
    proposal.full_clean()
    proposal.save()
    return proposal


def _possible_duplicates(proposal: Proposal) -> list[str]:
    """Registered workers with another NIK who may be this candidate (dedup's rule)."""
    person = Person(
        nik=proposal.nik,
        full_name=proposal.full_name,
        birth_date=proposal.birth_date,
        kk_number=proposal.kk_number,
        phone=proposal.phone,
        kelurahan_id=proposal.kelurahan_id,
        address=proposal.address,
    )
    flags = check_rows([(0, person)]).get(0, [])
    return [f"{f.name} (NIK {f.nik}, {', '.join(f.reasons)})" for f in flags if f.worker_id]


def _registered_worker(proposal: Proposal, *, allow_similar: bool) -> Worker | None:
    """The registered worker with the candidate's NIK (None: a new person), after the
    identity and duplicate checks."""
    worker = Worker.objects.select_related("kelurahan", "segment").filter(nik=proposal.nik).first()
    if worker is not None:
        if not same_name(worker.full_name, proposal.full_name) and (
            worker.birth_date != proposal.birth_date
        ):
            raise ValidationError(
                _(
                    "NIK %(nik)s is registered to %(name)s (born %(born)s), not this candidate: "
                    "most likely a mistyped NIK. Return the proposal to be checked."
                ),
                code="identity_conflict",
                params={
                    "nik": proposal.nik,
                    "name": worker.full_name,
                    "born": worker.birth_date.strftime("%d-%m-%Y"),
                },
            )
        return worker
    if not allow_similar:
        similar = _possible_duplicates(proposal)
        if similar:
            raise ValidationError(
                _(
                    "Possibly already registered under another NIK: %(who)s. Check the "
                    "documents; if it is another person, accept with “not the same person”."
                ),
                code="possible_duplicate",
                params={"who": "; ".join(similar)},
            )
    return None


def _check_room(room: YearRoom, worker: Worker) -> int:
    """The candidate's cost to the year, or the refusal when the quota or budget is used up
    (counting what is committed and already proposed, like renewal and the priority list)."""
    if room.ended:
        raise ValidationError(
            _("Coverage in %(year)s has ended: a proposal made now cannot start in it."),
            code="coverage_over",
            params={"year": room.program_year.year},
        )
    candidate = room.candidate(worker)
    cost = room.cost(candidate)
    refusal = room.quota_refusal(worker) or room.budget_refusal(cost)
    if refusal:
        raise ValidationError(refusal, code="no_room")
    return cost


def _accept_one(
    proposal: Proposal, *, user: AbstractBaseUser, room: YearRoom, allow_similar: bool
) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _check_open(proposal)
    worker = _registered_worker(proposal, allow_similar=allow_similar)
    created = worker is None
    candidate = worker or proposal.as_worker()
    if created:
        candidate.full_clean()  # the registry's rules, before the room is counted
    cost = _check_room(room, candidate)
    note = gettext("Proposal from %(source)s") % {"source": proposal.source_name}
    if created:
        worker = worker_create(user=user, **{f: getattr(proposal, f) for f in CANDIDATE_FIELDS})
        if proposal.heir_name:
            heir_create(
                worker=worker,
                name=proposal.heir_name,
                relationship=proposal.heir_relationship,
                birth_date=proposal.heir_birth_date,
                nik=proposal.heir_nik,
            )
    enrollment = enrollment_propose(
        worker=worker, program_year=proposal.program_year, user=user, reason=note
    )
    room.take(worker, cost)
    proposal.status = S.ACCEPTED
    proposal.worker = worker
    proposal.enrollment = enrollment
    proposal.reviewed_by = user
    proposal.reviewed_at = timezone.now()
    proposal.reason = ""
    proposal.save()
    return proposal


@dataclass
class Review:
    done: list[Proposal] = field(default_factory=list)
    refused: list[tuple[Proposal, ValidationError]] = field(default_factory=list)


@transaction.atomic
def proposals_accept(
    *, proposals: list[Proposal], user: AbstractBaseUser, allow_similar: bool = False
) -> Review:
    """Accept each proposal that passes every check; refuse the others with the reason.

    Per program year the year's row is locked first (``select_for_update``), so the quota
    and budget room seen here includes every verification and acceptance before it; each
    proposal is then written in its own savepoint, in id order. ``allow_similar`` accepts
    candidates that look like a registered worker with another NIK (staff checked them).
    """
    review = Review()
    by_year: dict[int, list[Proposal]] = {}
    for proposal in proposals:
        by_year.setdefault(proposal.program_year_id, []).append(proposal)
    for year_id in sorted(by_year):
        program_year = ProgramYear.objects.select_for_update().get(pk=year_id)
        try:
            ensure_year_open(program_year)
        except ValidationError as exc:
            review.refused.extend((p, exc) for p in by_year[year_id])
            continue
        room = YearRoom(program_year)
        for proposal in sorted(by_year[year_id], key=lambda p: p.pk):
            try:
                with transaction.atomic():
                    review.done.append(
                        _accept_one(proposal, user=user, room=room, allow_similar=allow_similar)
                    )
            except ValidationError as exc:
                review.refused.append((proposal, exc))
    return review


def proposal_accept(
    *, proposal: Proposal, user: AbstractBaseUser, allow_similar: bool = False
) -> Proposal:
    """Accept one proposal; raises the refusal as a ``ValidationError``."""
    review = proposals_accept(proposals=[proposal], user=user, allow_similar=allow_similar)
    if review.refused:
        raise review.refused[0][1]
    proposal.refresh_from_db()
    return proposal


@transaction.atomic
def proposal_return(*, proposal: Proposal, user: AbstractBaseUser, reason: str) -> Proposal:
    """Send a proposal back to its proposer with the reason (required; they see it)."""
    reason = reason.strip()
    if not reason:
        raise ValidationError(
            _("Give the reason for returning the proposal."), code="reason_missing"
        )
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _check_open(proposal)
    proposal.status = S.RETURNED
    proposal.reason = reason
    proposal.reviewed_by = user
    proposal.reviewed_at = timezone.now()
    proposal.save()
    return proposal


# --- the yearly update ---------------------------------------------------------------------


def update_round_for(*, program_year: ProgramYear, kelurahan: Any) -> UpdateRound:
    round_, _created = UpdateRound.objects.get_or_create(
        program_year=program_year, kelurahan=kelurahan
    )
    return round_


@transaction.atomic
def update_form_downloaded(
    *, program_year: ProgramYear, kelurahan: Any, user: AbstractBaseUser
) -> UpdateRound:
    """Record that a kelurahan's form was handed out (the update has begun)."""
    round_ = update_round_for(program_year=program_year, kelurahan=kelurahan)
    round_.form_downloaded_at = timezone.now()
    round_.form_downloaded_by = user
    round_.save(update_fields=["form_downloaded_at", "form_downloaded_by"])
    return round_


def update_answer_apply(
    *,
    round_: UpdateRound,
    worker: Worker,
    answer: str,
    user: AbstractBaseUser | None,
    death_date: datetime.date | None = None,
    corrections: dict[str, Any] | None = None,
    heir: dict[str, Any] | None = None,
) -> list[str]:
    """Apply one row of a returned form through the registry's services; return what
    changed (labels). A death is written as the worker's death date, which ends their cover
    by the rules (``participants.services.workers_departed``); corrections go through
    ``worker_update`` (audited); a new heir through ``heir_create``. Caller holds the
    transaction."""
    reason = gettext("Yearly update %(year)s") % {"year": round_.program_year.year}
    data = dict(corrections or {})
    if answer == Answer.DIED:
        data["death_date"] = death_date
    # The audit trail names who and why also outside a request (the background worker).
    worker._history_user = user if getattr(user, "is_authenticated", False) else None
    worker._change_reason = reason[:100]
    changed = worker_update(worker=worker, user=user, data=data, reason=reason) if data else []
    if heir:
        heir_create(worker=worker, **heir)
        changed.append("heir")
    UpdateAnswer.objects.update_or_create(
        round=round_,
        worker=worker,
        defaults={
            "answer": answer,
            "death_date": death_date if answer == Answer.DIED else None,
            "answered_at": timezone.now(),
            "answered_by": user if getattr(user, "is_authenticated", False) else None,
        },
    )
    return changed


def update_round_complete(
    *, round_: UpdateRound, user: AbstractBaseUser | None, report: dict[str, Any]
) -> UpdateRound:
    """Mark the kelurahan's update done for the year, keeping the upload's report."""
    round_.completed_at = timezone.now()
    round_.completed_by = user if getattr(user, "is_authenticated", False) else None
    round_.report = report
    round_.save(update_fields=["completed_at", "completed_by", "report"])
    return round_
