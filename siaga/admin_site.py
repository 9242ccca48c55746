"""Siaga's admin site: the home page follows the office's work, not the installed libraries.

The index groups the models (and a few pages that are not models) into the sections staff
think in — registry, program year and quotas, BPJS, invoices and claims, targeting, settings —
and shows what waits for the signed-in user: imports to confirm, proposals to verify,
enrollments to submit, BPJS answers due. The counts are grouped counts over the
(program_year, status) index of enrollments and over the small import log, cheap at a million
workers. Library models (login attempts, background task results) appear only to those with
their permissions (administrators), under Indonesian names, in the settings section.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import admin
from django.db.models import Count, Q
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.scoping import is_scoped, scope_queryset

# (key, title, the models in it by label, in order). Unlisted models end in "Other".
SECTIONS: list[tuple[str, Any, list[str]]] = [
    (
        "registry",
        _("Registry"),
        [
            "participants.worker",
            "participants.heir",
            "importer.importjob",
            "dedup.duplicatepair",
            "dedup.workeralias",
        ],
    ),
    (
        "intake",
        _("Proposals and yearly updates"),
        ["proposals.proposal", "proposals.updateround"],
    ),
    (
        "program",
        _("Program year and quotas"),
        [
            "enrollment.programyear",
            "enrollment.enrollment",
            "approvals.submissionbatch",
            "approvals.batchitem",
            "approvals.decision",
            "approvals.snapshotrow",
            "approvals.generateddocument",
        ],
    ),
    ("bpjs", _("BPJS"), ["enrollment.bpjsexport", "dedup.othercover"]),
    (
        "money",
        _("Invoices and claims"),
        ["enrollment.premiuminvoice", "enrollment.invoiceline", "enrollment.claim"],
    ),
    (
        "targeting",
        _("Targeting"),
        [
            "targeting.targetingrule",
            "targeting.proposalbatch",
            "targeting.dtkscheck",
            "targeting.heirfollowup",
            "targeting.exportlog",
        ],
    ),
    (
        "complaints",
        _("Complaints and messages"),
        ["complaints.ticket", "notifications.outboxmessage"],
    ),
    (
        "settings",
        _("Settings"),
        [
            "participants.segment",
            "participants.kecamatan",
            "participants.kelurahan",
            "complaints.servicelevel",
            "notifications.messagetemplate",
            "auth.user",
            "accounts.staffprofile",
            "auth.group",
            "axes.accessattempt",
            "axes.accessfailurelog",
            "axes.accesslog",
            "django_tasks_database.dbtaskresult",
        ],
    ),
]
# Library models whose own names are English or unclear to office staff.
MODEL_NAMES = {
    "axes.accessattempt": _("Login attempts (locked accounts)"),
    "axes.accessfailurelog": _("Failed logins"),
    "axes.accesslog": _("Login log"),
    "django_tasks_database.dbtaskresult": _("Background tasks"),
}


@dataclass(frozen=True)
class PageLink:
    """A page that is not a model's list (e.g. the BPJS activation upload) in a section."""

    section: str
    label: Any
    url_name: str
    allowed: Callable[[Any], bool]
    query: str = ""


PAGES = [
    PageLink(
        "intake",
        _("Yearly update progress per kelurahan"),
        "admin:proposals_updateround_progress",
        lambda u: u.has_perm("proposals.view_updateround"),
    ),
    PageLink(
        "bpjs",
        _("Activate from BPJS file"),
        "admin:enrollment_enrollment_import",
        lambda u: u.has_perm("enrollment.manage_bpjs_exchange"),
    ),
    PageLink(
        "bpjs",
        _("Submitted, waiting for BPJS"),
        "admin:enrollment_enrollment_changelist",
        lambda u: u.has_perm("enrollment.manage_bpjs_exchange"),
        "status__exact=didaftarkan",
    ),
    PageLink(
        "bpjs",
        _("Verified, to send to BPJS"),
        "admin:enrollment_enrollment_changelist",
        lambda u: u.has_perm("enrollment.manage_bpjs_exchange"),
        "status__exact=diverifikasi",
    ),
]


@dataclass(frozen=True)
class Todo:
    label: str
    count: int
    url: str


class SiagaAdminSite(admin.AdminSite):
    index_template = "admin/index.html"
    # The staff header (siaga/navigation.py) and the home's sections lead everywhere; the
    # model sidebar would take a fifth of a 1366-px screen from every list.
    enable_nav_sidebar = False

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[dict]:
        if app_label is not None:
            return super().get_app_list(request, app_label)
        by_label: dict[str, dict] = {}
        for app in self._build_app_dict(request).values():
            for model in app["models"]:
                label = model["model"]._meta.label_lower
                if label in MODEL_NAMES:
                    model = {**model, "name": str(MODEL_NAMES[label])}
                by_label[label] = model
        sections = []
        placed: set[str] = set()
        for key, title, labels in SECTIONS:
            models = [by_label[label] for label in labels if label in by_label]
            placed.update(labels)
            models += self._pages(request, key)
            if models:
                sections.append(self._section(key, str(title), models))
        rest = [m for label, m in by_label.items() if label not in placed]
        if rest:
            sections.append(self._section("other", gettext("Other"), rest))
        return sections

    def _section(self, key: str, title: str, models: list[dict]) -> dict:
        return {
            "name": title,
            "app_label": key,
            "app_url": reverse("admin:index") + f"#section-{key}",
            "has_module_perms": True,
            "models": models,
        }

    @staticmethod
    def _pages(request: HttpRequest, section: str) -> list[dict]:
        pages = []
        for index, page in enumerate(PAGES):
            if page.section != section or not page.allowed(request.user):
                continue
            try:
                url = reverse(page.url_name)
            except NoReverseMatch:
                continue
            pages.append(
                {
                    "name": str(page.label),
                    "object_name": f"page{index}",
                    "perms": {"view": True},
                    "admin_url": f"{url}?{page.query}" if page.query else url,
                    "add_url": None,
                    "view_only": True,
                }
            )
        return pages

    def index(self, request: HttpRequest, extra_context: dict | None = None):
        extra_context = {**(extra_context or {}), "todos": todos_for(request, self)}
        return super().index(request, extra_context)


def _enrollment_list(status: str, year_id: int) -> str:
    query = urlencode({"program_year__id__exact": year_id, "status__exact": status})
    return f"{reverse('admin:enrollment_enrollment_changelist')}?{query}"


def todos_for(request: HttpRequest, site: admin.AdminSite) -> list[Todo]:
    """What waits for this user, in the order the work flows, each with a count and a link."""
    from enrollment.models import Enrollment, EnrollmentStatus, ProgramYear
    from importer.admin import StagedImportMixin
    from importer.models import ImportJob, ImportStatus

    user = request.user
    todos: list[Todo] = []

    # Imports checked and waiting for confirmation: only their uploader may confirm them.
    previews = {}
    for model_admin in site._registry.values():
        if isinstance(model_admin, StagedImportMixin) and model_admin.has_import_permission(
            request
        ):
            info = model_admin.get_model_info()
            previews[model_admin.get_spreadsheet_importer().kind] = (
                f"admin:{info[0]}_{info[1]}_import_preview",
                model_admin.get_import_title(),
            )
    if previews:
        waiting = ImportJob.objects.filter(status=ImportStatus.PREVIEWED, kind__in=list(previews))
        if not user.is_superuser or is_scoped(user):
            waiting = waiting.filter(created_by=user)
        for job in waiting.order_by("-created_at")[:10]:
            url_name, title = previews[job.kind]
            todos.append(
                Todo(
                    gettext("Import to confirm: %(file)s (%(what)s)")
                    % {"file": job.file_name, "what": title},
                    job.rows_total,
                    reverse(url_name, args=[job.pk]),
                )
            )

    todos += complaint_todos(user)
    if user.has_perm("proposals.review_proposal"):
        from proposals.models import ProposalStatus
        from proposals.selectors import proposals_visible_to

        waiting = proposals_visible_to(user).filter(status=ProposalStatus.SUBMITTED).count()
        if waiting:
            todos.append(
                Todo(
                    gettext("Proposals (usulan) to review"),
                    waiting,
                    f"{reverse('admin:proposals_proposal_changelist')}?status__exact=diajukan",
                )
            )

    may_change = user.has_perm("enrollment.change_enrollment")
    may_bpjs = user.has_perm("enrollment.manage_bpjs_exchange")
    wanted = []
    if may_change:
        wanted.append((EnrollmentStatus.PROPOSED, gettext("Proposals to verify, %(year)s")))
    if may_change or may_bpjs:
        wanted.append((EnrollmentStatus.VERIFIED, gettext("Verified, to submit to BPJS, %(year)s")))
    if may_bpjs:
        wanted.append((EnrollmentStatus.SUBMITTED, gettext("BPJS answer due, %(year)s")))
    if not wanted:
        return todos
    years = dict(ProgramYear.objects.open().values_list("pk", "year"))
    counts = {
        (row["program_year"], row["status"]): row["n"]
        # Counted over the user's scope, like the list the count links to.
        for row in scope_queryset(user, Enrollment.objects.all(), "worker")
        .filter(program_year_id__in=list(years), status__in=[s for s, _label in wanted])
        .values("program_year", "status")
        .annotate(n=Count("pk"))
    }
    for status, label in wanted:
        for year_id, year in sorted(years.items(), key=lambda item: item[1]):
            n = counts.get((year_id, status), 0)
            if n:
                todos.append(Todo(label % {"year": year}, n, _enrollment_list(status, year_id)))
    return todos


def complaint_todos(user) -> list[Todo]:
    """Complaints past their deadline, and those escalated to or waiting on this user."""
    if not user.has_perm("complaints.view_ticket"):
        return []
    from complaints.models import Ticket

    changelist = reverse("admin:complaints_ticket_changelist")
    open_tickets = Ticket.objects.open()
    counts = open_tickets.aggregate(
        overdue=Count("pk", filter=Q(deadline__lt=timezone.localdate())),
        mine=Count("pk", filter=Q(assignee=user)),
        escalated=Count("pk", filter=Q(escalated_to=user)),
    )
    todos = []
    for key, label, query in (
        ("overdue", gettext("Complaints past their deadline"), "overdue=1"),
        ("escalated", gettext("Complaints escalated to you"), "mine=escalated"),
        ("mine", gettext("Open complaints assigned to you"), "mine=assigned"),
    ):
        if counts[key]:
            todos.append(Todo(label, counts[key], f"{changelist}?{query}"))
    return todos
