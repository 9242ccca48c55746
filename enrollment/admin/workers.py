"""Proposing workers from the registry: the worker list's action and the worker page's button.

The registry (participants) does not know about enrollments; this module extends its worker
admin from above, as the floors in docs require: the same admin with one more action and a
button, both going through ``enrollment_propose`` (eligibility, quota-free proposal, history).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from participants.admin import WorkerAdmin
from participants.models import Worker, WorkerType
from participants.privacy import shown_nik

from .. import services
from ..models import Enrollment, ProgramYear, ProgramYearStatus, RiskClass
from .common import MAX_FAILURES_LISTED

PROPOSE_PERMISSION = "enrollment.add_enrollment"
# One proposal per worker, each checked and saved on its own: a page's worth at a time.
# Larger rounds go through the priority list's "propose the top N".
MAX_PROPOSE_SELECTION = 500


def default_program_year() -> ProgramYear | None:
    """The year staff most likely propose for: the running one, else the next open year from
    this calendar year on, else the latest open one."""
    years = ProgramYear.objects.open()
    return (
        years.filter(status=ProgramYearStatus.RUNNING).order_by("-year").first()
        or years.filter(year__gte=timezone.localdate().year).order_by("year").first()
        or years.order_by("-year").first()
    )


class ProposeForYearForm(forms.Form):
    program_year = forms.ModelChoiceField(
        label=_("program year"), queryset=ProgramYear.objects.none(), empty_label=None
    )
    risk_class = forms.ChoiceField(
        label=_("Risk class (wage earners)"),
        choices=[("", "---------"), *RiskClass.choices],
        required=False,
        help_text=_("Needed when the selection holds wage earners (PU)."),
    )
    reason = forms.CharField(
        label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )

    def __init__(self, *args, has_wage_earners: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_wage_earners = has_wage_earners
        self.fields["program_year"].queryset = ProgramYear.objects.open().order_by("-year")
        if not self.is_bound:
            self.fields["program_year"].initial = default_program_year()

    def clean(self):
        data = super().clean()
        if self.has_wage_earners and not data.get("risk_class"):
            self.add_error(
                "risk_class",
                ValidationError(
                    _("Choose the risk class of a wage earner's (PU) work."),
                    code="risk_class_missing",
                ),
            )
        return data


class ProposingWorkerAdmin(WorkerAdmin):
    actions = [*WorkerAdmin.actions, "propose_for_program_year"]
    change_form_template = "admin/enrollment/worker/change_form.html"

    # The worker's enrollments per year on the worker's page (proposed already? active?):
    # a read-only field, so saving the worker page never touches them.
    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None and request.user.has_perm("enrollment.view_enrollment"):
            fieldsets.insert(-1, (_("Enrollments per program year"), {"fields": ["enrollments"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "enrollments"]

    @admin.display(description=_("enrollments"))
    def enrollments(self, worker: Worker) -> str:
        rows = (
            Enrollment.objects.filter(worker=worker)
            .select_related("program_year")
            .order_by("-program_year__year")
        )
        if not rows:
            return gettext("Not enrolled in any program year yet.")
        return format_html(
            '<ul class="siaga-enrollments">{}</ul>',
            format_html_join(
                "",
                '<li><a href="{}">{}</a>: {}</li>',
                (
                    (
                        reverse("admin:enrollment_enrollment_change", args=[e.pk]),
                        e.program_year.year,
                        e.get_status_display(),
                    )
                    for e in rows
                ),
            ),
        )

    def has_propose_permission(self, request) -> bool:
        return request.user.has_perm(PROPOSE_PERMISSION)

    def propose_url(self, worker: Worker) -> str:
        """The enrollment add form with this worker (and the likely year) filled in."""
        query = {"worker": worker.pk}
        year = default_program_year()
        if year is not None:
            query["program_year"] = year.pk
        return f"{reverse('admin:enrollment_enrollment_add')}?{urlencode(query)}"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        worker = self.get_object(request, object_id)
        if worker is not None and self.has_propose_permission(request):
            extra_context["propose_url"] = self.propose_url(worker)
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Propose for a program year"), permissions=["propose"])
    def propose_for_program_year(self, request, queryset):
        count = queryset.count()
        if count > MAX_PROPOSE_SELECTION:
            messages.error(
                request,
                gettext(
                    "Select at most %(max)d workers to propose at once (%(count)d selected); "
                    "for larger rounds use the priority list's “propose the top N”."
                )
                % {"max": MAX_PROPOSE_SELECTION, "count": count},
            )
            return None
        workers = list(queryset.select_related("kelurahan").order_by("pk"))
        has_pu = any(w.worker_type == WorkerType.PU for w in workers)
        if "apply" in request.POST:
            form = ProposeForYearForm(request.POST, has_wage_earners=has_pu)
            if form.is_valid():
                self._propose(request, workers, form.cleaned_data)
                return HttpResponseRedirect(request.get_full_path())
        else:
            form = ProposeForYearForm(has_wage_earners=has_pu)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Propose for a program year"),
            "form": form,
            "workers": workers[:200],
            "count": count,
            "action_name": "propose_for_program_year",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/enrollment/worker/propose.html", context)

    def _propose(self, request, workers: list[Worker], data: dict) -> None:
        year = data["program_year"]
        proposed = 0
        refused: list[tuple[Worker, ValidationError]] = []
        for worker in workers:
            try:
                services.enrollment_propose(
                    worker=worker,
                    program_year=year,
                    user=request.user,
                    risk_class=data["risk_class"] if worker.worker_type == WorkerType.PU else "",
                    reason=data["reason"],
                )
            except ValidationError as exc:
                refused.append((worker, exc))
            else:
                proposed += 1
        messages.success(
            request,
            ngettext(
                "%(count)d worker proposed for %(year)s.",
                "%(count)d workers proposed for %(year)s.",
                proposed,
            )
            % {"count": proposed, "year": year.year},
        )
        if refused:
            lines = [
                f"{shown_nik(w.nik, request.user)} {w.full_name}: {'; '.join(exc.messages)}"
                for w, exc in refused[:MAX_FAILURES_LISTED]
            ]
            messages.error(
                request,
                format_html(
                    "{}<ul>{}</ul>",
                    ngettext(
                        "%(count)d worker was not proposed:",
                        "%(count)d workers were not proposed:",
                        len(refused),
                    )
                    % {"count": len(refused)},
                    format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
                ),
            )


admin.site.unregister(Worker)
admin.site.register(Worker, ProposingWorkerAdmin)
