"""Program years with their rates, quotas, money figures and BPJS files."""

from __future__ import annotations

import tempfile

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery, Sum
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.scoping import CITY_WIDE, NOT_PERSONAL
from participants.models import WorkerType
from participants.privacy import shown_nik
from siaga.admin_base import SiagaAdmin, SiagaHistoryAdmin, refuse_scoped_user
from siaga.formatting import number, rupiah

from .. import bpjs, limits, renewal, selectors, services
from ..forms import ProgramYearForm, QuotaTargetForm
from ..models import (
    BpjsExport,
    EligibilityRequirement,
    Enrollment,
    EnrollmentStatus,
    PremiumRate,
    ProgramYear,
    QuotaTarget,
)
from ..premiums import round_rupiah
from ..services import BPJS_PERMISSION
from .common import MAX_FAILURES_LISTED, ClosedYearReadOnlyMixin


class PremiumRateInline(ClosedYearReadOnlyMixin, admin.TabularInline):
    model = PremiumRate
    extra = 0
    fields = [
        "worker_type",
        "risk_class",
        "jkk_amount",
        "jkm_amount",
        "jkk_percent",
        "jkm_percent",
        "legal_basis",
    ]


class QuotaTargetInline(ClosedYearReadOnlyMixin, admin.TabularInline):
    model = QuotaTarget
    form = QuotaTargetForm
    extra = 0
    fields = ["worker_type", "segment", "kecamatan", "target", "used", "below_use_reason"]
    readonly_fields = ["used"]

    @admin.display(description=_("used"))
    def used(self, quota: QuotaTarget) -> str:
        if quota.pk is None:
            return "-"
        used = limits.quota_used(quota)
        if used > quota.target:
            return format_html(
                '<strong class="errornote">{}</strong>',
                gettext("%(used)d of %(target)d: over-committed by %(over)d")
                % {"used": used, "target": quota.target, "over": used - quota.target},
            )
        return gettext("%(used)d of %(target)d (%(left)d left)") % {
            "used": used,
            "target": quota.target,
            "left": quota.target - used,
        }


class EligibilityRequirementInline(ClosedYearReadOnlyMixin, admin.StackedInline):
    """The year's conditions per worker type beyond age and residence (docs/enrollment.md)."""

    model = EligibilityRequirement
    extra = 0
    max_num = len(WorkerType.values)
    fields = [
        "worker_type",
        ("dtks_required", "max_desil"),
        "income_ceiling",
        "segments",
        "legal_basis",
    ]
    filter_horizontal = ["segments"]


@admin.register(ProgramYear)
class ProgramYearAdmin(ClosedYearReadOnlyMixin, SiagaHistoryAdmin):
    scope_worker_path = NOT_PERSONAL
    list_display = ["year", "status", "budget_display", "committed_display", "remaining_display"]
    list_filter = ["status"]
    form = ProgramYearForm
    inlines = [PremiumRateInline, QuotaTargetInline, EligibilityRequirementInline]
    readonly_fields = ["figures"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "year",
                    "status",
                    "budget",
                    "budget_below_use_reason",
                    ("coverage_start", "coverage_end"),
                ]
            },
        ),
        (_("Age limits"), {"fields": [("min_age", "max_age")]}),
        (_("PU wage base"), {"fields": [("pu_wage_base", "umk")]}),
        (_("Budget"), {"fields": ["figures"]}),
        (_("Notes"), {"fields": ["notes"]}),
    ]
    actions = ["renew_into_next_year", "renew_including_unconfirmed", "end_expired"]
    change_form_template = "admin/enrollment/programyear/change_form.html"

    def get_queryset(self, request):
        # A correlated subquery, not a join + GROUP BY: the list's COUNT then skips the
        # enrollments entirely, and each sum is an index-only scan (migration 0004).
        committed = (
            Enrollment.objects.filter(program_year=OuterRef("pk"))
            .order_by()
            .values("program_year")
            .annotate(total=Sum("committed_micro"))
            .values("total")
        )
        return super().get_queryset(request).annotate(committed=Subquery(committed))

    @admin.display(description=_("budget"), ordering="budget")
    def budget_display(self, year: ProgramYear) -> str:
        return rupiah(year.budget)

    @admin.display(description=_("committed"), ordering="committed")
    def committed_display(self, year: ProgramYear) -> str:
        return rupiah(round_rupiah(year.committed or 0))  # exact sum, rounded once

    @admin.display(description=_("remaining"))
    def remaining_display(self, year: ProgramYear) -> str:
        return rupiah(year.budget - round_rupiah(year.committed or 0))

    @admin.display(description=_("figures"))
    def figures(self, year: ProgramYear) -> str:
        if year.pk is None:
            return "-"
        figures = selectors.year_figures(year)
        overrun = selectors.limit_overruns(year)
        warnings = (
            [
                gettext("Over-committed: Rp %(over)s more than the budget. Reason: %(reason)s")
                % {
                    "over": number(overrun.budget_over),
                    "reason": year.budget_below_use_reason or "-",
                }
            ]
            if overrun.budget_over
            else []
        )
        warnings += [
            gettext("Quota %(quota)s over-committed: %(used)d of %(target)d. Reason: %(reason)s")
            % {"quota": q.quota, "used": q.used, "target": q.quota.target,
               "reason": q.quota.below_use_reason or "-"}
            for q in overrun.quotas
        ]  # fmt: skip
        rows = [
            (gettext("Allocated (APBD budget)"), rupiah(figures.allocated)),
            (gettext("Committed (verified, submitted, active)"), rupiah(figures.committed)),
            (gettext("Realised (paid invoices)"), rupiah(figures.realised)),
            (gettext("Remaining"), rupiah(figures.remaining)),
        ]
        rows += [
            (EnrollmentStatus(status).label, str(count))
            for status, count in figures.by_status.items()
            if count
        ]
        return format_html(
            "{}<table>{}</table>",
            format_html_join("", '<p class="errornote">{}</p>', ((w,) for w in warnings)),
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

    def save_model(self, request, obj, form, change):
        # The budget rule (a reason below what is committed) under the year's lock.
        services.program_year_save(program_year=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        year = form.instance
        if not change and not year.rates.exists():
            previous = ProgramYear.objects.filter(year__lt=year.year).order_by("-year").first()
            if previous:
                copied = services.program_year_copy_rates(program_year=year, source=previous)
                messages.info(
                    request,
                    gettext(
                        "%(count)d premium rates were copied from %(year)s; check them against "
                        "the current regulation."
                    )
                    % {"count": copied, "year": previous.year},
                )

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/bpjs-export/",
                self.admin_site.admin_view(self.bpjs_export_view),
                name="enrollment_programyear_bpjs_export",
            ),
        ]
        return urls + super().get_urls()

    def _bpjs_year(self, request, pk) -> ProgramYear:
        if not request.user.has_perm(BPJS_PERMISSION):
            raise PermissionDenied
        refuse_scoped_user(request)  # the file carries the whole year
        return get_object_or_404(ProgramYear, pk=pk)

    def bpjs_export_view(self, request, pk):
        """GET: what the file would carry and leave out; POST: make it, which submits the
        verified enrollments it carries (bpjs.bpjs_export_create) and records the file."""
        year = self._bpjs_year(request, pk)
        resend = request.POST.get("resend") == "1" or request.GET.get("resend") == "1"
        if request.method == "POST" and not year.is_closed:
            handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
            try:
                export = bpjs.bpjs_export_create(
                    program_year=year, user=request.user, stream=handle, resend=resend
                )
            except ValidationError as exc:
                handle.close()
                self.message_user(request, " ".join(exc.messages), messages.ERROR)
                return HttpResponseRedirect(request.path)
            # UU 27/2022: exports of personal data are logged.
            self.log_change(
                request,
                year,
                gettext(
                    "BPJS registration file %(file)s: %(count)d participants, %(new)d newly "
                    "submitted."
                )
                % {
                    "file": export.file_name,
                    "count": export.row_count,
                    "new": export.submitted_count,
                },
            )
            return FileResponse(handle, as_attachment=True, filename=export.file_name)
        plan = bpjs.export_plan(year, resend=resend)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": year,
            "title": gettext("Registration file for BPJS %(year)s") % {"year": year.year},
            "plan": plan,
            "resend": resend,
            "refusal": plan.nothing_to_send(),
            "unapproved": plan.approval_refusal(),
            "left_out": [
                (shown_nik(e.worker.nik, request.user), e.worker.full_name, why)
                for e, why in plan.left_out[:MAX_FAILURES_LISTED]
            ],
            "waiting": plan.by_status.get(EnrollmentStatus.SUBMITTED, 0),
            "exports": year.bpjs_exports.select_related("created_by")[:10],
        }
        return TemplateResponse(request, "admin/enrollment/programyear/bpjs_export.html", context)

    @admin.action(
        description=_("Renew active participants into the next year"), permissions=["propose"]
    )
    def renew_into_next_year(self, request, queryset):
        self._renew(request, queryset)

    @admin.action(
        description=_("Renew into the next year, also those the yearly update has not confirmed"),
        permissions=["propose"],
    )
    def renew_including_unconfirmed(self, request, queryset):
        """Staff decide to renew people the yearly update (pemutakhiran) has not confirmed:
        an intermediate page asks why; the reason goes into each proposal's note."""
        from ..forms import ReasonForm

        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._renew(request, queryset, include_unconfirmed_reason=form.cleaned_data["reason"])
            return HttpResponseRedirect(request.get_full_path())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Why renew people the yearly update has not confirmed?"),
            "form": form,
            "years": queryset.order_by("year"),
            "action_name": "renew_including_unconfirmed",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(
            request, "admin/enrollment/programyear/renew_unconfirmed.html", context
        )

    def _renew(self, request, queryset, include_unconfirmed_reason: str = "") -> None:
        refuse_scoped_user(request)  # renews the whole city
        for year in queryset.order_by("year"):
            target = ProgramYear.objects.filter(year=year.year + 1).first()
            if target is None:
                messages.error(
                    request,
                    gettext("Create program year %(year)s first.") % {"year": year.year + 1},
                )
                continue
            try:
                report = renewal.enrollments_renew(
                    from_year=year,
                    to_year=target,
                    user=request.user,
                    include_unconfirmed_reason=include_unconfirmed_reason,
                )
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
                continue
            messages.success(
                request,
                gettext(
                    "Renewal %(from)s → %(to)s: %(created)d proposed, %(already)d already in "
                    "%(to)s, %(skipped)d not renewed."
                )
                % {
                    "from": year.year,
                    "to": target.year,
                    "created": len(report.created),
                    "already": report.already,
                    "skipped": report.not_renewed_count,
                },
            )
            if report.unconfirmed_included:
                messages.info(
                    request,
                    gettext("%(count)d not confirmed by the yearly update were renewed: %(why)s")
                    % {
                        "count": len(report.unconfirmed_included),
                        "why": include_unconfirmed_reason,
                    },
                )
            if report.not_renewed:
                messages.warning(
                    request,
                    format_html(
                        "<ul>{}</ul>",
                        format_html_join(
                            "",
                            "<li>{} {}: {}</li>",
                            (
                                (shown_nik(r.nik, request.user), r.full_name, r.reason)
                                for r in report.not_renewed[:MAX_FAILURES_LISTED]
                            ),
                        ),
                    ),
                )

    @admin.action(
        description=_("End enrollments whose coverage has run out"), permissions=["decide"]
    )
    def end_expired(self, request, queryset):
        refuse_scoped_user(request)  # ends the whole city's expired cover
        for year in queryset:
            try:
                count = services.enrollments_end_expired(program_year=year, user=request.user)
            except ValidationError as exc:
                messages.error(request, "; ".join(exc.messages))
                continue
            messages.success(
                request,
                gettext("%(year)s: %(count)d enrollments ended.")
                % {"year": year.year, "count": count},
            )


@admin.register(BpjsExport)
class BpjsExportAdmin(SiagaAdmin):
    """The record of each registration file sent to BPJS: looked at, never changed."""

    # A BPJS file carries the whole year's participants.
    scope_worker_path = CITY_WIDE

    list_display = [
        "file_name",
        "program_year",
        "created_at",
        "created_by",
        "row_count",
        "submitted_count",
    ]
    list_filter = ["program_year"]
    list_select_related = ["program_year", "created_by"]
    fields = [
        "program_year",
        "file_name",
        "file_sha256",
        "created_at",
        "created_by",
        "row_count",
        "submitted_count",
        "left_out",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
