"""Small-cell suppression on the officials' dashboard (issue 13, docs/dashboard.md).

A count of 1 or 2 people in a narrow selection (a kelurahan, by desil or DTKS status) can
point at a person. Users without access to personal data — neither
``participants.view_full_nik`` nor ``participants.export_personal_data`` — see such counts
as "<3" (``SIAGA_DASHBOARD_MIN_CELL``, default 3) in the page, the JSON, the xlsx and the
printable report; staff who may see the registry anyway see exact figures.

Totals stay exact. Within every group of cells whose total is shown (a breakdown, the
statuses, a trend series, an area's DTKS results or desil), when exactly one cell is
suppressed (counting the group's hidden remainder, total minus the shown cells, as a cell
when it is small), the smallest other non-zero cell is suppressed too, so that no suppressed
count can be worked out by subtraction. Zeros are shown. Shares and progress of a suppressed
count are not shown ("–"), nor the rupiah committed by a selection of fewer people than
the threshold (it would give away the head count).
"""

from __future__ import annotations

import dataclasses

from django.conf import settings

from .selectors import Dashboard, Row, TargetingFigures

PERSONAL_DATA_PERMISSIONS = ("participants.view_full_nik", "participants.export_personal_data")


class Small(int):
    """A suppressed count: worth 0 in any arithmetic (it never adds its true value to
    anything shown), written as "<3" wherever it is rendered."""

    threshold = 3

    def __new__(cls, threshold: int):
        obj = super().__new__(cls, 0)
        obj.threshold = threshold
        return obj

    def __str__(self) -> str:
        return f"<{self.threshold}"

    __repr__ = __str__

    def __format__(self, spec: str) -> str:
        return str(self)


def is_small(value) -> bool:
    return isinstance(value, Small)


def shown(value):
    """A count as plain data (JSON, xlsx): the number, or the text "<3"."""
    return str(value) if isinstance(value, Small) else value


def min_cell() -> int:
    return int(getattr(settings, "SIAGA_DASHBOARD_MIN_CELL", 3))


def sees_exact_figures(user) -> bool:
    """Staff with access to personal data see every count; everyone else sees small counts
    suppressed."""
    return any(user.has_perm(p) for p in PERSONAL_DATA_PERMISSIONS)


def suppressed_keys(values: dict, total: int | None, threshold: int) -> set:
    """Which cells of a group to hide: those below ``threshold`` (not zero), plus the
    smallest other non-zero cell when exactly one would be hidden — the group's hidden
    remainder (``total`` minus the shown cells) counting as a cell."""
    small = {k for k, v in values.items() if 0 < v < threshold}
    hidden_small = 0
    if total is not None:
        rest = total - sum(values.values())
        hidden_small = 1 if 0 < rest < threshold else 0
    if len(small) + hidden_small == 1:
        others = sorted((v, str(k), k) for k, v in values.items() if v and k not in small)
        if others:
            small.add(others[0][2])
    return small


class _Suppressor:
    def __init__(self, threshold: int):
        self.threshold = threshold

    def small(self) -> Small:
        return Small(self.threshold)

    def apply(self, values: dict, total: int | None) -> dict:
        hide = suppressed_keys(values, total, self.threshold)
        return {k: (self.small() if k in hide else v) for k, v in values.items()}

    def one(self, value: int) -> int:
        return self.small() if 0 < value < self.threshold else value

    def rows(
        self, rows: list[Row], total: int, active_total: int, hidden: set | None = None
    ) -> list[Row]:
        """Rows with small participants and active counts hidden; ``hidden`` (row keys)
        overrides which participants counts to hide, when decided across tables."""
        if hidden is None:
            part = self.apply({i: r.participants for i, r in enumerate(rows)}, total)
        else:
            part = {
                i: (self.small() if r.key in hidden else r.participants) for i, r in enumerate(rows)
            }
        active = self.apply({i: r.active for i, r in enumerate(rows)}, active_total)
        out = []
        for i, r in enumerate(rows):
            a = active[i]
            if is_small(part[i]) and r.active:
                a = self.small()  # an exact active count would bound the hidden participants
            out.append(dataclasses.replace(r, participants=part[i], active=a))
        return out

    def targeting(self, t: TargetingFigures, hide: bool | None = None) -> TargetingFigures:
        if hide is None:
            participants = self.one(t.participants)
        else:
            participants = self.small() if hide and t.participants else t.participants
        if is_small(participants):
            s = self.small
            return dataclasses.replace(
                t,
                participants=participants,
                registered=s() if t.registered else 0,
                not_registered=s() if t.not_registered else 0,
                unchecked=s() if t.unchecked else 0,
                by_desil={d: (s() if n else 0) for d, n in t.by_desil.items()},
                with_school_age_heirs=s() if t.with_school_age_heirs else 0,
            )
        dtks = self.apply(
            {
                "registered": t.registered,
                "not_registered": t.not_registered,
                "unchecked": t.unchecked,
            },
            t.participants,
        )
        heirs = self.apply(
            {"yes": t.with_school_age_heirs, "no": t.participants - t.with_school_age_heirs},
            t.participants,
        )
        return dataclasses.replace(
            t,
            registered=dtks["registered"],
            not_registered=dtks["not_registered"],
            unchecked=dtks["unchecked"],
            by_desil=self.apply(dict(t.by_desil), t.participants),
            with_school_age_heirs=heirs["yes"],
        )


def suppress_small_cells(d: Dashboard, threshold: int | None = None) -> Dashboard:
    """A copy of ``d`` with every count below the threshold suppressed (see module doc)."""
    threshold = min_cell() if threshold is None else threshold
    if threshold <= 1:
        return d
    s = _Suppressor(threshold)
    total, active_total = d.participants, d.active

    def rows(rs: list[Row], of: int | None = None, active_of: int | None = None) -> list[Row]:
        return s.rows(
            rs, total if of is None else of, active_total if active_of is None else active_of
        )

    heirs_total = sum(r.participants for r in d.school_levels)
    heirs_active = sum(r.active for r in d.school_levels)
    statuses = s.apply(dict(d.by_status), sum(d.by_status.values()))
    trend = {}
    for dim, months in d.trend.items():
        series = {}
        for slot in (0, 1):
            values = {m: counts[slot] for m, counts in months.items()}
            series[slot] = s.apply(values, sum(values.values()))
        trend[dim] = {m: [series[0][m], series[1][m]] for m in months}
    renewals_due = s.one(d.renewals_due)
    renewals_done = s.one(d.renewals_done)
    if is_small(renewals_due) and d.renewals_done:
        renewals_done = s.small()
    # Kecamatan and kelurahan counts appear in two tables each (breakdown and targeting), and
    # a kecamatan's total bounds its kelurahan: which ones to hide is decided once, the
    # kelurahan within each kecamatan (whose total is shown) as well as across the city.
    kecamatan_hidden = suppressed_keys(
        {r.key: r.participants for r in d.kecamatan}, total, threshold
    )
    kecamatan_total = {r.extra.get("code"): r.participants for r in d.kecamatan}
    code_of = {r.label: r.extra.get("code") for r in d.kecamatan}
    per_kecamatan: dict = {}
    for r in d.kelurahan:
        per_kecamatan.setdefault(code_of.get(r.extra.get("kecamatan")), {})[r.key] = r.participants
    kelurahan_hidden: set = set()
    for code, values in per_kecamatan.items():
        kelurahan_hidden |= suppressed_keys(values, kecamatan_total.get(code), threshold)
    kelurahan_hidden |= suppressed_keys(
        {r.key: r.participants for r in d.kelurahan if r.key not in kelurahan_hidden},
        total - sum(r.participants for r in d.kelurahan if r.key in kelurahan_hidden),
        threshold,
    )
    targeting = dataclasses.replace(
        d.targeting,
        total=s.targeting(d.targeting.total),
        kecamatan=[s.targeting(t, t.key in kecamatan_hidden) for t in d.targeting.kecamatan],
        kelurahan=[s.targeting(t, t.key in kelurahan_hidden) for t in d.targeting.kelurahan],
    )
    # Rupiah committed by a tiny selection would tell its head count (premium x months).
    committed_selection = d.committed_selection
    if 0 < d.participants < threshold or 0 < sum(d.by_status.values()) < threshold:
        committed_selection = s.small()
    return dataclasses.replace(
        d,
        committed_selection=committed_selection,
        participants=s.one(d.participants),
        active=s.one(d.active),
        by_worker_type=rows(d.by_worker_type),
        by_status=statuses,
        renewals_due=renewals_due,
        renewals_done=renewals_done,
        segments=rows(d.segments),
        kecamatan=s.rows(d.kecamatan, total, active_total, kecamatan_hidden),
        kelurahan=s.rows(d.kelurahan, total, active_total, kelurahan_hidden),
        dtks=rows(d.dtks),
        desil=rows(d.desil),
        sex=rows(d.sex),
        age=rows(d.age),
        heirs=rows(d.heirs),
        school_age_any=rows(d.school_age_any),
        school_levels=rows(d.school_levels, heirs_total, heirs_active),
        trend=trend,
        _trend_totals=d.trend_totals,  # the groups' totals, shown exact
        targeting=targeting,
        suppressed_below=threshold,
    )
