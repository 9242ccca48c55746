"""Program years with their rates, quotas, money figures and BPJS files."""

from __future__ import annotations

import tempfile

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery, Sum
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from participants.privacy import shown_nik
from siaga.admin_base import SiagaHistoryAdmin
from siaga.formatting import rupiah

from .. import bpjs, limits, renewal, selectors, services
from ..models import (
    Enrollment,
    EnrollmentStatus,
    PremiumRate,
    ProgramYear,
    QuotaTarget,
)
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
    extra = 0
    fields = ["worker_type", "segment", "kecamatan", "target", "used"]
    readonly_fields = ["used"]

    @admin.display(description=_("used"))
    def used(self, quota: QuotaTarget) -> str:
        if quota.pk is None:
            return "-"
        used = limits.quota_used(quota)
        return gettext("%(used)d of %(target)d (%(left)d left)") % {
            "used": used,
            "target": quota.target,
            "left": quota.target - used,
        }


@admin.register(ProgramYear)
class ProgramYearAdmin(ClosedYearReadOnlyMixin, SiagaHistoryAdmin):
    list_display = ["year", "status", "budget_display", "committed_display", "remaining_display"]
    list_filter = ["status"]
    inlines = [PremiumRateInline, QuotaTargetInline]
    readonly_fields = ["figures"]
    fieldsets = [
        (None, {"fields": ["year", "status", "budget", ("coverage_start", "coverage_end")]}),
        (_("Age limits"), {"fields": [("min_age", "max_age")]}),
        (_("Budget"), {"fields": ["figures"]}),
        (_("Notes"), {"fields": ["notes"]}),
    ]
    actions = ["renew_into_next_year", "end_expired"]
    change_form_template = "admin/enrollment/programyear/change_form.html"

    def get_queryset(self, request):
        # A correlated subquery, not a join + GROUP BY: the list's COUNT then skips the
        # enrollments entirely, and each sum is an index-only scan (migration 0004).
        committed = (
            Enrollment.objects.filter(program_year=OuterRef("pk"))
            .order_by()
            .values("program_year")
            .annotate(total=Sum("committed_amount"))
            .values("total")
        )
        return super().get_queryset(request).annotate(committed=Subquery(committed))

    @admin.display(description=_("budget"), ordering="budget")
    def budget_display(self, year: ProgramYear) -> str:
        return rupiah(year.budget)

    @admin.display(description=_("committed"), ordering="committed")
    def committed_display(self, year: ProgramYear) -> str:
        return rupiah(year.committed or 0)

    @admin.display(description=_("remaining"))
    def remaining_display(self, year: ProgramYear) -> str:
        return rupiah(year.budget - (year.committed or 0))

    @admin.display(description=_("figures"))
    def figures(self, year: ProgramYear) -> str:
        if year.pk is None:
            return "-"
        figures = selectors.year_figures(year)
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
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows),
        )

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
        return get_object_or_404(ProgramYear, pk=pk)

    def bpjs_export_view(self, request, pk):
        year = self._bpjs_year(request, pk)
        handle = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
        count = bpjs.export_submitted(year, handle)
        handle.seek(0)
        # UU 27/2022: exports of personal data are logged.
        self.log_change(
            request,
            year,
            gettext("Exported %(count)d submitted participants for BPJS.") % {"count": count},
        )
        return FileResponse(
            handle,
            as_attachment=True,
            filename=f"siaga-pendaftaran-bpjs-{year.year}-{timezone.localdate():%Y%m%d}.xlsx",
        )

    @admin.action(
        description=_("Renew active participants into the next year"), permissions=["propose"]
    )
    def renew_into_next_year(self, request, queryset):
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
                    from_year=year, to_year=target, user=request.user
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
                    "already": len(report.already),
                    "skipped": len(report.not_renewed),
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
                                (shown_nik(w.nik, request.user), w.full_name, why)
                                for w, why in report.not_renewed[:MAX_FAILURES_LISTED]
                            ),
                        ),
                    ),
                )

    @admin.action(
        description=_("End enrollments whose coverage has run out"), permissions=["decide"]
    )
    def end_expired(self, request, queryset):
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
