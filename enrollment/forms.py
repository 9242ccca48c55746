from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from importer.admin import UploadForm as SpreadsheetUploadForm

from .claims import claim_check
from .eligibility import enrollment_eligibility
from .limits import budget_below_use_error, quota_below_use_error, quota_used
from .models import (
    Claim,
    ClaimType,
    Enrollment,
    PremiumInvoice,
    ProgramYear,
    QuotaTarget,
    TerminationReason,
)
from .services import coverage_start_for


class ProgramYearForm(forms.ModelForm):
    """A budget lowered below what is committed needs a reason (``services.program_year_save``
    checks it again under the year's lock)."""

    class Meta:
        model = ProgramYear
        fields = [
            "year", "status", "budget", "budget_below_use_reason", "coverage_start",
            "coverage_end", "min_age", "max_age", "notes",
        ]  # fmt: skip
        widgets = {"budget_below_use_reason": forms.Textarea(attrs={"rows": 2})}

    def clean(self):
        data = super().clean()
        budget = data.get("budget")
        if budget is not None and self.instance.pk is not None:
            reason = data.get("budget_below_use_reason") or ""
            error = budget_below_use_error(self.instance, budget, reason)
            if error is not None:
                self.add_error("budget_below_use_reason", error)
        return data


class QuotaTargetForm(forms.ModelForm):
    """A target lowered below the places already held needs a reason."""

    class Meta:
        model = QuotaTarget
        fields = ["worker_type", "segment", "kecamatan", "target", "below_use_reason"]
        widgets = {"below_use_reason": forms.Textarea(attrs={"rows": 1, "cols": 30})}

    def clean(self):
        data = super().clean()
        if self.instance.program_year_id is None or data.get("target") is None:
            return data
        quota = QuotaTarget(
            pk=self.instance.pk,
            program_year_id=self.instance.program_year_id,
            worker_type=data.get("worker_type") or "",
            segment=data.get("segment"),
            kecamatan=data.get("kecamatan"),
            target=data["target"],
        )
        reason = (data.get("below_use_reason") or "").strip()
        error = quota_below_use_error(quota, reason)
        if error is not None:
            self.add_error("below_use_reason", error)
        elif reason and quota.worker_type and quota.target >= quota_used(quota):
            data["below_use_reason"] = ""  # not over: nothing to explain
        return data


class EnrollmentProposeForm(forms.ModelForm):
    """The admin's add form: the same eligibility rule as ``enrollment_propose``."""

    reason = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    class Meta:
        model = Enrollment
        fields = ["worker", "program_year", "risk_class", "coverage_start", "coverage_end"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program_year"].queryset = ProgramYear.objects.open()
        self.fields["coverage_start"].required = False
        self.fields["coverage_end"].required = False
        self.fields["coverage_start"].help_text = _(
            "Empty: the year's start, or the first day of next month once the year has begun. "
            "Not in the past."
        )
        self.fields["coverage_end"].help_text = _("Empty: the year's default.")
        self.fields["risk_class"].help_text = _(
            "Wage earners (PU) only. Empty: the default risk class of the worker's segment."
        )

    def _post_clean(self):
        # The service builds and validates the instance; the form only checks the inputs.
        pass

    def clean(self):
        data = super().clean()
        worker, year = data.get("worker"), data.get("program_year")
        if not worker or not year:
            return data
        try:
            start = coverage_start_for(program_year=year, chosen=data.get("coverage_start"))
        except ValidationError as exc:
            self.add_error(None, exc)
            return data
        result = enrollment_eligibility(worker=worker, program_year=year, coverage_start=start)
        if not result.is_eligible:
            raise result.as_validation_error()
        # Shown to staff once the proposal is saved (a missing DTKS check, no heirs, …).
        self.eligibility_warnings = result.warnings
        return data


class EnrollmentRiskClassForm(forms.ModelForm):
    """The change page of a proposed PU enrollment: its risk class may still change
    (``services.enrollment_set_risk_class``); verification freezes it with the premium."""

    risk_class_reason = forms.CharField(
        label=_("reason for the risk class"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    class Meta:
        model = Enrollment
        fields = ["risk_class"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "risk_class" in self.fields:
            self.fields["risk_class"].required = True

    def _post_clean(self):
        # The service validates and saves; the form only checks the input.
        pass


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000
    )


class TerminateForm(ReasonForm):
    termination_reason = forms.ChoiceField(
        label=_("termination reason"), choices=TerminationReason.choices
    )
    effective_date = forms.DateField(
        label=_("effective date"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    field_order = ["termination_reason", "effective_date", "reason"]


class OverrideForm(ReasonForm):
    reason = forms.CharField(
        label=_("reason for going beyond the quota"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class BpjsActivationUploadForm(SpreadsheetUploadForm):
    """BPJS's activation file plus what the file does not say: the program year it answers."""

    program_year = forms.ModelChoiceField(
        label=_("program year"),
        queryset=ProgramYear.objects.none(),
        help_text=_("Only submitted enrollments of this year are activated."),
    )
    field_order = ["program_year", "import_file"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["program_year"].queryset = ProgramYear.objects.open().order_by("-year")


class InvoiceLinesUploadForm(SpreadsheetUploadForm):
    """BPJS's participant list plus the invoice it belongs to (the file does not say)."""

    invoice = forms.ModelChoiceField(
        label=_("invoice"),
        queryset=PremiumInvoice.objects.none(),
        help_text=_("The file replaces this invoice's participant list."),
    )
    field_order = ["invoice", "import_file"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A closed year's invoices can be looked at, never changed.
        self.fields["invoice"].queryset = (
            PremiumInvoice.objects.filter(program_year__in=ProgramYear.objects.open())
            .select_related("program_year")
            .order_by("-program_year__year", "-month")
        )


class ClaimForm(forms.ModelForm):
    class Meta:
        model = Claim
        fields = [
            "enrollment",
            "claim_type",
            "event_date",
            "fatal",
            "status",
            "benefit_amount",
            "notes",
        ]

    def clean(self):
        data = super().clean()
        if data.get("claim_type") == ClaimType.JKM:
            data["fatal"] = True  # a JKM claim is a death by definition
        if self.instance.pk is None and data.get("enrollment") and data.get("event_date"):
            claim_check(
                enrollment=data["enrollment"],
                claim_type=data.get("claim_type", ""),
                event_date=data["event_date"],
            )
        return data
