"""Writes of the targeting workflow: proposing the top of the priority list.

Proposals go through ``enrollment.services.enrollment_propose`` (the eligibility rule) under
the same row lock on the program year that verification and renewal take, and stop at the
year's quotas and budget through ``enrollment.limits.YearRoom``, the same count of what is
already committed or proposed that renewal uses, priced from the real coverage start.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from enrollment.limits import YearRoom
from enrollment.models import Enrollment, ProgramYear
from enrollment.services import enrollment_propose, ensure_year_open
from participants.models import Worker

from .models import ProposalBatch, ProposalItem, ProposalSkip, TargetingRule
from .selectors import explain, ranked_candidates, rule_for


@dataclass
class ProposalOutcome:
    batch: ProposalBatch
    proposed: list[Enrollment] = field(default_factory=list)
    skipped: list[tuple[Worker, str]] = field(default_factory=list)


# Refusals that hold for every candidate of the year: the run stops instead of skipping all.
YEAR_WIDE_REFUSALS = {"umk_missing", "year_closed", "coverage_over"}


@transaction.atomic
def proposals_from_priority(
    *,
    program_year: ProgramYear,
    worker_type: str,
    count: int,
    user: AbstractBaseUser | None,
    on: datetime.date | None = None,
) -> ProposalOutcome:
    """Propose the ``count`` best-ranked candidates of ``worker_type`` who still fit.

    Each proposal starts when a proposal made ``on`` starts (the year's start while ahead,
    else the first of next month: ``enrollment.premiums.default_coverage_start``), is priced
    for the months from there at the year's rate and wage base, and a PU candidate gets their
    segment's default risk class (changeable on the enrollment until verification).
    Candidates are taken in rank order; one who cannot be proposed (a full segment or
    kecamatan quota, no declared wage where the year prices declared wages, no rate for
    their risk class, refused by the eligibility rule) is skipped, the reason recorded in the
    batch (``ProposalSkip``), and the run goes on. It stops when ``count`` are proposed, the
    type's overall quota is full, the next candidate would overrun the budget (a cheaper one
    further down does not jump the queue), a refusal holds for the whole year (no UMK), or
    the list ends. The rule's weights are recorded on the batch; each proposal keeps its
    rank, score and explanation.
    """
    if count < 1:
        raise ValidationError(_("Propose at least one candidate."), code="count_invalid")
    # The lock every verification and renewal of the year queues on.
    program_year = ProgramYear.objects.select_for_update().get(pk=program_year.pk)
    ensure_year_open(program_year)
    on = on or timezone.localdate()
    room = YearRoom(program_year, today=on)
    if room.ended:
        raise ValidationError(
            _("Coverage in %(year)s ends on %(date)s: a proposal made now cannot start in it."),
            code="coverage_over",
            params={
                "year": program_year.year,
                "date": program_year.coverage_end.strftime("%d-%m-%Y"),
            },
        )
    rule = rule_for(program_year)
    batch = ProposalBatch.objects.create(
        program_year=program_year,
        worker_type=worker_type,
        requested=count,
        rule_snapshot=rule.snapshot(),
        ranked_on=on,
        created_by=user if user is not None and user.is_authenticated else None,
    )
    outcome = ProposalOutcome(batch=batch)
    candidates = ranked_candidates(
        program_year=program_year, rule=rule, worker_type=worker_type, on=on
    )
    skips: list[ProposalSkip] = []

    def skip(rank: int, worker: Worker, reason: str) -> None:
        outcome.skipped.append((worker, reason))
        skips.append(ProposalSkip(batch=batch, worker=worker, rank=rank, reason=reason))

    stopped = ""
    for rank, worker in _in_rank_order(candidates, outcome):
        if len(outcome.proposed) >= count:
            break
        full = room.type_full(worker_type)
        if full is not None:
            stopped = gettext("The quota %(quota)s is full.") % {"quota": full}
            break
        probe = room.candidate(worker)
        try:
            cost = room.cost(probe)
        except ValidationError as exc:
            if exc.code in YEAR_WIDE_REFUSALS:
                stopped = "; ".join(exc.messages)
                break
            skip(rank, worker, "; ".join(exc.messages))
            continue
        reason = room.quota_refusal(worker)
        if reason:
            skip(rank, worker, reason)
            continue
        stopped = room.budget_refusal(cost)
        if stopped:
            # Rank order holds: a cheaper candidate further down does not jump the queue.
            break
        try:
            with transaction.atomic():  # a refused proposal leaves nothing behind
                enrollment = enrollment_propose(
                    worker=worker,
                    program_year=program_year,
                    user=user,
                    risk_class=probe.risk_class,
                    coverage_start=probe.coverage_start,
                    reason=gettext("Priority list, rank %(rank)d, score %(score)d")
                    % {"rank": rank, "score": worker.score},
                )
        except ValidationError as exc:
            skip(rank, worker, "; ".join(exc.messages))
            continue
        room.take(worker, cost)
        ProposalItem.objects.create(
            batch=batch,
            enrollment=enrollment,
            rank=rank,
            score=worker.score,
            explanation=[part.as_dict() for part in explain(worker, rule)],
        )
        outcome.proposed.append(enrollment)
    else:
        if len(outcome.proposed) < count:
            stopped = gettext("The list of eligible candidates ended.")
    ProposalSkip.objects.bulk_create(skips)
    batch.stopped_because = stopped[:255]
    batch.save(update_fields=["stopped_because"])
    return outcome


def _in_rank_order(candidates, outcome: ProposalOutcome, page_size: int = 500):
    """Yield (rank, worker) page by page. A proposed worker leaves the candidate query (it is
    enrolled now), so the next page starts that many rows earlier."""
    considered = 0
    while True:
        offset = considered - len(outcome.proposed)
        page = list(candidates[offset : offset + page_size])
        if not page:
            return
        for worker in page:
            considered += 1
            yield considered, worker


def targeting_rule_save(*, rule: TargetingRule, user: AbstractBaseUser | None) -> TargetingRule:
    rule.updated_by = user if user is not None and user.is_authenticated else None
    rule.full_clean()
    rule.save()
    return rule
