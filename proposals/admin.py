"""Admin of proposals (usulan) and of the yearly update (pemutakhiran). Thin: the rules are in
``services``; who sees which proposals is ``selectors.proposals_visible_to``."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.scoping import CITY_WIDE, is_scoped
from enrollment.models import ProgramYear
from importer.admin import XLSX_TYPE, StagedImportMixin
from participants.models import Kelurahan
from participants.privacy import can_view_full_nik, shown_nik
from siaga.admin_base import SiagaAdmin, SiagaHistoryAdmin, refuse_scoped_user

from . import selectors, services
from .forms import AcceptForm, ProposalUploadForm, ReturnForm, UpdateUploadForm
from .models import Proposal, ProposalStatus, UpdateRound
from .resources import ProposalImporter, YearlyUpdateImporter, update_form_xlsx

MAX_LISTED = 50


@admin.register(Proposal)
class ProposalAdmin(StagedImportMixin, SiagaHistoryAdmin):
    """Proposers enter or upload candidates and follow them; Disnaker accepts or returns."""

    spreadsheet_importer_class = ProposalImporter
    upload_form_class = ProposalUploadForm
    # A proposal names its candidate's kelurahan and segment itself (accounts/scoping.py);
    # a scoped proposer's upload refuses rows outside the scope, as the worker import does.
    scope_worker_path = ""
    import_checks_scope = True
    import_export_change_list_template = "admin/proposals/proposal/change_list.html"
    list_display = [
        "listed_nik", "full_name", "kelurahan", "program_year", "source_name", "proposer",
        "status", "reason", "submitted_at",
    ]  # fmt: skip
    list_filter = ["status", "program_year", "source_kind", "kelurahan__kecamatan"]
    list_select_related = ["kelurahan", "program_year", "proposer"]
    search_fields = ["full_name", "source_name"]
    show_full_result_count = False
    actions = ["accept_selected", "return_selected"]
    autocomplete_fields: list[str] = []
    fieldsets = [
        (_("Program year and source"), {"fields": ["program_year", "source_kind", "source_name"]}),
        (
            _("Candidate"),
            {
                "fields": [
                    "nik", "full_name", "birth_place", "birth_date", "sex", "kk_number",
                    "address", "rt", "rw", "kelurahan", "phone", "worker_type", "segment",
                    "employer_name", "monthly_income",
                ]
            },
        ),
        (_("Heir"), {"fields": ["heir_name", "heir_relationship", "heir_birth_date", "heir_nik"]}),
    ]  # fmt: skip
    review_fieldset = (
        _("Review"),
        {"fields": ["status", "reason", "proposer", "reviewed_by", "reviewed_at", "worker",
                    "enrollment"]},
    )  # fmt: skip

    @admin.display(description=_("NIK"), ordering="nik")
    def listed_nik(self, proposal: Proposal) -> str:
        return shown_nik(proposal.nik, None)

    def get_list_display(self, request):
        if can_view_full_nik(request.user):
            return ["nik", *self.list_display[1:]]
        return self.list_display

    def get_queryset(self, request: HttpRequest):
        return selectors.proposals_visible_to(request.user, super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        fieldsets = [*self.fieldsets, self.review_fieldset]
        if can_view_full_nik(request.user):
            return fieldsets
        swap = {"nik": "listed_nik", "kk_number": "masked_kk", "heir_nik": "masked_heir_nik"}
        return [
            (title, {**options, "fields": [swap.get(f, f) for f in options["fields"]]})
            for title, options in fieldsets
        ]

    @admin.display(description=_("KK number"))
    def masked_kk(self, proposal: Proposal) -> str:
        return shown_nik(proposal.kk_number, None) or "-"

    @admin.display(description=_("heir's NIK"))
    def masked_heir_nik(self, proposal: Proposal) -> str:
        return shown_nik(proposal.heir_nik, None) or "-"

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            f for _title, options in self.get_fieldsets(request, obj) for f in options["fields"]
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "program_year":
            kwargs["queryset"] = ProgramYear.objects.order_by("-year")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # A proposal is decided by the review actions, never edited.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a proposal is history: returned, never deleted

    def has_review_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("proposals.review_proposal")

    def save_model(self, request, obj, form, change):
        # The form validated every candidate field by the registry's rules (Proposal.clean).
        data = {f: form.cleaned_data[f] for f in form.cleaned_data}
        services.proposal_submit(user=request.user, **data)

    def response_add(self, request, obj, post_url_continue=None):
        messages.success(request, gettext("The proposal was submitted."))
        return HttpResponseRedirect(reverse("admin:proposals_proposal_changelist"))

    def log_addition(self, request, obj, message):
        return None  # the proposal's history keeps who submitted it

    def import_done_url(self, job) -> str:
        return reverse("admin:proposals_proposal_changelist")

    def get_import_title(self) -> str:
        return gettext("Upload candidate proposals (usulan)")

    def importer_for_request(self, request, form: ProposalUploadForm) -> ProposalImporter:
        importer = self.importer_from_upload(form)
        importer.scope_user_id = request.user.pk if is_scoped(request.user) else None
        return importer

    def importer_from_upload(self, form: ProposalUploadForm) -> ProposalImporter:
        return ProposalImporter(
            program_year_id=form.cleaned_data["program_year"].pk,
            source_kind=form.cleaned_data["source_kind"],
            source_name=form.cleaned_data["source_name"],
        )

    # --- review --------------------------------------------------------------------------
    def _review_page(self, request, queryset, form, action_name: str, title: str):
        waiting = queryset.filter(status=ProposalStatus.SUBMITTED)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "form": form,
            "rows": [
                (shown_nik(p.nik, request.user), p)
                for p in waiting.select_related("kelurahan")[:MAX_LISTED]
            ],
            "count": waiting.count(),
            "action_name": action_name,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
            "select_across": request.POST.get("select_across", "0"),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/proposals/proposal/review.html", context)

    @admin.action(
        description=_("Accept selected into the registry and propose"), permissions=["review"]
    )
    def accept_selected(self, request, queryset):
        if "apply" not in request.POST:
            return self._review_page(
                request, queryset, AcceptForm(), "accept_selected", gettext("Accept proposals")
            )
        form = AcceptForm(request.POST)
        form.is_valid()
        review = services.proposals_accept(
            proposals=list(queryset.filter(status=ProposalStatus.SUBMITTED)),
            user=request.user,
            allow_similar=form.cleaned_data.get("allow_similar", False),
        )
        if review.done:
            messages.success(
                request,
                ngettext(
                    "%(count)d proposal accepted: registered and proposed for enrollment.",
                    "%(count)d proposals accepted: registered and proposed for enrollment.",
                    len(review.done),
                )
                % {"count": len(review.done)},
            )
        for proposal, error in review.refused[:MAX_LISTED]:
            messages.error(
                request,
                gettext("%(name)s (%(nik)s) not accepted: %(why)s")
                % {
                    "name": proposal.full_name,
                    "nik": shown_nik(proposal.nik, request.user),
                    "why": " ".join(error.messages),
                },
            )
        return None

    @admin.action(
        description=_("Return selected to the proposer (with reason)"), permissions=["review"]
    )
    def return_selected(self, request, queryset):
        form = ReturnForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return self._review_page(
                request, queryset, form, "return_selected", gettext("Return proposals")
            )
        returned = 0
        for proposal in queryset.filter(status=ProposalStatus.SUBMITTED):
            services.proposal_return(
                proposal=proposal, user=request.user, reason=form.cleaned_data["reason"]
            )
            returned += 1
        messages.success(
            request,
            ngettext(
                "%(count)d proposal returned to its proposer.",
                "%(count)d proposals returned to their proposers.",
                returned,
            )
            % {"count": returned},
        )
        return None


@admin.register(UpdateRound)
class UpdateRoundAdmin(StagedImportMixin, SiagaAdmin):
    """Each kelurahan's yearly update: the form, the returned answers, the progress."""

    spreadsheet_importer_class = YearlyUpdateImporter
    upload_form_class = UpdateUploadForm
    # The yearly update is run by Disnaker for the whole city: not for area or group accounts.
    scope_worker_path = CITY_WIDE
    import_export_change_list_template = "admin/proposals/updateround/change_list.html"
    list_display = [
        "kelurahan",
        "program_year",
        "form_downloaded_at",
        "completed_at",
        "completed_by",
    ]
    list_filter = ["program_year", "kelurahan__kecamatan"]
    list_select_related = ["kelurahan", "program_year", "completed_by"]
    fields = [
        "program_year", "kelurahan", "form_downloaded_at", "form_downloaded_by", "completed_at",
        "completed_by", "report_display",
    ]  # fmt: skip
    readonly_fields = fields

    @admin.display(description=_("What the last upload changed"))
    def report_display(self, round_: UpdateRound) -> str:
        from django.utils.html import format_html, format_html_join

        changed = round_.report.get("changed", [])
        if not changed:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{} {} {}: {}</li>",
                ((c["row"], c["nik"], c["name"], ", ".join(c["changed"])) for c in changed),
            ),
        )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request: HttpRequest) -> bool:
        return not is_scoped(request.user) and request.user.has_perm(
            YearlyUpdateImporter.permission
        )

    def get_import_title(self) -> str:
        return gettext("Upload a returned yearly update form")

    def importer_from_upload(self, form: UpdateUploadForm) -> YearlyUpdateImporter:
        return YearlyUpdateImporter(
            program_year_id=form.cleaned_data["program_year"].pk,
            kelurahan_id=form.cleaned_data["kelurahan"].pk,
        )

    def import_done_url(self, job) -> str:
        year = ProgramYear.objects.filter(pk=(job.options or {}).get("program_year_id")).first()
        url = reverse("admin:proposals_updateround_progress")
        return f"{url}?year={year.year}" if year else url

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("progress/", wrap(self.progress_view), name="proposals_updateround_progress"),
            path("form/", wrap(self.form_view), name="proposals_updateround_form"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "progress_url": reverse("admin:proposals_updateround_progress"),
        }
        return super().changelist_view(request, extra_context)

    def _year(self, request: HttpRequest) -> tuple[list[ProgramYear], ProgramYear | None]:
        years = list(ProgramYear.objects.order_by("-year"))
        chosen = request.GET.get("year", "")
        year = next((y for y in years if str(y.year) == chosen), None) or next(
            (y for y in years if not y.is_closed), years[0] if years else None
        )
        return years, year

    def progress_view(self, request: HttpRequest) -> HttpResponse:
        """Every kelurahan's update for a year: participants, answers, done or not."""
        refuse_scoped_user(request)
        if not self.has_view_permission(request):
            raise PermissionDenied
        years, year = self._year(request)
        rows = selectors.update_progress(year) if year else []
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Yearly update (pemutakhiran) %(year)s")
            % {"year": year.year if year else "-"},
            "years": years,
            "year": year,
            "rows": rows,
            "done": sum(1 for r in rows if r.done),
            "may_run": self.has_import_permission(request),
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/proposals/updateround/progress.html", context)

    def form_view(self, request: HttpRequest) -> HttpResponse:
        """A kelurahan's form for the year (xlsx with full NIKs: it goes back and forth
        between Disnaker and the kelurahan office); the download is recorded on the round."""
        refuse_scoped_user(request)
        if not self.has_import_permission(request):
            raise PermissionDenied
        _years, year = self._year(request)
        wanted = request.GET.get("kelurahan", "")
        kelurahan = None
        if wanted.isascii() and wanted.isdigit() and len(wanted) < 10:
            kelurahan = Kelurahan.objects.filter(pk=int(wanted)).first()
        if year is None or kelurahan is None:
            messages.warning(request, gettext("Choose a program year and a kelurahan."))
            return HttpResponseRedirect(reverse("admin:proposals_updateround_progress"))
        services.update_form_downloaded(program_year=year, kelurahan=kelurahan, user=request.user)
        response = HttpResponse(update_form_xlsx(year, kelurahan), content_type=XLSX_TYPE)
        response["Content-Disposition"] = content_disposition_header(
            True, f"pemutakhiran-{year.year}-{kelurahan.code}.xlsx"
        )
        return response
