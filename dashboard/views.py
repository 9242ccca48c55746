"""Officials' quota dashboard: the page, its JSON, xlsx export and printable report.

Access needs the ``dashboard.view_dashboard`` permission only, not staff status; no view
shows any worker's personal data.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _

from accounts.scoping import scope_queryset, user_scope
from complaints.models import Ticket
from complaints.selectors import ANSWERED_WINDOW_DAYS, complaint_counts
from enrollment.models import EnrollmentStatus, ProgramYear
from participants.models import DtksStatus
from siaga.db_routing import reporting_reads
from siaga.navigation import can_open_admin_list

from . import charts
from .exports import as_dict, as_xlsx, breakdowns, month_label, trend_rows
from .forms import FilterForm
from .labels import MONTH_LABELS
from .privacy import sees_exact_figures, suppress_small_cells
from .selectors import Dashboard, Filters, default_program_year
from .selectors import dashboard_figures as _dashboard_figures

PERMISSION = "dashboard.view_dashboard"
# Sections a higher app adds to the dashboard page (proposals: per-proposer counts and the
# yearly update's progress), registered in its AppConfig.ready. Each is called with the
# request and the program year and returns None or {"template": …, **its context}; like the
# rest of the page, a section shows no personal data.
EXTRA_SECTIONS: list[Callable[[HttpRequest, ProgramYear], dict | None]] = []
LOGIN_URL = reverse_lazy("dashboard:login")
KELURAHAN_SORTS = {
    "name": lambda r: r.label,
    "kecamatan": lambda r: (r.extra["kecamatan"], r.label),
    "participants": lambda r: (r.participants, r.label),
    "active": lambda r: (r.active, r.label),
}


def official_required(view):
    return login_required(
        permission_required(PERMISSION, raise_exception=True)(view), login_url=LOGIN_URL
    )


class LoginView(auth_views.LoginView):
    template_name = "dashboard/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self):
        return reverse("dashboard:index")


def _figures(request: HttpRequest, program_year: ProgramYear, filters: Filters) -> Dashboard:
    """The figures as this user may see them: exact for staff with personal-data access,
    small counts suppressed for everyone else (dashboard.privacy). Read from the reporting
    replica when one is configured (siaga.db_routing); the user's scope is read first, from
    the primary."""
    filters = filters.within(user_scope(request.user))
    with reporting_reads():
        d = _dashboard_figures(program_year, filters)
    if sees_exact_figures(request.user):
        return d
    return suppress_small_cells(d)


def _filters(request: HttpRequest) -> tuple[FilterForm, Filters]:
    form = FilterForm(request.GET or None, user=request.user)
    if form.is_bound and form.is_valid():
        return form, form.filters()
    return form, Filters()


def _program_year(request: HttpRequest, year: int | None) -> ProgramYear:
    if year is None:
        requested = request.GET.get("year", "")
        if requested.isascii() and requested.isdigit():
            year = int(requested)
    if year is not None:
        return get_object_or_404(ProgramYear, year=year)
    program_year = default_program_year()
    if program_year is None:
        raise Http404(_("No program year has been set up yet."))
    return program_year


def _targeting_context(d: Dashboard) -> dict:
    total = d.targeting.total
    title = _("Participants in DTKS per desil")
    desil_rows = [(desil, f"Desil {desil}", n, pct) for desil, n, pct in total.desil_rows]
    return {
        "targeting_lines": [
            # (JSON key of the count, JSON key of the share, label, count, share)
            (
                "checked",
                "checked_share",
                _("Checked against DTKS"),
                total.checked,
                total.checked_share,
            ),
            (
                "registered",
                "registered_share",
                DtksStatus.REGISTERED.label,
                total.registered,
                total.registered_share,
            ),
            (
                "not_registered",
                "not_registered_share",
                DtksStatus.NOT_REGISTERED.label,
                total.not_registered,
                total.not_registered_share,
            ),
            (
                "unchecked",
                "unchecked_share",
                DtksStatus.UNCHECKED.label,
                total.unchecked,
                total.unchecked_share,
            ),
            (
                "with_school_age_heirs",
                "school_age_heirs_share",
                _("With school-age heirs"),
                total.with_school_age_heirs,
                total.school_age_heirs_share,
            ),
        ],
        "targeting_desil_rows": desil_rows,
        "targeting_desil_chart": charts.bar_chart(
            [(label, n) for _desil, label, n, _share in desil_rows], title=title
        ),
        "targeting_desil_title": title,
        "targeting_areas": [
            ("kecamatan", _("Per district (kecamatan)"), d.targeting.kecamatan),
            ("kelurahan", _("Per urban village (kelurahan)"), d.targeting.kelurahan),
        ],
    }


def _context(request: HttpRequest, d: Dashboard, form: FilterForm) -> dict:
    sort = request.GET.get("sort", "participants")
    descending = request.GET.get("dir", "desc") != "asc"
    if sort not in KELURAHAN_SORTS:
        sort = "participants"
    kelurahan = sorted(d.kelurahan, key=KELURAHAN_SORTS[sort], reverse=descending)
    # Only to users the admin's worker list lets in (active staff with the permission).
    can_drill = can_open_admin_list(request.user, "participants.view_worker")
    changelist = reverse("admin:participants_worker_changelist") if can_drill else ""
    query = {"year": d.program_year.year, **d.filters.as_query()}

    def sort_link(column: str) -> str:
        flip = "asc" if (sort == column and descending) else "desc"
        if sort != column:
            flip = "asc" if column in ("name", "kecamatan") else "desc"
        return "?" + urlencode({**query, "sort": column, "dir": flip})

    year_label = str(d.program_year.year)
    previous_label = str(d.previous_year.year) if d.previous_year else _("previous year")
    months = [str(m) for m in MONTH_LABELS]
    trend_charts = []
    for dim, title in (
        ("verified", _("Verified per month")),
        ("activated", _("Activated per month")),
    ):
        current = [d.trend[dim].get(m, [0, 0])[0] for m in range(1, 13)]
        previous = [d.trend[dim].get(m, [0, 0])[1] for m in range(1, 13)]
        trend_charts.append(
            (
                title,
                charts.line_chart(
                    months,
                    [
                        (year_label, "series-current", current),
                        (previous_label, "series-previous", previous),
                    ],
                    title=f"{title} {year_label}",
                    description=_("%(year)s: %(current)s in all; %(previous_year)s: %(previous)s.")
                    % {
                        "year": year_label,
                        "current": d.trend_totals[dim][0],
                        "previous_year": previous_label,
                        "previous": d.trend_totals[dim][1],
                    },
                ),
            )
        )
    sections = []
    for key, title, rows in breakdowns(d):
        if key in ("worker_type", "kelurahan"):
            continue
        sections.append(
            {
                "key": key,
                "title": title,
                "rows": rows,
                "has_target": any(r.target is not None for r in rows),
                "chart": charts.bar_chart(
                    [(r.label, r.participants) for r in rows], title=str(title)
                ),
            }
        )
    export_query = urlencode(d.filters.as_query())
    return {
        "d": d,
        "form": form,
        "years": ProgramYear.objects.order_by("-year"),
        "statuses": [(s, EnrollmentStatus(s).label, n) for s, n in d.by_status.items()],
        "sections": sections,
        "kelurahan_rows": kelurahan,
        "sort": sort,
        "descending": descending,
        "sort_links": {c: sort_link(c) for c in KELURAHAN_SORTS},
        "kelurahan_columns": [
            ("name", _("Urban village")),
            ("kecamatan", _("District")),
            ("participants", _("Participants")),
            ("active", _("Active")),
        ],
        "drilldown": changelist,
        "trend_charts": trend_charts,
        "trend_rows": [dict(r, label=month_label(r["month"])) for r in trend_rows(d)],
        "export_query": f"?{export_query}" if export_query else "",
        "budget_used": (
            min(100.0, 100 * d.budget.committed / d.budget.allocated) if d.budget.allocated else 0.0
        ),
        # Limits lowered below use, with their reasons (enrollment.selectors, issue 11.11).
        **_targeting_context(d),
    }


@official_required
def index(request: HttpRequest) -> HttpResponse:
    program_year = _program_year(request, None)
    form, filters = _filters(request)
    d = _figures(request, program_year, filters)
    context = {**_context(request, d, form), **_complaints(request)}
    context["extra_sections"] = [
        section for hook in EXTRA_SECTIONS if (section := hook(request, program_year))
    ]
    return render(request, "dashboard/index.html", context)


def _complaints(request: HttpRequest, *, drilldown: bool = True) -> dict:
    """Complaint counts per category: not personal (no area, no person), shown exactly."""
    can_drill = drilldown and can_open_admin_list(request.user, "complaints.view_ticket")
    return {
        "complaints": complaint_counts(
            tickets=scope_queryset(request.user, Ticket.objects.all(), "worker")
        ),
        "complaints_window": ANSWERED_WINDOW_DAYS,
        "complaints_drilldown": (
            reverse("admin:complaints_ticket_changelist") if can_drill else ""
        ),
    }


@official_required
def report(request: HttpRequest, year: int) -> HttpResponse:
    program_year = _program_year(request, year)
    form, filters = _filters(request)
    d = _figures(request, program_year, filters)
    return render(
        request,
        "dashboard/report.html",
        {**_context(request, d, form), **_complaints(request, drilldown=False)},
    )


@official_required
def figures_json(request: HttpRequest, year: int) -> JsonResponse:
    program_year = _program_year(request, year)
    form = FilterForm(request.GET or None, user=request.user)
    if form.is_bound and not form.is_valid():
        return JsonResponse({"errors": form.errors.get_json_data()}, status=400)
    filters = form.filters() if form.is_bound else Filters()
    return JsonResponse(as_dict(_figures(request, program_year, filters), complaint_counts()))


@official_required
def figures_xlsx(request: HttpRequest, year: int) -> HttpResponse:
    program_year = _program_year(request, year)
    _form, filters = _filters(request)
    content = as_xlsx(_figures(request, program_year, filters), complaint_counts())
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="siaga-dashboard-{year}.xlsx"'
    return response
