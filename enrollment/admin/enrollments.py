"""Enrollments: lists, the add form, bulk actions with reasons."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from importer.admin import StagedImportMixin
from participants.admin import search_digits
from participants.models import WorkerType
from participants.privacy import can_view_full_nik, shown_nik
from siaga.admin_base import SiagaHistoryAdmin
from siaga.formatting import rupiah
from siaga.pagination import EstimatedCountPaginator

from .. import services
from ..eligibility import enrollment_eligibility
from ..forms import (
    BpjsActivationUploadForm,
    EnrollmentProposeForm,
    EnrollmentRiskClassForm,
    OverrideForm,
    ReasonForm,
    TerminateForm,
)
from ..models import (
    Claim,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
)
from ..resources import BpjsActivationImporter
from .common import CreatedByServiceMixin, report_bulk, report_results


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
class EnrollmentAdmin(CreatedByServiceMixin, StagedImportMixin, SiagaHistoryAdmin):
    scope_worker_path = "worker"
    # BPJS's activation file goes through the importer's upload -> preview -> confirm.
    spreadsheet_importer_class = BpjsActivationImporter
    upload_form_class = BpjsActivationUploadForm
    import_export_change_list_template = "admin/enrollment/enrollment/change_list.html"
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
    # Newest first by primary key: the index serves it without sorting millions of rows.
    ordering = ["-pk"]
    list_filter = [
        "program_year",
        "status",
        "worker_type",
        "termination_reason",
        "quota_override",
        # Where the place counts (as verified), as the quotas and the dashboard count it.
        "kelurahan__kecamatan",
        "segment",
    ]
    search_fields = ["worker__nik", "kpj_number", "worker__full_name"]
    search_help_text = _("NIK (16 digits, or its first digits), KPJ number (11 digits) or name.")
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    # Staff find the worker by NIK (with or without separators), phone or name, never by id.
    autocomplete_fields = ["worker"]
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
        "segment",
        "kelurahan",
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
                    ("segment", "kelurahan"),
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
        # Masked like the worker list; get_list_display swaps in full_nik for who may see it.
        return shown_nik(enrollment.worker.nik, None)

    @admin.display(description=_("NIK"), ordering="worker__nik")
    def full_nik(self, enrollment: Enrollment) -> str:
        return enrollment.worker.nik

    def get_list_display(self, request):
        if can_view_full_nik(request.user):
            return [("full_nik" if f == "nik" else f) for f in self.list_display]
        return self.list_display

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
        result = enrollment_eligibility(
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
        term = search_digits(search_term.strip()) or search_term.strip()
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
        if self._risk_class_editable(request, obj):
            return [f for f in self.readonly_fields if f != "risk_class"]
        return self.readonly_fields

    def _risk_class_editable(self, request, obj: Enrollment | None) -> bool:
        """A PU enrollment's risk class may change until it is verified (issue 11)."""
        return (
            obj is not None
            and obj.worker_type == WorkerType.PU
            and obj.status == EnrollmentStatus.PROPOSED
            and not obj.program_year.is_closed
            and self.has_change_permission(request, obj)
        )

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
        if self._risk_class_editable(request, obj):
            return [
                *self.fieldsets[:3],
                (_("Change the risk class"), {"fields": ["risk_class_reason"]}),
                *self.fieldsets[3:],
            ]
        return self.fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = EnrollmentProposeForm
            kwargs["fields"] = None
        elif self._risk_class_editable(request, obj):
            kwargs["form"] = EnrollmentRiskClassForm
            kwargs["fields"] = None
        return super().get_form(request, obj, change=change, **kwargs)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def _changeform_view(self, request, object_id, form_url, extra_context):
        if object_id is not None or request.method != "POST":
            return super()._changeform_view(request, object_id, form_url, extra_context)
        try:
            with transaction.atomic():
                return super()._changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as exc:
            # The form's checks passed but the proposal was refused when written: someone
            # proposed the same worker at the same moment (or the year changed). Say why and
            # offer the form again with the same worker and year.
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            keep = {k: request.POST[k] for k in ("worker", "program_year") if request.POST.get(k)}
            return HttpResponseRedirect(f"{request.path}?{urlencode(keep)}")

    def save_form(self, request, form, change):
        if change:
            # Not saved (save_model saves nothing on change): prepares the inlines' save.
            instance = super().save_form(request, form, change)
            if "risk_class" not in form.changed_data:
                return instance
            return services.enrollment_set_risk_class(
                enrollment=form.instance,
                risk_class=form.cleaned_data["risk_class"],
                user=request.user,
                reason=form.cleaned_data.get("risk_class_reason", ""),
            )
        data = form.cleaned_data
        enrollment = services.enrollment_propose(
            worker=data["worker"],
            program_year=data["program_year"],
            user=request.user,
            risk_class=data.get("risk_class") or "",
            coverage_start=data.get("coverage_start"),
            coverage_end=data.get("coverage_end"),
            reason=data.get("reason", ""),
        )
        for warning in getattr(form, "eligibility_warnings", []):
            messages.warning(request, str(warning))
        return enrollment

    def save_model(self, request, obj, form, change):
        # Every write went through a service in save_form (propose, set the risk class).
        return None

    # BPJS activation file ----------------------------------------------------------------------

    def get_import_title(self) -> str:
        return gettext("Activate from BPJS file")

    def upload_form_initial(self, request: HttpRequest) -> dict[str, Any]:
        return {"program_year": request.GET.get("program_year")}

    def importer_from_upload(self, form: BpjsActivationUploadForm) -> BpjsActivationImporter:
        """The year is kept on the job, so a long file staged by the background worker and
        its confirmation activate that year's enrollments."""
        return BpjsActivationImporter(program_year=form.cleaned_data["program_year"])

    # Actions ----------------------------------------------------------------------------------

    @admin.action(description=_("Verify selected enrollments"), permissions=["change"])
    def verify_selected(self, request, queryset):
        self._verify(request, queryset)

    def _verify(self, request, queryset, override_quota_reason: str = "") -> None:
        # One batch under the year's lock: hundreds of proposals verify in a few statements.
        outcome = services.enrollments_verify(
            enrollments=list(queryset.order_by("pk")),
            user=request.user,
            override_quota_reason=override_quota_reason,
        )
        report_results(
            request,
            len(outcome.verified),
            outcome.refused,
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
            run_all=lambda data: self._verify(request, queryset, data["reason"]),
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

    def _with_form(
        self, request, queryset, form_class, action_name, apply=None, done_message="", run_all=None
    ):
        """An action with an intermediate page asking for the reason (and other details).

        ``apply(enrollment, data)`` runs per enrollment, each in its own transaction;
        ``run_all(data)`` instead handles the whole selection at once and reports itself.
        """
        if "apply" in request.POST:
            form = form_class(request.POST)
            if form.is_valid():
                if run_all is not None:
                    run_all(form.cleaned_data)
                else:
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
