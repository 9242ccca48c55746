"""Premium invoices, reconciliation, claims and the scholarship list."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.scoping import CITY_WIDE, scope_queryset
from importer.admin import StagedImportMixin
from importer.models import ImportJob, ImportStatus
from participants.privacy import can_view_full_nik, shown_nik
from siaga.admin_base import (
    SiagaAdmin,
    SiagaHistoryAdmin,
    parse_query_date,
    warn_bad_query_value,
)
from siaga.formatting import rupiah

from .. import claims, scholarship, selectors
from ..forms import ClaimForm, InvoiceLinesUploadForm
from ..models import (
    Claim,
    InvoiceLine,
    PremiumInvoice,
)
from ..resources import InvoiceLinesImporter
from .common import ClosedYearReadOnlyMixin, CreatedByServiceMixin

# Deceased participants shown on the scholarship page (newest deaths first).
SCHOLARSHIP_SHOWN = 500


@admin.register(PremiumInvoice)
class PremiumInvoiceAdmin(ClosedYearReadOnlyMixin, StagedImportMixin, SiagaHistoryAdmin):
    # Invoices and their reconciliation list the whole city's NIKs.
    scope_worker_path = CITY_WIDE
    # BPJS's participant list of an invoice goes through the importer's preview -> confirm.
    spreadsheet_importer_class = InvoiceLinesImporter
    upload_form_class = InvoiceLinesUploadForm
    import_export_change_list_template = "admin/enrollment/premiuminvoice/change_list.html"
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
        ] + super().get_urls()

    def reconciliation_view(self, request, pk):
        invoice = get_object_or_404(
            self.get_queryset(request).select_related("program_year"), pk=pk
        )
        if not self.has_view_permission(request, invoice):
            raise PermissionDenied
        result = selectors.invoice_reconciliation(invoice)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": invoice,
            "title": gettext("Reconciliation · %(invoice)s") % {"invoice": invoice},
            "billed_not_active": result.billed_not_active,
            "billed_not_active_count": result.billed_not_active_count,
            "active_not_billed": result.active_not_billed,
            "active_not_billed_count": result.active_not_billed_count,
            "covered_count": result.covered_count,
            "expected_amount": rupiah(result.expected_amount),
            "billed_amount": rupiah(invoice.amount),
            "amount_difference": result.amount_difference,
            "amount_difference_display": rupiah(abs(result.amount_difference)),
        }
        return TemplateResponse(request, "admin/enrollment/reconciliation.html", context)

    # Participant list: the importer's upload -> preview -> confirm ---------------------------

    def get_import_title(self) -> str:
        return gettext("Upload participant list")

    def upload_form_initial(self, request: HttpRequest) -> dict[str, Any]:
        return {"invoice": request.GET.get("invoice")}

    def importer_from_upload(self, form: InvoiceLinesUploadForm) -> InvoiceLinesImporter:
        """The invoice is kept on the job, so a long list staged by the background worker and
        the confirmation replace that invoice's lines."""
        return InvoiceLinesImporter(invoice=form.cleaned_data["invoice"])

    def import_done_url(self, job: ImportJob) -> str:
        invoice_id = job.options.get("invoice_id")
        if invoice_id and job.status == ImportStatus.IMPORTED:
            return reverse("admin:enrollment_premiuminvoice_reconciliation", args=[invoice_id])
        if invoice_id:
            return reverse("admin:enrollment_premiuminvoice_change", args=[invoice_id])
        return super().import_done_url(job)


@admin.register(InvoiceLine)
class InvoiceLineAdmin(SiagaAdmin):
    # A line not matched to an enrollment names no worker of the scope: not shown.
    scope_worker_path = "enrollment__worker"
    list_display = ["invoice", "masked_nik", "kpj_number", "amount", "enrollment"]
    list_select_related = [
        "invoice__program_year",
        "enrollment__worker",
        "enrollment__program_year",
    ]
    list_filter = ["invoice__program_year", "invoice"]
    search_fields = ["nik", "kpj_number"]
    raw_id_fields = ["enrollment", "invoice"]
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(nik=term) | queryset.filter(kpj_number=term), False

    # NIKs masked like the worker list unless the user may see them (list and detail page).
    @admin.display(description=_("NIK"), ordering="nik")
    def masked_nik(self, line: InvoiceLine) -> str:
        return shown_nik(line.nik, None)

    def get_list_display(self, request):
        if can_view_full_nik(request.user):
            return [("nik" if f == "masked_nik" else f) for f in self.list_display]
        return self.list_display

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or can_view_full_nik(request.user):
            return fields
        return [("masked_nik" if f == "nik" else f) for f in fields]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not can_view_full_nik(request.user):
            fields.append("masked_nik")
        return fields


@admin.register(Claim)
class ClaimAdmin(CreatedByServiceMixin, SiagaHistoryAdmin):
    scope_worker_path = "enrollment__worker"
    form = ClaimForm
    list_display = ["enrollment", "claim_type", "event_date", "fatal", "status", "benefit_display"]
    list_select_related = ["enrollment__worker", "enrollment__program_year"]
    list_filter = ["claim_type", "status", "fatal"]
    search_fields = ["enrollment__worker__nik"]
    # The enrollment is found by the worker's NIK, KPJ number or name, never by id.
    autocomplete_fields = ["enrollment"]
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

    def save_model(self, request, obj, form, change):
        if change:
            claims.claim_update(claim=obj)

    def save_form(self, request, form, change):
        if change:
            return super().save_form(request, form, change)
        data = form.cleaned_data
        return claims.claim_record(
            enrollment=data["enrollment"],
            claim_type=data["claim_type"],
            event_date=data["event_date"],
            fatal=data.get("fatal", False),
            status=data["status"],
            benefit_amount=data.get("benefit_amount") or 0,
            notes=data.get("notes", ""),
            user=request.user,
        )

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
        value = request.GET.get("on", "")
        day = parse_query_date(value)
        if value and day is None:
            warn_bad_query_value(request, gettext("date"), value)
        day = day or timezone.localdate()
        amounts = scholarship.level_amounts()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Heirs of deceased participants (JKM scholarship follow-up)"),
            "cases": scholarship.scholarship_cases(
                day,
                limit=SCHOLARSHIP_SHOWN,
                workers=scope_queryset(request.user, scholarship.deceased_participants(), ""),
            ),
            "shown": SCHOLARSHIP_SHOWN,
            "day": day,
            "amounts": amounts,
            "total_per_child": rupiah(sum(a.total for a in amounts)),
            "max_children": settings.SIAGA_JKM_SCHOLARSHIP_MAX_CHILDREN,
            "min_months": settings.SIAGA_JKM_SCHOLARSHIP_MIN_MONTHS,
            "max_age": settings.SIAGA_SCHOOL_AGE_MAX,
        }
        return TemplateResponse(request, "admin/enrollment/scholarship.html", context)
