from __future__ import annotations

import os
import tempfile
from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet, Sum
from django.http import FileResponse, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from siaga.pagination import EstimatedCountPaginator

from . import bpjs, selectors, services
from .forms import (
    ClaimForm,
    EnrollmentProposeForm,
    OverrideForm,
    ReasonForm,
    TerminateForm,
    UploadForm,
)
from .models import (
    Claim,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    InvoiceLine,
    PremiumInvoice,
    PremiumRate,
    ProgramYear,
    QuotaTarget,
)

MAX_FAILURES_LISTED = 30
BPJS_PERMISSION = "enrollment.manage_bpjs_exchange"


def rupiah(value: int | None) -> str:
    if value is None:
        return "-"
    return "Rp " + f"{value:,}".replace(",", ".")


def report_bulk(
    request: HttpRequest,
    queryset: QuerySet[Enrollment],
    action: Callable[[Enrollment], object],
    *,
    done_message: str,
) -> None:
    """Run ``action`` on each enrollment (each in its own transaction) and tell staff how many
    succeeded and why each of the others did not."""
    succeeded = 0
    failures: list[str] = []
    for enrollment in queryset.select_related("worker").order_by("pk"):
        try:
            action(enrollment)
        except ValidationError as exc:
            who = f"{enrollment.worker.nik} {enrollment.worker.full_name}"
            failures.append(f"{who}: {'; '.join(exc.messages)}")
        else:
            succeeded += 1
    messages.success(request, done_message % {"count": succeeded})
    if failures:
        messages.error(
            request,
            format_html(
                "{}<ul>{}</ul>",
                ngettext(
                    "%(count)d enrollment was not changed:",
                    "%(count)d enrollments were not changed:",
                    len(failures),
                )
                % {"count": len(failures)},
                format_html_join("", "<li>{}</li>", ((f,) for f in failures[:MAX_FAILURES_LISTED])),
            ),
        )


# --- program years -----------------------------------------------------------------------------


class ClosedYearReadOnlyMixin:
    """A closed program year, its rates and quotas can be looked at, never changed."""

    def _year_of(self, obj) -> ProgramYear | None:
        if obj is None:
            return None
        return obj if isinstance(obj, ProgramYear) else getattr(obj, "program_year", None)

    def has_change_permission(self, request, obj=None):
        year = self._year_of(obj)
        if year is not None and year.is_closed:
            return False
        return super().has_change_permission(request, obj)

    def has_add_permission(self, request, *args):
        # ModelAdmin passes no object; an inline passes its parent (the year).
        year = self._year_of(args[0] if args else None)
        if year is not None and year.is_closed:
            return False
        return super().has_add_permission(request, *args)

    def has_delete_permission(self, request, obj=None):
        year = self._year_of(obj)
        if year is not None and year.is_closed:
            return False
        return super().has_delete_permission(request, obj)


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
        used = services.quota_used(quota)
        return gettext("%(used)d of %(target)d (%(left)d left)") % {
            "used": used,
            "target": quota.target,
            "left": quota.target - used,
        }


@admin.register(ProgramYear)
class ProgramYearAdmin(ClosedYearReadOnlyMixin, admin.ModelAdmin):
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
        queryset = super().get_queryset(request)
        return queryset.annotate(committed=Sum("enrollments__committed_amount"))

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
            path(
                "<int:pk>/bpjs-import/",
                self.admin_site.admin_view(self.bpjs_import_view),
                name="enrollment_programyear_bpjs_import",
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

    def bpjs_import_view(self, request, pk):
        year = self._bpjs_year(request, pk)
        form = UploadForm(request.POST or None, request.FILES or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": year,
            "title": gettext("Activate from BPJS file · %(year)s") % {"year": year.year},
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = os.path.splitext(upload.name)[1].lower()
            # The file holds NIKs: keep it only while reading it (UU 27/2022).
            with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
                handle.flush()
                parsed = bpjs.read_bpjs_activation_file(handle.name)
            report = services.enrollment_activate_from_bpjs(
                year=year, rows=parsed.rows, user=request.user
            )
            unmatched = [(row.get("row"), row.get("nik"), why) for row, why in report.unmatched]
            unmatched += [(number, "", why) for number, why in parsed.errors]
            unmatched.sort(key=lambda item: item[0] or 0)
            self.log_change(
                request,
                year,
                gettext("BPJS activation file: %(matched)d activated, %(unmatched)d not.")
                % {"matched": len(report.matched), "unmatched": len(unmatched)},
            )
            context.update({"matched": report.matched, "unmatched": unmatched, "done": True})
        return TemplateResponse(request, "admin/enrollment/bpjs_import.html", context)

    @admin.action(description=_("Renew active participants into the next year"))
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
                report = services.enrollments_renew(
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
                                (w.nik, w.full_name, why)
                                for w, why in report.not_renewed[:MAX_FAILURES_LISTED]
                            ),
                        ),
                    ),
                )

    @admin.action(description=_("End enrollments whose coverage has run out"))
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


# --- enrollments -------------------------------------------------------------------------------


class EnrollmentEventInline(admin.TabularInline):
    model = EnrollmentEvent
    extra = 0
    fields = ["at", "from_status", "to_status", "by", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ClaimInline(admin.TabularInline):
    model = Claim
    extra = 0
    fields = ["claim_type", "event_date", "fatal", "status", "benefit_amount"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Enrollment)
class EnrollmentAdmin(admin.ModelAdmin):
    list_display = [
        "nik",
        "full_name",
        "program_year",
        "worker_type",
        "status",
        "monthly_premium_display",
        "coverage_start",
        "coverage_end",
        "kpj_number",
    ]
    list_select_related = ["worker", "program_year"]
    list_filter = [
        "program_year",
        "status",
        "worker_type",
        "termination_reason",
        "quota_override",
        ("worker__kelurahan__kecamatan", admin.RelatedOnlyFieldListFilter),
        ("worker__segment", admin.RelatedOnlyFieldListFilter),
    ]
    search_fields = ["worker__nik", "kpj_number", "worker__full_name"]
    search_help_text = _("NIK (16 digits, or its first digits), KPJ number (11 digits) or name.")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    raw_id_fields = ["worker"]
    inlines = [EnrollmentEventInline, ClaimInline]
    actions = [
        "verify_selected",
        "verify_beyond_quota",
        "submit_selected",
        "terminate_selected",
        "reject_selected",
    ]
    readonly_fields = [
        "worker",
        "program_year",
        "worker_type",
        "risk_class",
        "declared_wage",
        "status",
        "monthly_premium",
        "committed_amount",
        "coverage_start",
        "coverage_end",
        "kpj_number",
        "termination_reason",
        "status_note",
        "status_changed_at",
        "quota_override",
        "quota_override_reason",
        "quota_override_by",
        "renewed_from",
        "created_at",
        "created_by",
        "eligibility_display",
    ]
    fieldsets = [
        (None, {"fields": ["worker", "program_year", "eligibility_display"]}),
        (
            _("Status"),
            {
                "fields": [
                    "status",
                    "status_note",
                    "status_changed_at",
                    "termination_reason",
                    "kpj_number",
                ]
            },
        ),
        (
            _("Premium and coverage"),
            {
                "fields": [
                    ("worker_type", "risk_class", "declared_wage"),
                    ("monthly_premium", "committed_amount"),
                    ("coverage_start", "coverage_end"),
                ]
            },
        ),
        (
            _("Quota override"),
            {
                "classes": ["collapse"],
                "fields": ["quota_override", "quota_override_reason", "quota_override_by"],
            },
        ),
        (
            _("Record"),
            {"classes": ["collapse"], "fields": ["renewed_from", "created_at", "created_by"]},
        ),
    ]

    @admin.display(description=_("NIK"), ordering="worker__nik")
    def nik(self, enrollment: Enrollment) -> str:
        return enrollment.worker.nik

    @admin.display(description=_("name"), ordering="worker__full_name")
    def full_name(self, enrollment: Enrollment) -> str:
        return enrollment.worker.full_name

    @admin.display(description=_("monthly premium"), ordering="monthly_premium")
    def monthly_premium_display(self, enrollment: Enrollment) -> str:
        return rupiah(enrollment.monthly_premium)

    @admin.display(description=_("eligibility"))
    def eligibility_display(self, enrollment: Enrollment) -> str:
        if enrollment.pk is None:
            return "-"
        result = services.enrollment_eligibility(
            worker=enrollment.worker,
            program_year=enrollment.program_year,
            worker_type=enrollment.worker_type,
            coverage_start=enrollment.coverage_start,
            exclude=enrollment,
        )
        lines = [("✖", str(f)) for f in result.errors] + [("⚠", str(f)) for f in result.warnings]
        if not lines:
            return gettext("Eligible, no warnings.")
        return format_html_join("", "<div>{} {}</div>", lines)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip().replace(" ", "")
        if not term:
            return queryset, False
        if term.isdigit():
            if len(term) == 16:
                return queryset.filter(worker__nik=term), False
            if len(term) == 11:
                return queryset.filter(kpj_number=term), False
            return queryset.filter(worker__nik__startswith=term), False
        return queryset.filter(worker__full_name__icontains=search_term.strip()), False

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return self.readonly_fields

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (
                    None,
                    {
                        "fields": [
                            "worker",
                            "program_year",
                            "risk_class",
                            ("coverage_start", "coverage_end"),
                            "reason",
                        ]
                    },
                )
            ]
        return self.fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = EnrollmentProposeForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        return services.enrollment_propose(
            worker=data["worker"],
            program_year=data["program_year"],
            user=request.user,
            risk_class=data.get("risk_class") or "",
            coverage_start=data.get("coverage_start"),
            coverage_end=data.get("coverage_end"),
            reason=data.get("reason", ""),
        )

    def save_model(self, request, obj, form, change):
        # New enrollments are saved by enrollment_propose in save_form; nothing is editable.
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        # An enrollment is history: it is terminated or rejected, never deleted.
        return False

    # Actions ----------------------------------------------------------------------------------

    @admin.action(description=_("Verify selected enrollments"), permissions=["change"])
    def verify_selected(self, request, queryset):
        report_bulk(
            request,
            queryset,
            lambda e: services.enrollment_verify(enrollment=e, user=request.user),
            done_message=gettext("%(count)d enrollments verified."),
        )

    @admin.action(
        description=_("Verify beyond the quota (supervisor, with reason)"),
        permissions=["override_quota"],
    )
    def verify_beyond_quota(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            OverrideForm,
            "verify_beyond_quota",
            lambda e, data: services.enrollment_verify(
                enrollment=e, user=request.user, override_quota_reason=data["reason"]
            ),
            gettext("%(count)d enrollments verified."),
        )

    def has_override_quota_permission(self, request) -> bool:
        return request.user.has_perm("enrollment.override_quota")

    @admin.action(description=_("Mark selected as submitted to BPJS"), permissions=["change"])
    def submit_selected(self, request, queryset):
        report_bulk(
            request,
            queryset,
            lambda e: services.enrollment_submit(enrollment=e, user=request.user),
            done_message=gettext("%(count)d enrollments marked as submitted."),
        )

    @admin.action(description=_("Terminate selected (with reason)"), permissions=["change"])
    def terminate_selected(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            TerminateForm,
            "terminate_selected",
            lambda e, data: services.enrollment_terminate(
                enrollment=e,
                termination_reason=data["termination_reason"],
                effective_date=data["effective_date"],
                user=request.user,
                reason=data["reason"],
            ),
            gettext("%(count)d enrollments terminated."),
        )

    @admin.action(description=_("Reject selected (with reason)"), permissions=["change"])
    def reject_selected(self, request, queryset):
        return self._with_form(
            request,
            queryset,
            ReasonForm,
            "reject_selected",
            lambda e, data: services.enrollment_reject(
                enrollment=e, user=request.user, reason=data["reason"]
            ),
            gettext("%(count)d enrollments rejected."),
        )

    def _with_form(self, request, queryset, form_class, action_name, apply, done_message):
        """An action with an intermediate page asking for the reason (and other details)."""
        if "apply" in request.POST:
            form = form_class(request.POST)
            if form.is_valid():
                report_bulk(
                    request,
                    queryset,
                    lambda e: apply(e, form.cleaned_data),
                    done_message=done_message,
                )
                return HttpResponseRedirect(request.get_full_path())
        else:
            form = form_class()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Give a reason"),
            "form": form,
            "queryset": queryset.select_related("worker")[:200],
            "count": queryset.count(),
            "action_name": action_name,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/enrollment/action_reason.html", context)


# --- invoices ----------------------------------------------------------------------------------


@admin.register(PremiumInvoice)
class PremiumInvoiceAdmin(ClosedYearReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "program_year",
        "month",
        "participants_billed",
        "amount_display",
        "paid_on",
        "line_count",
    ]
    list_filter = ["program_year", "paid_on"]
    list_select_related = ["program_year"]
    change_form_template = "admin/enrollment/premiuminvoice/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_lines=Count("lines"))

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, invoice: PremiumInvoice) -> str:
        return rupiah(invoice.amount)

    @admin.display(description=_("participant lines"), ordering="n_lines")
    def line_count(self, invoice: PremiumInvoice) -> int:
        return invoice.n_lines

    def get_urls(self):
        return [
            path(
                "<int:pk>/reconciliation/",
                self.admin_site.admin_view(self.reconciliation_view),
                name="enrollment_premiuminvoice_reconciliation",
            ),
            path(
                "<int:pk>/lines/",
                self.admin_site.admin_view(self.lines_upload_view),
                name="enrollment_premiuminvoice_lines",
            ),
        ] + super().get_urls()

    def reconciliation_view(self, request, pk):
        invoice = get_object_or_404(PremiumInvoice.objects.select_related("program_year"), pk=pk)
        if not self.has_view_permission(request, invoice):
            raise PermissionDenied
        result = selectors.invoice_reconciliation(invoice)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": invoice,
            "title": gettext("Reconciliation · %(invoice)s") % {"invoice": invoice},
            "billed_not_active": result.billed_not_active[:1000],
            "billed_not_active_count": result.billed_not_active.count(),
            "active_not_billed": result.active_not_billed[:1000],
            "active_not_billed_count": result.active_not_billed.count(),
        }
        return TemplateResponse(request, "admin/enrollment/reconciliation.html", context)

    def lines_upload_view(self, request, pk):
        invoice = get_object_or_404(PremiumInvoice.objects.select_related("program_year"), pk=pk)
        if not self.has_change_permission(request, invoice):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": invoice,
            "title": gettext("Participant list of invoice %(invoice)s") % {"invoice": invoice},
            "form": form,
        }
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            suffix = os.path.splitext(upload.name)[1].lower()
            with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
                for chunk in upload.chunks():
                    handle.write(chunk)
                handle.flush()
                parsed = bpjs.read_invoice_lines_file(handle.name)
            stored, refused = services.invoice_lines_replace(invoice=invoice, rows=parsed.rows)
            problems = [(row.get("row"), why) for row, why in refused] + parsed.errors
            messages.success(
                request, gettext("%(count)d participant lines stored.") % {"count": stored}
            )
            for number, why in problems[:MAX_FAILURES_LISTED]:
                messages.warning(
                    request, gettext("Row %(row)s: %(why)s") % {"row": number, "why": why}
                )
            return HttpResponseRedirect(
                reverse("admin:enrollment_premiuminvoice_reconciliation", args=[invoice.pk])
            )
        return TemplateResponse(request, "admin/enrollment/upload.html", context)


@admin.register(InvoiceLine)
class InvoiceLineAdmin(admin.ModelAdmin):
    list_display = ["invoice", "nik", "kpj_number", "amount", "enrollment"]
    list_select_related = ["invoice__program_year", "enrollment"]
    list_filter = ["invoice__program_year", "invoice"]
    search_fields = ["nik", "kpj_number"]
    raw_id_fields = ["enrollment", "invoice"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(nik=term) | queryset.filter(kpj_number=term), False


# --- claims ------------------------------------------------------------------------------------


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    form = ClaimForm
    list_display = ["enrollment", "claim_type", "event_date", "fatal", "status", "benefit_display"]
    list_select_related = ["enrollment__worker", "enrollment__program_year"]
    list_filter = ["claim_type", "status", "fatal"]
    search_fields = ["enrollment__worker__nik"]
    raw_id_fields = ["enrollment"]
    change_list_template = "admin/enrollment/claim/change_list.html"

    @admin.display(description=_("benefit"), ordering="benefit_amount")
    def benefit_display(self, claim: Claim) -> str:
        return rupiah(claim.benefit_amount)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["enrollment", "claim_type", "event_date", "fatal", "created_at", "created_by"]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(enrollment__worker__nik=term), False

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        return services.claim_record(
            enrollment=data["enrollment"],
            claim_type=data["claim_type"],
            event_date=data["event_date"],
            fatal=data.get("fatal", False),
            status=data["status"],
            benefit_amount=data.get("benefit_amount") or 0,
            notes=data.get("notes", ""),
            user=request.user,
        )

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        if change:
            super().save_related(request, form, formsets, change)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "scholarship/",
                self.admin_site.admin_view(self.scholarship_view),
                name="enrollment_claim_scholarship",
            )
        ] + super().get_urls()

    def scholarship_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            day = parse_date(request.GET.get("on", "")) or timezone.localdate()
        except ValueError:
            day = timezone.localdate()
        workers = selectors.scholarship_followup(day)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Heirs of deceased participants (JKM scholarship follow-up)"),
            "workers": workers[:500],
            "day": day,
        }
        return TemplateResponse(request, "admin/enrollment/scholarship.html", context)
