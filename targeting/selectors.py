"""Reads of the targeting workflow: the priority ranking, the heirs worklist and the figures
officials ask for (DTKS coverage, school-age heirs) per year and area (computed by the
dashboard, see ``targeting_figures``).

The ranking is computed in SQL (one query, ordered and paginated by the database); each row
carries the counts behind its score so ``explain`` can show the parts, which add up to it.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.expressions import Func
from django.db.models.functions import Coalesce, Concat, Least
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboard.selectors import TargetingFigures, targeting_breakdown
from enrollment.eligibility import requirement_filter
from enrollment.models import Enrollment, ProgramYear
from enrollment.premiums import default_coverage_start
from enrollment.renewal import RENEWAL_SOURCE_STATUSES
from participants import regions
from participants.models import (
    DtksStatus,
    Heir,
    Kelurahan,
    Relationship,
    Worker,
    WorkerType,
    shift_years,
)
from participants.regions import normalize_code

from .models import TargetingRule, tie_break_salt

# The JKM scholarship pays for at most two children (PP 82/2019 art. 25), so more school-age
# children do not raise the priority further.
MAX_SCHOLARSHIP_CHILDREN = 2
WAITING_PERIOD_DAYS = 30


def rule_for(program_year: ProgramYear) -> TargetingRule:
    """The year's rule; an unsaved rule with the documented defaults when none is set yet."""
    try:
        return program_year.targeting_rule
    except TargetingRule.DoesNotExist:
        return TargetingRule(program_year=program_year)


# --- candidates and ranking --------------------------------------------------------------------


def _city_kelurahan_prefix() -> str:
    """Village codes of the region (SIAGA_REGION ``35.77``) start with ``35.77.``."""
    return normalize_code(settings.SIAGA_REGION) + "."


def _city_kelurahan_ids() -> list[int]:
    return list(
        Kelurahan.objects.filter(code__startswith=_city_kelurahan_prefix())
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def eligible_candidates(
    program_year: ProgramYear,
    *,
    worker_type: str | None = None,
    on: datetime.date | None = None,
) -> QuerySet[Worker]:
    """Active workers not yet in ``program_year`` who pass its eligibility rule.

    The SQL mirror of ``enrollment.eligibility.enrollment_eligibility``'s refusals (death, age
    on the coverage start, resident kelurahan, already enrolled, BPU covered by an employer,
    the year's ``EligibilityRequirement`` per worker type through ``requirement_filter``), so
    the list can be ranked and paginated by the database. Proposing still runs the real rule.
    """
    # Age on the day a proposal made ``on`` would start (the first of next month mid-year).
    start = default_coverage_start(program_year=program_year, today=on or timezone.localdate())
    youngest = shift_years(start, -program_year.min_age)
    oldest = shift_years(start, -(program_year.max_age + 1))
    qs = (
        Worker.objects.filter(
            is_active=True,
            death_date__isnull=True,
            birth_date__lte=youngest,
            birth_date__gt=oldest,
            # The city's 27 kelurahan as ids, not a join on a code prefix: PostgreSQL
            # misjudges the prefix join as one row and rescans the workers per kelurahan.
            kelurahan_id__in=_city_kelurahan_ids(),
        )
        .filter(requirement_filter(program_year))
        .exclude(worker_type=WorkerType.BPU, employer_covered=True)
        .exclude(
            Exists(Enrollment.objects.filter(worker=OuterRef("pk"), program_year=program_year))
        )
    )
    if worker_type:
        qs = qs.filter(worker_type=worker_type)
    return qs


@dataclass(frozen=True)
class AwaitingRenewal:
    """Last year's participants the priority list leaves out until renewal into the year runs."""

    previous_year: ProgramYear
    count: int


def _awaiting_renewal(
    program_year: ProgramYear,
) -> tuple[ProgramYear, QuerySet[Enrollment]] | None:
    """(previous year, its enrollments that renewal would propose for ``program_year``) while
    renewal into it has not run yet (no enrollment of the year is renewed from that year).

    They would head a next year's list (they were last year's best-ranked) and belong to
    renewal, not to new places; once renewal has run, those it could not renew (quota, budget,
    eligibility) compete like anyone else.
    """
    previous = ProgramYear.objects.filter(year=program_year.year - 1).first()
    if previous is None:
        return None
    renewed = Enrollment.objects.filter(
        program_year=program_year, renewed_from__program_year=previous
    )
    if renewed.exists():
        return None
    return previous, Enrollment.objects.filter(
        program_year=previous, status__in=RENEWAL_SOURCE_STATUSES
    )


def awaiting_renewal(
    program_year: ProgramYear, *, worker_type: str | None = None
) -> AwaitingRenewal | None:
    """How many eligible workers the list leaves out as last year's participants."""
    pending = _awaiting_renewal(program_year)
    if pending is None:
        return None
    previous, enrollments = pending
    count = (
        eligible_candidates(program_year, worker_type=worker_type)
        .filter(Exists(enrollments.filter(worker=OuterRef("pk"))))
        .count()
    )
    return AwaitingRenewal(previous_year=previous, count=count) if count else None


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _waiting_periods(on: datetime.date, cap: int) -> Case | Value:
    """Full 30-day periods from the registration day to ``on``, at most ``cap``, in SQL."""
    if cap <= 0:
        return Value(0, output_field=IntegerField())
    tz = timezone.get_current_timezone()
    whens = []
    for periods in range(cap, 0, -1):
        # Registered on day D waits (on - D).days; that is >= 30·p when D <= on - 30·p, i.e.
        # when created_at is before the start of the following day.
        day_after = on - datetime.timedelta(days=WAITING_PERIOD_DAYS * periods - 1)
        whens.append(
            When(
                created_at__lt=datetime.datetime.combine(day_after, datetime.time.min, tz),
                then=Value(periods),
            )
        )
    return Case(*whens, default=Value(0), output_field=IntegerField())


# --- ties ----------------------------------------------------------------------------------------


def tie_break_key(program_year: ProgramYear, nik: str) -> str:
    """The tie-break key of one worker, as the ranking query computes it: the hex SHA-256 of
    "<year>:<NIK>". Sorting by it is sorting by the query's ``TieKey``."""
    return hashlib.sha256(f"{tie_break_salt(program_year)}:{nik}".encode()).hexdigest()


class TieKey(Func):
    """SHA-256 of "<salt>:<NIK>" in SQL, for ordering tied candidates.

    Workers imported from one file share ``created_at``, and NIK digits encode kecamatan,
    birth date and sex (women add 40 to the day), so ordering ties by either favours one
    kecamatan and one sex at a cut-off (issue 11). A hash of the NIK is unrelated to them,
    and salting it with the year keeps one group from always losing.

    SQLite: Django registers ``SHA256`` (hex text) on every connection. PostgreSQL: the
    built-in ``sha256(bytea)`` (no pgcrypto needed); bytes sort in the same order as their
    hex text, so the order is the same on both databases and equals ``tie_break_key``'s.
    """

    output_field = CharField()

    def __init__(self, salt: str, nik: str = "nik") -> None:
        super().__init__(Concat(Value(f"{salt}:"), F(nik), output_field=CharField()))

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(compiler, connection, function="SHA256", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="sha256(convert_to(%(expressions)s, 'UTF8'))",
            **extra_context,
        )


def ranked_candidates(
    *,
    program_year: ProgramYear,
    rule: TargetingRule,
    worker_type: str | None = None,
    on: datetime.date | None = None,
) -> QuerySet[Worker]:
    """Eligible candidates, best first, with their score and its counts as annotations.

    Last year's participants are left out until renewal into the year has run
    (``awaiting_renewal``): they are renewals, not candidates for new places.

    Ties go by ``TieKey`` (the SHA-256 of "<year>:<NIK>"), then the NIK: neutral towards
    kecamatan, sex and import batch, the same on every run and database.
    """
    on = on or timezone.localdate()
    registered = Q(dtks_status=DtksStatus.REGISTERED)
    qs = eligible_candidates(program_year, worker_type=worker_type, on=on)
    pending = _awaiting_renewal(program_year)
    if pending is not None:
        qs = qs.exclude(Exists(pending[1].filter(worker=OuterRef("pk"))))
    qs = qs.annotate(
        n_dtks=_flag(registered),
        n_desil=Case(
            When(registered & Q(dtks_desil__isnull=False), then=11 - F("dtks_desil")),
            default=Value(0),
            output_field=IntegerField(),
        ),
        n_school_age=Least(
            _count_of(Heir.objects.school_age_on(on)), Value(MAX_SCHOLARSHIP_CHILDREN)
        ),
        n_bpu=_flag(Q(worker_type=WorkerType.BPU)),
        n_disability=_flag(Q(has_disability=True)),
        n_waiting=_waiting_periods(on, rule.waiting_max_periods),
    )
    qs = qs.annotate(
        score=F("n_dtks") * rule.dtks_registered_points
        + F("n_desil") * rule.desil_points
        + F("n_school_age") * rule.school_age_heir_points
        + F("n_bpu") * rule.bpu_points
        + F("n_disability") * rule.disability_points
        + F("n_waiting") * rule.waiting_points
    )
    return qs.select_related("kelurahan", "segment").order_by(
        "-score", TieKey(tie_break_salt(program_year)).asc(), "nik"
    )


SHORT_LABELS = {"dtks": "DTKS", "bpu": "BPU", "disability": gettext_lazy("Disability")}


def score_summary(parts: list[ScorePart]) -> str:
    """The parts that earned points in one line: "DTKS +20 · Desil 2 +45 · 2 children +30"."""
    return " · ".join(f"{part.short} +{part.points}" for part in parts if part.points)


@dataclass(frozen=True)
class ScorePart:
    code: str
    label: str
    count: int
    weight: int

    @property
    def points(self) -> int:
        return self.count * self.weight

    @property
    def short(self) -> str:
        """A word or two for the one-line summary of a row, e.g. "Desil 2" or "2 children"."""
        match self.code:
            case "desil":
                return _("Desil %(desil)d") % {"desil": 11 - self.count}
            case "school_age_heirs":
                return _("%(count)d children") % {"count": self.count}
            case "waiting":
                return _("%(count)d×30 days waited") % {"count": self.count}
        return str(SHORT_LABELS.get(self.code, self.label))

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "label": self.label,
            "count": self.count,
            "weight": self.weight,
            "points": self.points,
        }


def explain(worker: Worker, rule: TargetingRule) -> list[ScorePart]:
    """The parts of a ranked worker's score (from ``ranked_candidates``); they sum to it."""
    desil = worker.dtks_desil if worker.n_desil else None
    return [
        ScorePart("dtks", _("In DTKS/DTSEN"), worker.n_dtks, rule.dtks_registered_points),
        ScorePart(
            "desil",
            _("Desil %(desil)s (11 - desil)") % {"desil": desil} if desil else _("Desil unknown"),
            worker.n_desil,
            rule.desil_points,
        ),
        ScorePart(
            "school_age_heirs",
            _("School-age children (at most %(max)d)") % {"max": MAX_SCHOLARSHIP_CHILDREN},
            worker.n_school_age,
            rule.school_age_heir_points,
        ),
        ScorePart("bpu", _("Non-wage worker (BPU)"), worker.n_bpu, rule.bpu_points),
        ScorePart("disability", _("Disability"), worker.n_disability, rule.disability_points),
        ScorePart(
            "waiting",
            _("30-day periods since registration (at most %(max)d)")
            % {"max": rule.waiting_max_periods},
            worker.n_waiting,
            rule.waiting_points,
        ),
    ]


# --- heirs follow-up ---------------------------------------------------------------------------


def heirs_missing_data() -> QuerySet[Heir]:
    """Heirs without a birth date, and children without a school level."""
    return Heir.objects.filter(
        Q(birth_date__isnull=True) | Q(relationship=Relationship.CHILD, school_level="")
    )


def heirs_followup_workers() -> QuerySet[Worker]:
    """Active, living workers with no heir, or with an heir missing a birth date or (for a
    child) a school level; each annotated with ``heir_count`` and ``incomplete_heirs``."""
    # Correlated counts rather than a JOIN + GROUP BY over every worker column.
    return (
        Worker.objects.filter(is_active=True, death_date__isnull=True)
        .annotate(
            heir_count=_count_of(Heir.objects.all()),
            incomplete_heirs=_count_of(heirs_missing_data()),
        )
        .filter(Q(heir_count=0) | Q(incomplete_heirs__gt=0))
    )


def _count_of(heirs: QuerySet[Heir]) -> Coalesce:
    """How many of ``heirs`` belong to the outer worker, as a correlated subquery."""
    counted = (
        heirs.filter(worker=OuterRef("pk"))
        .order_by()
        .values("worker")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


@dataclass(frozen=True)
class FollowUpCount:
    kelurahan: str
    kecamatan: str
    without_heirs: int
    heirs_without_birth_date: int
    children_without_school_level: int


def heirs_followup_by_kelurahan() -> list[FollowUpCount]:
    """The worklist's size per kelurahan (every kelurahan listed, zeros included)."""
    no_heirs = ~Exists(Heir.objects.filter(worker=OuterRef("pk")))
    workers = dict(
        Worker.objects.filter(is_active=True, death_date__isnull=True)
        .filter(no_heirs)
        .values_list("kelurahan")
        .annotate(n=Count("pk"))
        .values_list("kelurahan", "n")
    )
    heirs = {
        row["worker__kelurahan"]: row
        for row in Heir.objects.filter(worker__is_active=True, worker__death_date__isnull=True)
        .values("worker__kelurahan")
        .annotate(
            no_birth=Count("pk", filter=Q(birth_date__isnull=True)),
            no_level=Count("pk", filter=Q(relationship=Relationship.CHILD, school_level="")),
        )
    }
    rows = []
    for kelurahan in Kelurahan.objects.select_related("kecamatan").order_by("code"):
        counts = heirs.get(kelurahan.pk, {})
        rows.append(
            FollowUpCount(
                kelurahan=kelurahan.name,
                kecamatan=kelurahan.kecamatan.name,
                without_heirs=workers.get(kelurahan.pk, 0),
                heirs_without_birth_date=counts.get("no_birth", 0),
                children_without_school_level=counts.get("no_level", 0),
            )
        )
    return rows


# --- figures for officials ---------------------------------------------------------------------

AREAS = ("city", "kecamatan", "kelurahan")


def targeting_figures(*, program_year: ProgramYear, by: str = "city") -> list[TargetingFigures]:
    """Share checked against DTKS (by result and desil) and share with school-age children,
    of ``program_year``'s participants, per ``by`` = "city", "kecamatan" or "kelurahan".

    The figures are the dashboard's (``dashboard.selectors.targeting_breakdown``, read from
    the summary cube): participants are enrollments holding a quota place, school age is
    taken on 1 July of the year. Areas without participants are left out.
    """
    if by not in AREAS:
        raise ValueError(f"Unknown area {by!r}")
    figures = targeting_breakdown(program_year)
    if by == "city":
        return [dataclasses.replace(figures.total, key="city", area=regions.current().name)]
    rows = figures.kecamatan if by == "kecamatan" else figures.kelurahan
    return [row for row in rows if row.participants]
