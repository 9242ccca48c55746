"""Admin pages of the targeting workflow: the export log, DTKS checks (request list out,
results in), the heirs follow-up (worklist and bulk import), the yearly priority rule with its
ranked list, and the proposal batches made from it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Exists, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.scoping import CITY_WIDE, NOT_PERSONAL, scope_queryset
from importer.admin import StagedImportMixin
from participants.admin import nik_search
from participants.models import Heir, Relationship, WorkerType
from participants.privacy import can_view_full_nik, shown_nik
from siaga.admin_base import SiagaAdmin, refuse_scoped_user, warn_bad_query_value

from .admin_actions import DtksCheckDueFilter, download_dtks_request_list
from .forms import DtksUploadForm, ProposeForm
from .models import (
    RULE_WEIGHT_FIELDS,
    DtksCheck,
    ExportLog,
    HeirFollowUp,
    ProposalBatch,
    ProposalItem,
    ProposalSkip,
    TargetingRule,
)
from .resources import DtksResultImporter, HeirImporter
from .selectors import (
    awaiting_renewal,
    explain,
    heirs_followup_by_kelurahan,
    heirs_followup_workers,
    ranked_candidates,
    score_summary,
)
from .services import proposals_from_priority, targeting_rule_save

PROPOSE_PERMISSION = "enrollment.add_enrollment"


class ReadOnlyAdmin(SiagaAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ExportLog)
class ExportLogAdmin(ReadOnlyAdmin):
    """The record of personal-data exports; never edited by hand."""

    # A scoped user sees the log of their own exports only.
    scope_worker_path = NOT_PERSONAL
    scope_owner_field = "created_by"

    list_display = ["created_at", "created_by", "kind", "purpose", "row_count", "file_name"]
    list_filter = ["kind"]
    list_select_related = ["created_by"]
    search_fields = ["file_name", "created_by__username", "purpose"]
    date_hierarchy = "created_at"


class MaskedNikMixin:
    """NIK and KK masked in the list and on the record's page unless the user may see them."""

    @admin.display(description=_("NIK"), ordering="nik")
    def masked_nik(self, worker) -> str:
        return shown_nik(worker.nik, None)

    @admin.display(description=_("KK number"))
    def masked_kk_number(self, worker) -> str:
        return shown_nik(worker.kk_number, None) or "-"

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if can_view_full_nik(request.user):
            return fields
        swap = {"nik": "masked_nik", "kk_number": "masked_kk_number"}
        return [swap.get(f, f) for f in fields]

    def get_list_display(self, request):
        if can_view_full_nik(request.user):
            return ["nik", *self.list_display[1:]]
        return self.list_display

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return nik_search(queryset, search_term, name_field="full_name"), False


@admin.register(DtksCheck)
class DtksCheckAdmin(MaskedNikMixin, StagedImportMixin, ReadOnlyAdmin):
    """Who has been checked against DTKS/DTSEN, the request list, and the result import."""

    scope_worker_path = ""

    spreadsheet_importer_class = DtksResultImporter
    upload_form_class = DtksUploadForm
    import_export_change_list_template = "admin/targeting/dtkscheck/change_list.html"
    list_display = [
        "masked_nik",
        "full_name",
        "kelurahan",
        "worker_type",
        "dtks_status",
        "dtks_desil",
        "dtks_checked_on",
        "dtks_source",
    ]
    list_select_related = ["kelurahan"]
    list_filter = [
        DtksCheckDueFilter,
        "dtks_status",
        "dtks_desil",
        ("kelurahan__kecamatan", admin.RelatedOnlyFieldListFilter),
        "kelurahan",
        "worker_type",
    ]
    search_fields = ["nik", "full_name"]
    actions = [download_dtks_request_list]
    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_active=True)

    def get_actions(self, request):
        # The delete action is gone with the delete permission; keep only the download.
        return {
            name: value
            for name, value in super().get_actions(request).items()
            if name == "download_dtks_request_list"
        }

    def importer_from_upload(self, form: DtksUploadForm) -> DtksResultImporter:
        """The result file comes with its check date and source (kept on the job, so a long
        file staged by the background worker gets them too)."""
        answers = form.cleaned_data.get("answers")
        return DtksResultImporter(
            checked_on=form.cleaned_data["checked_on"],
            source=form.cleaned_data["source"],
            request_id=answers.pk if answers else None,
        )


class FollowUpFilter(admin.SimpleListFilter):
    title = _("to complete")
    parameter_name = "todo"

    def lookups(self, request, model_admin):
        return [
            ("no_heirs", _("No heirs recorded")),
            ("no_birth_date", _("Heir without date of birth")),
            ("no_school_level", _("Child without school level")),
        ]

    def queryset(self, request, queryset):
        heirs = Heir.objects.filter(worker=OuterRef("pk"))
        match self.value():
            case "no_heirs":
                return queryset.filter(heir_count=0)
            case "no_birth_date":
                return queryset.filter(Exists(heirs.filter(birth_date__isnull=True)))
            case "no_school_level":
                return queryset.filter(
                    Exists(heirs.filter(relationship=Relationship.CHILD, school_level=""))
                )
        return queryset


@admin.register(HeirFollowUp)
class HeirFollowUpAdmin(MaskedNikMixin, StagedImportMixin, ReadOnlyAdmin):
    """Field staff's worklist: workers without heirs or with incomplete heirs, per kelurahan,
    and the bulk heirs import."""

    scope_worker_path = ""

    spreadsheet_importer_class = HeirImporter
    import_export_change_list_template = "admin/targeting/heirfollowup/change_list.html"
    list_display = [
        "masked_nik",
        "full_name",
        "kelurahan",
        "address",
        "phone",
        "heir_count",
        "incomplete_heirs",
    ]
    list_select_related = ["kelurahan"]
    list_filter = [
        FollowUpFilter,
        ("kelurahan__kecamatan", admin.RelatedOnlyFieldListFilter),
        "kelurahan",
    ]
    search_fields = ["nik", "full_name"]
    list_per_page = 100
    ordering = ["kelurahan__code", "address", "full_name"]

    def get_queryset(self, request):
        return self.scope_queryset(request, heirs_followup_workers())

    @admin.display(description=_("heirs"), ordering="heir_count")
    def heir_count(self, worker) -> int:
        return worker.heir_count

    @admin.display(description=_("heirs to complete"), ordering="incomplete_heirs")
    def incomplete_heirs(self, worker) -> int:
        return worker.incomplete_heirs

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "by_kelurahan": heirs_followup_by_kelurahan()}
        return super().changelist_view(request, extra_context)


@admin.register(TargetingRule)
class TargetingRuleAdmin(SiagaAdmin):
    """Weights per program year (administrators), and the ranked list they produce."""

    # The priority list itself is narrowed to the scope (priority_view).
    scope_worker_path = NOT_PERSONAL

    list_display = [
        "program_year",
        "dtks_registered_points",
        "desil_points",
        "school_age_heir_points",
        "bpu_points",
        "disability_points",
        "waiting_points",
        "updated_by",
        "updated_at",
    ]
    readonly_fields = ["updated_by", "updated_at"]
    change_form_template = "admin/targeting/targetingrule/change_form.html"

    def save_model(self, request, obj, form, change):
        targeting_rule_save(rule=obj, user=request.user)

    def get_urls(self):
        return [
            path(
                "<int:rule_id>/priority/",
                self.admin_site.admin_view(self.priority_view),
                name="targeting_targetingrule_priority",
            ),
            *super().get_urls(),
        ]

    def priority_view(self, request: HttpRequest, rule_id: int) -> HttpResponse:
        """The ranked candidates for the rule's year, and "propose the top N"."""
        rule = get_object_or_404(TargetingRule.objects.select_related("program_year"), pk=rule_id)
        if not self.has_view_permission(request, rule):
            raise PermissionDenied
        may_propose = request.user.has_perm(PROPOSE_PERMISSION)
        worker_type = request.GET.get("worker_type") or None
        if worker_type not in (None, *WorkerType.values):
            warn_bad_query_value(request, gettext("worker type"), worker_type)
            worker_type = None
        form = ProposeForm(
            request.POST or None, initial={"worker_type": worker_type or "BPU", "count": 10}
        )
        if request.method == "POST":
            if not may_propose:
                raise PermissionDenied
            refuse_scoped_user(request)  # the top N of the whole city
            if form.is_valid():
                try:
                    outcome = proposals_from_priority(
                        program_year=rule.program_year,
                        worker_type=form.cleaned_data["worker_type"],
                        count=form.cleaned_data["count"],
                        user=request.user,
                    )
                except ValidationError as exc:
                    messages.error(request, "; ".join(exc.messages))
                else:
                    batch = outcome.batch
                    messages.success(
                        request,
                        gettext("%(count)d candidates proposed, %(skipped)d skipped. %(why)s")
                        % {
                            "count": len(outcome.proposed),
                            "skipped": len(outcome.skipped),
                            "why": batch.stopped_because,
                        },
                    )
                    return HttpResponseRedirect(
                        reverse("admin:targeting_proposalbatch_change", args=[batch.pk])
                    )
        candidates = scope_queryset(
            request.user,
            ranked_candidates(program_year=rule.program_year, rule=rule, worker_type=worker_type),
            "",
        )
        page = Paginator(candidates, 50).get_page(request.GET.get("page"))
        full_nik = can_view_full_nik(request.user)
        offset = (page.number - 1) * page.paginator.per_page
        rows = []
        for index, worker in enumerate(page.object_list, start=1):
            parts = [p for p in explain(worker, rule) if p.points]
            rows.append(
                {
                    "rank": offset + index,
                    "worker": worker,
                    "nik": worker.nik if full_nik else shown_nik(worker.nik, None),
                    "parts": parts,
                    "summary": score_summary(parts),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": rule,
            "title": gettext("Priority list %(year)s") % {"year": rule.program_year},
            "rule": rule,
            "page": page,
            "rows": rows,
            "form": form,
            "may_propose": may_propose,
            "worker_type": worker_type or "",
            "awaiting_renewal": awaiting_renewal(rule.program_year, worker_type=worker_type),
            # The list needs the screen's width: 20+ one-line rows at 1366×768.
            "is_nav_sidebar_enabled": False,
            "may_see_years": request.user.has_perm("enrollment.view_programyear"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/targeting/targetingrule/priority.html", context)


class ProposalItemInline(admin.TabularInline):
    model = ProposalItem
    fields = ["rank", "enrollment", "score", "explanation_text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("why"))
    def explanation_text(self, item: ProposalItem) -> str:
        return "; ".join(
            f"{p['label']}: {p['count']} × {p['weight']} = {p['points']}"
            for p in item.explanation
            if p["points"]
        )


def wib(moment) -> str:
    """A stored time as office staff read it: Asia/Jakarta (WIB), with the zone named."""
    if moment is None:
        return "-"
    return f"{timezone.localtime(moment):%d-%m-%Y %H:%M} WIB"


def rule_snapshot_rows(snapshot: dict[str, Any]) -> list[tuple[str, str]]:
    """A batch's recorded rule as (label, value) rows, labels as the rule's page names them."""
    labels: dict[str, Any] = {
        name: TargetingRule._meta.get_field(name).verbose_name for name in RULE_WEIGHT_FIELDS
    }
    labels["tie_break"] = _("tie-break for equal scores")
    labels["tie_break_salt"] = _("tie-break salt (program year)")
    if "tie_break" not in snapshot:
        # Batches made before the neutral tie-break were ordered by registration, then NIK.
        snapshot = {
            **snapshot,
            "tie_break": gettext("registration time, then NIK (before the neutral tie-break)"),
        }
    rows = []
    for key, value in snapshot.items():
        label = labels.get(key, key)
        rows.append((str(label)[:1].upper() + str(label)[1:], "-" if value is None else str(value)))
    return rows


class ProposalSkipInline(admin.TabularInline):
    """Who the run passed over and why (issue 11: it skips and goes on)."""

    model = ProposalSkip
    fields = ["rank", "worker", "reason"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("skipped candidates (not proposed)")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("worker")


@admin.register(ProposalBatch)
class ProposalBatchAdmin(ReadOnlyAdmin):
    # "Propose the top N" ranks the whole city.
    scope_worker_path = CITY_WIDE
    list_display = [
        "created_at_wib",
        "program_year",
        "worker_type",
        "requested",
        "proposed_count",
        "created_by",
    ]
    list_filter = ["program_year", "worker_type"]
    list_select_related = ["program_year", "created_by"]
    readonly_fields = [
        "program_year",
        "worker_type",
        "requested",
        "rule_table",
        "ranked_on",
        "stopped_because",
        "created_at_wib",
        "created_by",
    ]
    fields = readonly_fields
    inlines = [ProposalItemInline, ProposalSkipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_items=Count("items"))

    @admin.display(description=_("proposed"), ordering="n_items")
    def proposed_count(self, batch: ProposalBatch) -> int:
        return batch.n_items

    @admin.display(description=_("created at"), ordering="created_at")
    def created_at_wib(self, batch: ProposalBatch) -> str:
        return wib(batch.created_at)

    @admin.display(description=_("rule in force"))
    def rule_table(self, batch: ProposalBatch) -> str:
        return format_html(
            '<table class="rule-snapshot">{}</table>',
            format_html_join(
                "", "<tr><th>{}</th><td>{}</td></tr>", rule_snapshot_rows(batch.rule_snapshot)
            ),
        )
