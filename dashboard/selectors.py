"""The dashboard's figures for one program year, narrowed by filters.

Definition used everywhere (page, JSON, xlsx, report; see docs/dashboard.md):
a **participant** of a year is an enrollment of that year whose status holds one of the
year's quota places — ``enrollment.models.QUOTA_STATUSES`` (verified, submitted to BPJS,
active, ended) — the same rule the quota check in ``enrollment.limits.quota_used`` applies.
Proposed, rejected and terminated enrollments are not participants; they appear in the
pipeline only.

Every figure comes from aggregate queries over "cells" (``dashboard.facts``): on
PostgreSQL the trigger-maintained ``dashboard_cubecell`` table, elsewhere the same cells
computed live. Budget money reuses ``enrollment.selectors.year_figures`` semantics.

The targeting figures (``targeting_breakdown``: DTKS check result, desil, school-age heirs per
kecamatan and kelurahan) are the one implementation behind both this dashboard and
``targeting.selectors.targeting_figures``.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from enrollment.models import (
    QUOTA_STATUSES,
    EnrollmentStatus,
    PremiumInvoice,
    ProgramYear,
    QuotaTarget,
)
from enrollment.selectors import YearFigures, year_figures
from participants.models import DtksStatus, Kecamatan, Kelurahan, Segment, WorkerType
from siaga.db_routing import reporting_connection

from .facts import ACTIVE_GROUP, REFERENCE_MONTH_DAY, T_CUBE, cells_sql, fact_select_sql
from .summary import has_summary_tables, refresh_stale

PARTICIPANT_STATUSES = tuple(s.value for s in QUOTA_STATUSES)
TREND_DIMS = ("verified", "activated")
TARGETING_DIMS = ("dtks", "desil", "school_any")
DESILS = range(1, 11)


@dataclass(frozen=True)
class Filters:
    kecamatan: Kecamatan | None = None
    kelurahan: Kelurahan | None = None
    segment: Segment | None = None
    worker_type: str | None = None
    # The user's scope (accounts/scoping.py), never from the query string: an official limited
    # to an area or group sees figures computed over it only (None = no limit).
    scope_kelurahan_ids: frozenset[int] | None = None
    scope_segment_ids: frozenset[int] | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.kecamatan or self.kelurahan or self.segment or self.worker_type or self.scoped
        )

    @property
    def scoped(self) -> bool:
        return self.scope_kelurahan_ids is not None or self.scope_segment_ids is not None

    def within(self, scope) -> Filters:
        """These filters inside a user's scope (``accounts.scoping.Scope``, or None)."""
        if scope is None:
            return self
        return replace(
            self,
            scope_kelurahan_ids=scope.kelurahan_ids,
            scope_segment_ids=scope.segment_ids,
        )

    def as_query(self) -> dict[str, str]:
        query = {}
        if self.kecamatan:
            query["kecamatan"] = str(self.kecamatan.pk)
        if self.kelurahan:
            query["kelurahan"] = str(self.kelurahan.pk)
        if self.segment:
            query["segment"] = str(self.segment.pk)
        if self.worker_type:
            query["worker_type"] = self.worker_type
        return query


def use_summary_tables() -> bool:
    """PostgreSQL and SQLite keep the cube current with triggers (SQLite with a refresh of
    the stale workers before reading, ``dashboard.summary.refresh_stale``); other databases
    aggregate live."""
    return has_summary_tables()


@dataclass
class Row:
    """One line of a breakdown table."""

    key: str
    label: str
    participants: int = 0
    active: int = 0
    target: int | None = None
    share_of: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def suppressed(self) -> bool:
        """Whether the participants count is hidden as "<3" (``dashboard.privacy``)."""
        return _is_suppressed(self.participants)

    @property
    def progress(self) -> float | None:
        """Participants as a share of the target (may pass 100 after a quota override)."""
        if self.target and not self.suppressed:
            return 100 * self.participants / self.target
        return None

    @property
    def share(self) -> float | None:
        if self.suppressed:
            return None
        return 100 * self.participants / self.share_of if self.share_of else 0.0

    @property
    def bar(self) -> float:
        """Width of the row's bar in percent: progress to target, else share of the total."""
        value = self.progress if self.progress is not None else self.share
        return max(0.0, min(100.0, value or 0.0))


def _is_suppressed(value) -> bool:
    return hasattr(value, "threshold")  # dashboard.privacy.Small, without a circular import


def share(part: int, whole: int) -> Decimal | None:
    """``part`` of ``whole`` as a percentage with one decimal, rounded half up like
    ``dashboard.formatting`` (0 when there is no whole; None when either is suppressed)."""
    if _is_suppressed(part) or _is_suppressed(whole):
        return None
    if not whole:
        return Decimal("0.0")
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


@dataclass(frozen=True)
class TargetingFigures:
    """Targeting ("tepat sasaran") figures of one area's participants: the DTKS/DTSEN check
    result, the desil, and whether they have a school-age heir (see docs/targeting.md)."""

    key: str
    area: str
    participants: int
    registered: int
    not_registered: int
    unchecked: int
    by_desil: dict[int, int]
    with_school_age_heirs: int
    code: str = ""
    kecamatan: str = ""

    @property
    def checked(self) -> int:
        for part in (self.registered, self.not_registered):
            if _is_suppressed(part):
                return part  # an exact sum would reveal the suppressed count
        return self.registered + self.not_registered

    @property
    def checked_share(self) -> Decimal:
        return share(self.checked, self.participants)

    @property
    def registered_share(self) -> Decimal:
        return share(self.registered, self.participants)

    @property
    def not_registered_share(self) -> Decimal:
        return share(self.not_registered, self.participants)

    @property
    def unchecked_share(self) -> Decimal:
        return share(self.unchecked, self.participants)

    @property
    def school_age_heirs_share(self) -> Decimal:
        return share(self.with_school_age_heirs, self.participants)

    @property
    def desil_shares(self) -> dict[int, Decimal]:
        return {d: share(n, self.participants) for d, n in self.by_desil.items()}

    @property
    def desil_rows(self) -> list[tuple[int, int, Decimal]]:
        """(desil, participants, share of participants) for desil 1-10, for templates."""
        return [(d, n, share(n, self.participants)) for d, n in sorted(self.by_desil.items())]


@dataclass(frozen=True)
class Targeting:
    school_age_on: datetime.date
    total: TargetingFigures
    kecamatan: list[TargetingFigures]
    kelurahan: list[TargetingFigures]


@dataclass
class Dashboard:
    program_year: ProgramYear
    previous_year: ProgramYear | None
    filters: Filters
    participants: int
    active: int
    target: int | None
    by_worker_type: list[Row]
    budget: YearFigures
    committed_selection: int
    by_status: dict[str, int]
    renewals_due: int
    renewals_done: int
    segments: list[Row]
    kecamatan: list[Row]
    kelurahan: list[Row]
    dtks: list[Row]
    desil: list[Row]
    sex: list[Row]
    age: list[Row]
    heirs: list[Row]
    school_age_any: list[Row]
    school_levels: list[Row]
    trend: dict[str, dict[int, list[int]]]
    targeting: Targeting
    computed_at: datetime.datetime
    over_commitment: list[str] = field(default_factory=list)
    # Set by dashboard.privacy.suppress_small_cells: counts below it are shown as "<N".
    suppressed_below: int | None = None

    @property
    def trend_totals(self) -> dict[str, list[int]]:
        """Per trend series, [this year, previous year] over every month (before January and
        after December included); exact even when cells are suppressed."""
        return self._trend_totals or {
            dim: [sum(c[slot] for c in months.values()) for slot in (0, 1)]
            for dim, months in self.trend.items()
        }

    _trend_totals: dict[str, list[int]] | None = None

    @property
    def progress(self) -> float | None:
        if _is_suppressed(self.participants):
            return None
        return 100 * self.participants / self.target if self.target else None


def _where(filters: Filters, kelurahan_ids: list[int] | None) -> tuple[str, list]:
    conditions, params = [], []
    if filters.worker_type:
        conditions.append("worker_type = %s")
        params.append(filters.worker_type)
    if filters.segment:
        conditions.append("segment_id = %s")
        params.append(filters.segment.pk)
    if filters.kelurahan:
        conditions.append("kelurahan_id = %s")
        params.append(filters.kelurahan.pk)
    if kelurahan_ids is not None:
        conditions.append(_in("kelurahan_id", kelurahan_ids))
        params.extend(kelurahan_ids)
    if filters.scope_segment_ids is not None:
        conditions.append(_in("segment_id", filters.scope_segment_ids))
        params.extend(sorted(filters.scope_segment_ids))
    return "".join(f" AND {c}" for c in conditions), params


def _in(column: str, values) -> str:
    return f"{column} IN ({', '.join(['%s'] * len(values))})" if values else "1 = 0"


@dataclass(frozen=True)
class _Selection:
    """The kelurahan a selection covers (by code) and the SQL condition on cells."""

    kelurahan: list[Kelurahan]
    where: str
    params: list


def _selection(filters: Filters) -> _Selection:
    kelurahan_all = list(Kelurahan.objects.select_related("kecamatan").order_by("code"))
    kelurahan_ids = (
        [k.pk for k in kelurahan_all if k.kecamatan_id == filters.kecamatan.pk]
        if filters.kecamatan
        else None
    )
    if filters.scope_kelurahan_ids is not None:
        kelurahan_ids = [
            k.pk
            for k in kelurahan_all
            if k.pk in filters.scope_kelurahan_ids
            and (kelurahan_ids is None or k.pk in kelurahan_ids)
        ]
    where, params = _where(filters, kelurahan_ids)
    in_scope = [
        k
        for k in kelurahan_all
        if (kelurahan_ids is None or k.pk in kelurahan_ids)
        and (not filters.kelurahan or k.pk == filters.kelurahan.pk)
    ]
    return _Selection(kelurahan=in_scope, where=where, params=params)


def _source(year_ids: list[int]) -> tuple[str, str, list]:
    """(WITH prefix, relation name, params) of the cells to aggregate."""
    if use_summary_tables():
        refresh_stale()
        return "", T_CUBE, []
    placeholders = ", ".join(["%s"] * len(year_ids))
    facts = fact_select_sql(connection.vendor, f"e.program_year_id IN ({placeholders})")
    cells = cells_sql(connection.vendor, "facts")
    return f"WITH facts AS ({facts}), cells AS ({cells}) ", "cells", list(year_ids)


def _fetch(sql: str, params: list) -> list[tuple]:
    with reporting_connection().cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _quota_targets(program_year: ProgramYear) -> dict[tuple, int]:
    return {
        (q.worker_type, q.segment_id, q.kecamatan_id): q.target
        for q in QuotaTarget.objects.filter(program_year=program_year)
    }


def _target(
    quotas: dict[tuple, int], types: list[str], segment_id=None, kecamatan_id=None
) -> int | None:
    """The sum of the quotas for ``types`` in one scope, or None unless every type has one."""
    values = [quotas.get((t, segment_id, kecamatan_id)) for t in types]
    return None if any(v is None for v in values) else sum(values)


def _budget(program_year: ProgramYear, committed: int) -> YearFigures:
    """The year's money as ``enrollment.selectors.year_figures`` defines it.

    Live aggregation calls it directly; with the summary tables the committed sum comes from
    the cube (kept equal to ``year_committed`` by the triggers, which tests check).
    """
    if not use_summary_tables():
        return year_figures(program_year)
    realised = (
        PremiumInvoice.objects.filter(program_year=program_year, paid_on__isnull=False).aggregate(
            total=Sum("amount")
        )["total"]
        or 0
    )
    committed = int(committed)
    return YearFigures(
        allocated=program_year.budget,
        committed=committed,
        realised=realised,
        remaining=program_year.budget - committed,
        by_status={},
    )


def _rows(
    values: dict[str, int], active: dict[str, int], labels: list[tuple[str, str]], total: int
) -> list[Row]:
    return [
        Row(
            key=key,
            label=str(label),
            participants=values.get(key, 0),
            active=active.get(key, 0),
            share_of=total,
        )
        for key, label in labels
    ]


def dashboard_figures(program_year: ProgramYear, filters: Filters | None = None) -> Dashboard:
    """All figures of the dashboard for ``program_year`` within ``filters``."""
    from .labels import (
        AGE_LABELS,
        DESIL_LABELS,
        DTKS_LABELS,
        SCHOOL_LEVEL_LABELS,
        SEX_LABELS,
        YES_NO_HEIRS,
        YES_NO_SCHOOL,
    )

    filters = filters or Filters()
    previous = ProgramYear.objects.filter(year=program_year.year - 1).first()
    year_ids = [program_year.pk] + ([previous.pk] if previous else [])
    selection = _selection(filters)
    where, where_params = selection.where, selection.params
    prefix, source, source_params = _source(year_ids)
    year_in = ", ".join(["%s"] * len(year_ids))
    trend_dims = ", ".join(f"'{d}'" for d in (*TREND_DIMS, "renewed"))

    # 1. Every dimension, by status and worker type (the previous year: trend and renewals).
    cells = _fetch(
        f"""{prefix}SELECT program_year_id, dim, value, status, worker_type,
                SUM(n), SUM(amount)
            FROM {source}
            WHERE program_year_id IN ({year_in})
              AND (program_year_id = %s OR dim IN ({trend_dims})){where}
            GROUP BY program_year_id, dim, value, status, worker_type""",
        [*source_params, *year_ids, program_year.pk, *where_params],
    )
    # 2. Participants and active enrollments per segment and kelurahan.
    participant_in = ", ".join(f"'{s}'" for s in PARTICIPANT_STATUSES)
    places = _fetch(
        f"""{prefix}SELECT segment_id, kelurahan_id, worker_type,
                SUM(CASE WHEN status IN ({participant_in}) THEN n ELSE 0 END),
                SUM(CASE WHEN status = %s THEN n ELSE 0 END)
            FROM {source}
            WHERE program_year_id = %s AND dim = 'total'{where}
            GROUP BY segment_id, kelurahan_id, worker_type""",
        [*source_params, EnrollmentStatus.ACTIVE.value, program_year.pk, *where_params],
    )
    if where:
        year_places = _fetch(
            f"""{prefix}SELECT segment_id, kelurahan_id, worker_type,
                    SUM(CASE WHEN status IN ({participant_in}) THEN n ELSE 0 END), 0
                FROM {source}
                WHERE program_year_id = %s AND dim = 'total'
                GROUP BY segment_id, kelurahan_id, worker_type""",
            [*source_params, program_year.pk],
        )
    else:
        year_places = places
    if use_summary_tables():
        year_committed_total = _fetch(
            f"SELECT COALESCE(SUM(amount), 0) FROM {T_CUBE}"
            " WHERE program_year_id = %s AND dim = 'total'",
            [program_year.pk],
        )[0][0]
    else:
        year_committed_total = 0

    current: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    current_active: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    active_by_type: dict[str, int] = defaultdict(int)
    by_status: dict[str, int] = {s: 0 for s in EnrollmentStatus.values}
    by_type: dict[str, int] = defaultdict(int)
    committed_selection = 0
    trend: dict[str, dict[int, list[int]]] = {d: {} for d in TREND_DIMS}
    renewals_due = renewals_done = 0
    for year_id, dim, value, status, worker_type, n, amount in cells:
        n, amount = int(n or 0), int(amount or 0)
        is_current = year_id == program_year.pk
        if dim in TREND_DIMS:
            bucket = trend[dim].setdefault(int(value), [0, 0])
            bucket[0 if is_current else 1] += n
            continue
        if dim == "renewed":
            # Renewals due this year: last year's active or ended participants.
            if not is_current:
                renewals_due += n
                renewals_done += n if value == "yes" else 0
            continue
        if not is_current:
            continue
        if dim == "total":
            by_status[status] += n
            committed_selection += amount
            if status in PARTICIPANT_STATUSES:
                by_type[worker_type] += n
            if status == EnrollmentStatus.ACTIVE:
                active_by_type[worker_type] += n
        else:  # breakdown cells hold participants only (see dashboard.facts._dims)
            current[dim][value] += n
            if status == ACTIVE_GROUP:
                current_active[dim][value] += n
    participants = sum(by_type.values())
    active = sum(active_by_type.values())

    quotas = _quota_targets(program_year)
    types = [filters.worker_type] if filters.worker_type else list(WorkerType.values)
    region = filters.kecamatan or filters.kelurahan
    if filters.scoped or filters.kelurahan or (filters.segment and filters.kecamatan):
        # Targets are set per city, segment or kecamatan, never for a user's scope.
        scope = None
    elif filters.segment:
        scope = {"segment_id": filters.segment.pk}
    elif filters.kecamatan:
        scope = {"kecamatan_id": filters.kecamatan.pk}
    else:
        scope = {}
    by_worker_type = [
        Row(
            key=t,
            label=str(WorkerType(t).label),
            participants=by_type.get(t, 0),
            active=active_by_type.get(t, 0),
            target=None if scope is None else _target(quotas, [t], **scope),
            share_of=participants,
        )
        for t in types
    ]
    target = None if scope is None else _target(quotas, types, **scope)

    per_segment: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    per_kelurahan: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for segment_id, kelurahan_id, _worker_type, n_part, n_active in places:
        for bucket in (per_segment[segment_id], per_kelurahan[kelurahan_id]):
            bucket[0] += int(n_part or 0)
            bucket[1] += int(n_active or 0)

    segments = []
    for segment in Segment.objects.order_by("sort_order", "name"):
        n_part, n_active = per_segment.get(segment.pk, (0, 0))
        if not n_part and not n_active and not segment.is_active:
            continue
        segments.append(
            Row(
                key=str(segment.pk),
                label=segment.name,
                participants=n_part,
                active=n_active,
                target=(
                    None
                    if region or filters.scoped
                    else _target(quotas, types, segment_id=segment.pk)
                ),
                share_of=participants,
            )
        )
    kelurahan_rows = []
    per_kecamatan: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    kecamatan_by_id = {}
    for kel in selection.kelurahan:
        n_part, n_active = per_kelurahan.get(kel.pk, (0, 0))
        per_kecamatan[kel.kecamatan_id][0] += n_part
        per_kecamatan[kel.kecamatan_id][1] += n_active
        kecamatan_by_id[kel.kecamatan_id] = kel.kecamatan
        kelurahan_rows.append(
            Row(
                key=str(kel.pk),
                label=kel.name,
                participants=n_part,
                active=n_active,
                share_of=participants,
                extra={"kecamatan": kel.kecamatan.name, "code": kel.code},
            )
        )
    kecamatan_rows = [
        Row(
            key=str(kec.pk),
            label=kec.name,
            participants=per_kecamatan[kec.pk][0],
            active=per_kecamatan[kec.pk][1],
            target=(
                None
                if filters.segment or filters.kelurahan or filters.scoped
                else _target(quotas, types, kecamatan_id=kec.pk)
            ),
            share_of=participants,
            extra={"code": kec.code},
        )
        for kec in sorted(kecamatan_by_id.values(), key=lambda k: k.code)
    ]

    heirs_total = sum(current["school_level"].values())
    budget = _budget(program_year, year_committed_total)
    return Dashboard(
        program_year=program_year,
        previous_year=previous,
        filters=filters,
        participants=participants,
        active=active,
        target=target,
        by_worker_type=by_worker_type,
        budget=budget,
        committed_selection=committed_selection,
        by_status=by_status,
        renewals_due=renewals_due,
        renewals_done=renewals_done,
        segments=segments,
        kecamatan=kecamatan_rows,
        kelurahan=kelurahan_rows,
        dtks=_rows(current["dtks"], current_active["dtks"], DTKS_LABELS, participants),
        desil=_rows(current["desil"], current_active["desil"], DESIL_LABELS, participants),
        sex=_rows(current["sex"], current_active["sex"], SEX_LABELS, participants),
        age=_rows(current["age"], current_active["age"], AGE_LABELS, participants),
        heirs=_rows(current["heirs"], current_active["heirs"], YES_NO_HEIRS, participants),
        school_age_any=_rows(
            current["school_any"], current_active["school_any"], YES_NO_SCHOOL, participants
        ),
        school_levels=_rows(
            current["school_level"],
            current_active["school_level"],
            SCHOOL_LEVEL_LABELS,
            heirs_total,
        ),
        trend=trend,
        targeting=_targeting(program_year, selection),
        computed_at=timezone.now(),
        # Year-wide, over every area: not shown to an official limited to a scope.
        over_commitment=(
            [] if filters.scoped else _over_commitment(program_year, budget, quotas, year_places)
        ),
    )


def _over_commitment(
    program_year: ProgramYear, budget: YearFigures, quotas: dict[tuple, int], places: list[tuple]
) -> list[str]:
    """What the year uses beyond its limits, as sentences for officials: committed premiums
    above the budget, and places taken above any quota target (after a limit was lowered
    below what was already used, or a supervisor's override). Year-wide, whatever the filter.
    """
    from siaga.formatting import number, rupiah

    lines = []
    if budget.committed > budget.allocated:
        lines.append(
            _("Committed premiums %(committed)s exceed the budget %(allocated)s by %(over)s.")
            % {
                "committed": rupiah(budget.committed),
                "allocated": rupiah(budget.allocated),
                "over": rupiah(budget.committed - budget.allocated),
            }
        )
        if program_year.budget_below_use_reason:
            lines[-1] += " " + _("Reason: %(reason)s") % {
                "reason": program_year.budget_below_use_reason
            }
    if not quotas:
        return lines
    reasons = {
        (q.worker_type, q.segment_id, q.kecamatan_id): q.below_use_reason
        for q in QuotaTarget.objects.filter(program_year=program_year).exclude(below_use_reason="")
    }
    kecamatan_of = dict(Kelurahan.objects.values_list("pk", "kecamatan_id"))
    used: Counter = Counter()
    for segment_id, kelurahan_id, worker_type, n_part, _active in places:
        n_part = int(n_part or 0)
        used[(worker_type, None, None)] += n_part
        used[(worker_type, segment_id, None)] += n_part
        used[(worker_type, None, kecamatan_of.get(kelurahan_id))] += n_part
        used[(worker_type, segment_id, kecamatan_of.get(kelurahan_id))] += n_part
    segments = dict(Segment.objects.values_list("pk", "name"))
    kecamatan = dict(Kecamatan.objects.values_list("pk", "name"))
    for (worker_type, segment_id, kecamatan_id), target in sorted(
        quotas.items(), key=lambda item: (item[0][0], item[0][1] or 0, item[0][2] or 0)
    ):
        n = used[(worker_type, segment_id, kecamatan_id)]
        if n <= target:
            continue
        scope = str(WorkerType(worker_type).label)
        if segment_id:
            scope += f" · {segments.get(segment_id, segment_id)}"
        if kecamatan_id:
            scope += f" · {kecamatan.get(kecamatan_id, kecamatan_id)}"
        lines.append(
            _("Quota %(scope)s: %(used)s places taken, target %(target)s (%(over)s over).")
            % {
                "scope": scope,
                "used": number(n),
                "target": number(target),
                "over": number(n - target),
            }
        )
        reason = reasons.get((worker_type, segment_id, kecamatan_id))
        if reason:
            lines[-1] += " " + _("Reason: %(reason)s") % {"reason": reason}
    return lines


def targeting_breakdown(program_year: ProgramYear, filters: Filters | None = None) -> Targeting:
    """Of ``program_year``'s participants within ``filters``: how many were checked against
    DTKS/DTSEN and with what result, per desil, and how many have a school-age heir — for
    the whole selection, per kecamatan and per kelurahan (every one in the selection, zeros
    included). School age is taken on 1 July of the program year, like every dashboard figure.
    """
    return _targeting(program_year, _selection(filters or Filters()))


def _targeting(program_year: ProgramYear, selection: _Selection) -> Targeting:
    # One aggregate over the participant cells (at most 27 kelurahan x 16 values): the cube's
    # dtks, desil and school_any dimensions are already kept per kelurahan.
    prefix, source, source_params = _source([program_year.pk])
    dims = ", ".join(f"'{d}'" for d in TARGETING_DIMS)
    rows = _fetch(
        f"""{prefix}SELECT kelurahan_id, dim, value, SUM(n)
            FROM {source}
            WHERE program_year_id = %s AND dim IN ({dims}){selection.where}
            GROUP BY kelurahan_id, dim, value""",
        [*source_params, program_year.pk, *selection.params],
    )
    per_kelurahan: dict[int, Counter] = defaultdict(Counter)
    for kelurahan_id, dim, value, n in rows:
        per_kelurahan[kelurahan_id][(dim, str(value))] += int(n or 0)

    per_kecamatan: dict[int, Counter] = defaultdict(Counter)
    kecamatan_by_id: dict[int, Kecamatan] = {}
    kelurahan_rows = []
    for kel in selection.kelurahan:
        counts = per_kelurahan[kel.pk]
        per_kecamatan[kel.kecamatan_id].update(counts)
        kecamatan_by_id[kel.kecamatan_id] = kel.kecamatan
        kelurahan_rows.append(
            _targeting_figures(
                str(kel.pk), kel.name, counts, code=kel.code, kecamatan=kel.kecamatan.name
            )
        )
    kecamatan_rows = [
        _targeting_figures(str(kec.pk), kec.name, per_kecamatan[kec.pk], code=kec.code)
        for kec in sorted(kecamatan_by_id.values(), key=lambda k: k.code)
    ]
    total = sum(per_kecamatan.values(), Counter())
    return Targeting(
        school_age_on=datetime.date.fromisoformat(f"{program_year.year}-{REFERENCE_MONTH_DAY}"),
        total=_targeting_figures("total", _("All participants in the selection"), total),
        kecamatan=kecamatan_rows,
        kelurahan=kelurahan_rows,
    )


def _targeting_figures(key: str, area: str, counts: Counter, **extra: str) -> TargetingFigures:
    """Figures from the cells of one area; every participant has exactly one DTKS status."""
    by_status = {s: counts[("dtks", s)] for s in DtksStatus.values}
    return TargetingFigures(
        key=key,
        area=area,
        participants=sum(by_status.values()),
        registered=by_status[DtksStatus.REGISTERED],
        not_registered=by_status[DtksStatus.NOT_REGISTERED],
        unchecked=by_status[DtksStatus.UNCHECKED],
        by_desil={d: counts[("desil", str(d))] for d in DESILS},
        with_school_age_heirs=counts[("school_any", "yes")],
        **extra,
    )


def default_program_year() -> ProgramYear | None:
    """The year the dashboard opens on: the running program year that has participants
    (this calendar year's if it is one of them, else the latest), else the latest year with
    any participants, else the latest year. Never an empty year in planning while a running
    one has participants."""
    from django.db.models import Exists, OuterRef

    from enrollment.models import Enrollment, ProgramYearStatus

    with_participants = ProgramYear.objects.filter(
        Exists(
            Enrollment.objects.filter(program_year=OuterRef("pk"), status__in=PARTICIPANT_STATUSES)
        )
    ).order_by("-year")
    running = with_participants.filter(status=ProgramYearStatus.RUNNING)
    today = timezone.localdate()
    return (
        running.filter(year=today.year).first()
        or running.first()
        or with_participants.first()
        or ProgramYear.objects.order_by("-year").first()
    )
