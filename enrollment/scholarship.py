"""The JKM scholarship follow-up: which children of deceased participants receive it, who
will once they start school, and why the others do not.

PP 82/2019 art. 25 (JKM and JKK benefits): a scholarship for at most two children of a
participant who dies, once the participant has paid contributions for at least 3 years for a
death other than a work accident (a work-accident, JKK, death qualifies at once); per child
and year an amount by school level, from kindergarten to higher education, ending at age 23.
A child not yet in school keeps the right and is paid from the start of school. Amounts, the
number of children and the months needed are settings (``SIAGA_JKM_SCHOLARSHIP*``), since the
regulation changes them.

What Siaga knows is its own cover: the death must fall within the coverage of an enrollment
that became active (a KPJ number), and the contribution months are the calendar months
covered by Siaga's active enrollments up to the death (each month once, as BPJS bills a
month). Contributions paid elsewhere are not known here; the page says what was counted.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Exists, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from participants.models import Heir, Relationship, SchoolLevel, Worker
from siaga.formatting import rupiah

from .models import Claim, ClaimType, Enrollment, EnrollmentStatus

# Enrollments that covered the worker (BPJS registered them: they have a KPJ number).
COVERED_STATUSES = (EnrollmentStatus.ACTIVE, EnrollmentStatus.ENDED, EnrollmentStatus.TERMINATED)

RECIPIENT = "recipient"
FUTURE = "future"
EXCLUDED = "excluded"
STATUS_LABELS = {
    RECIPIENT: _("Receives the scholarship"),
    FUTURE: _("Future recipient (not yet in school)"),
    EXCLUDED: _("Not entitled"),
}


@dataclass(frozen=True)
class LevelAmount:
    level: str
    label: str
    per_year: int
    years: int

    @property
    def total(self) -> int:
        return self.per_year * self.years

    @property
    def per_year_shown(self) -> str:
        return rupiah(self.per_year)

    @property
    def total_shown(self) -> str:
        return rupiah(self.total)


def level_amounts() -> list[LevelAmount]:
    """The scholarship per school level, in school order (from ``SIAGA_JKM_SCHOLARSHIP``)."""
    return [
        LevelAmount(level, str(SchoolLevel(level).label), per_year, years)
        for level, (per_year, years) in settings.SIAGA_JKM_SCHOLARSHIP.items()
    ]


@dataclass
class ChildOutcome:
    heir: Heir
    status: str
    reason: str = ""
    age: int | None = None
    per_year: int | None = None
    code: str = ""  # why excluded: over_age, not_in_school, incomplete, beyond_max_children,
    # or the worker's failure (outside_cover, contributions_short)

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS[self.status])

    @property
    def per_year_shown(self) -> str:
        return rupiah(self.per_year)


@dataclass
class DeceasedCase:
    worker: Worker
    death_type: str  # ClaimType: jkk for a work-accident death, else jkm
    covering: Enrollment | None
    months: int
    failure: str = ""  # why no child of this worker is entitled
    failure_code: str = ""  # outside_cover or contributions_short
    children: list[ChildOutcome] = field(default_factory=list)
    other_heirs: list[Heir] = field(default_factory=list)

    @property
    def death_type_label(self) -> str:
        return str(ClaimType(self.death_type).label)

    @property
    def entitled(self) -> bool:
        return not self.failure


def covered_months(enrollments: list[Enrollment], until: datetime.date) -> int:
    """Calendar months covered by ``enrollments`` up to ``until``, each month counted once."""
    months: set[tuple[int, int]] = set()
    for enrollment in enrollments:
        end = min(enrollment.coverage_end, until)
        year, month = enrollment.coverage_start.year, enrollment.coverage_start.month
        while (year, month) <= (end.year, end.month):
            months.add((year, month))
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return len(months)


def _child_order(heir: Heir) -> tuple:
    # Oldest first; children known only by their school level after those with a birth date.
    return (heir.birth_date is None, heir.birth_date or datetime.date.max, heir.pk)


def _judge_child(heir: Heir, on: datetime.date) -> ChildOutcome:
    """A child's own conditions on ``on``: of school age, not yet, or not entitled and why."""
    amounts = settings.SIAGA_JKM_SCHOLARSHIP
    age = heir.age_on(on)
    per_year = amounts.get(heir.school_level, (None,))[0]
    if age is not None and age >= settings.SIAGA_SCHOOL_AGE_MAX:
        reason = gettext("Aged %(age)d: the scholarship ends at %(max)d.") % {
            "age": age,
            "max": settings.SIAGA_SCHOOL_AGE_MAX,
        }
        return ChildOutcome(heir, EXCLUDED, reason, age=age, code="over_age")
    if heir.school_level == SchoolLevel.NONE:
        reason = gettext("Not in school: the scholarship is paid for a child in school.")
        return ChildOutcome(heir, EXCLUDED, reason, age=age, code="not_in_school")
    not_yet = heir.school_level == SchoolLevel.NOT_YET or (
        age is not None and age < settings.SIAGA_SCHOOL_AGE_MIN and heir.school_level not in amounts
    )
    if not_yet:
        first = next(iter(amounts.values()), (None,))[0]
        return ChildOutcome(heir, FUTURE, age=age, per_year=first)
    if age is None and heir.school_level not in amounts:
        reason = gettext(
            "Neither the date of birth nor the school level is recorded: complete the heir."
        )
        return ChildOutcome(heir, EXCLUDED, reason, code="incomplete")
    return ChildOutcome(heir, RECIPIENT, age=age, per_year=per_year)


def _case(worker: Worker, on: datetime.date) -> DeceasedCase:
    death = worker.death_date
    covered = [e for e in worker.covered_enrollments if e.coverage_start <= death]
    covering = next((e for e in covered if e.coverage_end >= death), None)
    death_type = ClaimType.JKK if worker.work_accident_death else ClaimType.JKM
    months = covered_months(covered, death)
    case = DeceasedCase(worker=worker, death_type=death_type, covering=covering, months=months)
    if covering is None:
        case.failure_code = "outside_cover"
        case.failure = gettext(
            "The death on %(date)s fell outside the participant's cover: no JKM benefit."
        ) % {"date": death.strftime("%d-%m-%Y")}
    elif death_type == ClaimType.JKM and months < settings.SIAGA_JKM_SCHOLARSHIP_MIN_MONTHS:
        case.failure_code = "contributions_short"
        case.failure = gettext(
            "A death other than a work accident needs %(needed)d months of contributions; "
            "Siaga covered %(months)d."
        ) % {"needed": settings.SIAGA_JKM_SCHOLARSHIP_MIN_MONTHS, "months": months}
    children = sorted(
        (h for h in worker.all_heirs if h.relationship == Relationship.CHILD), key=_child_order
    )
    case.other_heirs = [h for h in worker.all_heirs if h.relationship != Relationship.CHILD]
    chosen = 0
    for heir in children:
        outcome = _judge_child(heir, on)
        if case.failure:
            outcome = ChildOutcome(
                heir, EXCLUDED, case.failure, age=outcome.age, code=case.failure_code
            )
        elif outcome.status != EXCLUDED:
            if chosen >= settings.SIAGA_JKM_SCHOLARSHIP_MAX_CHILDREN:
                outcome = ChildOutcome(
                    heir,
                    EXCLUDED,
                    gettext("The scholarship is paid for %(max)d children at most (the eldest).")
                    % {"max": settings.SIAGA_JKM_SCHOLARSHIP_MAX_CHILDREN},
                    age=outcome.age,
                    code="beyond_max_children",
                )
            else:
                chosen += 1
        case.children.append(outcome)
    return case


def deceased_participants() -> QuerySet[Worker]:
    """Deceased workers who were covered (an enrollment with a KPJ number), newest death
    first, with what ``scholarship_cases`` reads prefetched."""
    covered = Enrollment.objects.filter(status__in=COVERED_STATUSES).exclude(kpj_number="")
    work_accident = Claim.objects.filter(
        enrollment__worker=OuterRef("pk"), claim_type=ClaimType.JKK, fatal=True
    )
    return (
        Worker.objects.filter(death_date__isnull=False)
        .filter(Exists(covered.filter(worker=OuterRef("pk"))))
        .annotate(work_accident_death=Exists(work_accident))
        .select_related("kelurahan")
        .prefetch_related(
            Prefetch(
                "enrollments",
                queryset=covered.order_by("coverage_start"),
                to_attr="covered_enrollments",
            ),
            Prefetch("heirs", queryset=Heir.objects.order_by("id"), to_attr="all_heirs"),
        )
        .order_by("-death_date", "full_name")
    )


def scholarship_cases(
    on: datetime.date | None = None, *, limit: int | None = None, workers=None
) -> list[DeceasedCase]:
    """Each deceased participant with every child judged on ``on`` (default today);
    ``workers``: ``deceased_participants()`` narrowed (to a user's scope), default all."""
    on = on or timezone.localdate()
    workers = deceased_participants() if workers is None else workers
    if limit is not None:
        workers = workers[:limit]
    return [_case(worker, on) for worker in workers]
