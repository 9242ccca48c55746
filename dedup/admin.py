"""The review queue of possible duplicates: both records side by side, decide per pair."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.scoping import CITY_WIDE
from enrollment.models import ProgramYear
from importer.admin import StagedImportMixin, UploadForm
from participants.models import Worker
from participants.privacy import can_view_full_nik, shown_nik
from siaga.admin_base import SiagaAdmin, refuse_scoped_user

from .matching import DEFAULT_MIN_SCORE
from .models import COMPARED_FIELDS, DuplicatePair, OtherCover, PairStatus, PayerKind, WorkerAlias
from .resources import OtherCoverImporter
from .scan import find_duplicates
from .selectors import double_cover
from .services import pair_mark_distinct, pairs_refresh, workers_merge

MERGE_PERMISSION = "dedup.merge_workers"
SHOWN_FIELDS = [
    "nik", "full_name", "birth_date", "sex", "kk_number", "phone", "kelurahan", "address",
    "segment", "worker_type", "dtks_status", "death_date", "is_active",
]  # fmt: skip


@admin.register(DuplicatePair)
class DuplicatePairAdmin(SiagaAdmin):
    # Both workers of a pair must be in scope.
    scope_worker_path = ("worker_a", "worker_b")
    list_display = ["score", "reasons_text", "status"]
    list_filter = ["status"]
    list_select_related = ["worker_a", "worker_b"]
    search_fields = ["nik_a", "nik_b"]
    show_full_result_count = False
    actions = None

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # Decisions go through the compare page's buttons (services), never a form.
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).order_by("status", "-score", "pk")

    def get_list_display(self, request):
        """NIKs as this user may see them (the columns close over the request)."""

        def column(side: str, title):
            def record(pair):
                worker, nik = getattr(pair, f"worker_{side}"), getattr(pair, f"nik_{side}")
                name = worker.full_name if worker else gettext("(merged)")
                return f"{shown_nik(nik, request.user)} {name}"

            record.short_description = title
            return record

        return ["score", column("a", _("record A")), column("b", _("record B")),
                "reasons_text", "status"]  # fmt: skip

    @admin.display(description=_("why"))
    def reasons_text(self, pair):
        return ", ".join(pair.reasons)

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "scan_url": reverse("admin:dedup_duplicatepair_scan"),
            "can_scan": request.user.has_perm("dedup.add_duplicatepair"),
        }
        return super().changelist_view(request, extra_context)

    def get_list_display_links(self, request, list_display):
        return ["score"]

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("scan/", wrap(self.scan_view), name="dedup_duplicatepair_scan"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return self.compare_view(request, object_id)

    def scan_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not request.user.has_perm("dedup.add_duplicatepair"):
            raise PermissionDenied
        refuse_scoped_user(request)
        counts = pairs_refresh(find_duplicates(min_score=DEFAULT_MIN_SCORE))
        messages.success(
            request,
            gettext(
                "Scan finished: %(created)d new pairs, %(reopened)d reopened after a change, "
                "%(removed)d no longer similar."
            )
            % counts,
        )
        return HttpResponseRedirect(reverse("admin:dedup_duplicatepair_changelist"))

    def compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        pair = get_object_or_404(
            self.get_queryset(request).select_related(
                "worker_a__kelurahan",
                "worker_a__segment",
                "worker_b__kelurahan",
                "worker_b__segment",
            ),
            pk=object_id,
        )
        can_decide = request.user.has_perm("dedup.change_duplicatepair")
        can_merge = request.user.has_perm(MERGE_PERMISSION)
        if request.method == "POST":
            if not (can_decide or can_merge):
                raise PermissionDenied  # who may only look posts nothing, not even an empty form
            decision = request.POST.get("decision", "")
            if (decision == "distinct" and not can_decide) or (
                decision.startswith("keep_") and not can_merge
            ):
                raise PermissionDenied
            note = request.POST.get("note", "")
            try:
                if decision == "distinct":
                    pair_mark_distinct(pair=pair, user=request.user, note=note)
                    messages.success(request, gettext("Recorded: different people."))
                elif decision in ("keep_a", "keep_b") and pair.worker_a and pair.worker_b:
                    keep, remove = (
                        (pair.worker_a, pair.worker_b)
                        if decision == "keep_a"
                        else (pair.worker_b, pair.worker_a)
                    )
                    workers_merge(keep=keep, remove=remove, user=request.user, note=note)
                    messages.success(
                        request,
                        gettext("Merged: the records are now one worker; the other NIK finds it."),
                    )
                    return HttpResponseRedirect(
                        reverse("admin:participants_worker_change", args=[keep.pk])
                    )
                else:
                    messages.error(request, gettext("Choose a decision."))
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            return HttpResponseRedirect(request.path)
        rows = []
        for field in SHOWN_FIELDS:
            label = Worker._meta.get_field(field).verbose_name
            a, b = (self._value(w, field, request.user) for w in (pair.worker_a, pair.worker_b))
            compared = field in COMPARED_FIELDS or f"{field}_id" in COMPARED_FIELDS
            rows.append({"label": label, "a": a, "b": b, "differ": compared and a != b})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Possible duplicate: score %(score)d") % {"score": pair.score},
            "pair": pair,
            "rows": rows,
            "can_decide": can_decide and pair.status != PairStatus.MERGED,
            "can_merge": can_merge
            and pair.status != PairStatus.MERGED
            and pair.worker_a
            and pair.worker_b,
            "links": [
                reverse("admin:participants_worker_change", args=[w.pk]) if w else ""
                for w in (pair.worker_a, pair.worker_b)
            ],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/dedup/compare.html", context)

    @staticmethod
    def _value(worker, field, user):
        if worker is None:
            return ""
        if field in ("nik", "kk_number"):
            return shown_nik(getattr(worker, field), user)
        value = getattr(worker, field)
        display = getattr(worker, f"get_{field}_display", None)
        if display is not None:
            return display()
        if field == "is_active":
            return gettext("yes") if value else gettext("no")
        if hasattr(value, "strftime"):
            return value.strftime("%d-%m-%Y")
        return "" if value is None else str(value)


@admin.register(WorkerAlias)
class WorkerAliasAdmin(SiagaAdmin):
    scope_worker_path = "worker"
    list_display = ["full_name", "kept_worker", "merged_at", "merged_by"]
    list_select_related = ["worker", "merged_by"]
    search_fields = ["nik"]
    show_full_result_count = False

    def get_exclude(self, request, obj=None):
        # The NIK is in the list, masked as this user may see it; the page leaves it out.
        return [] if can_view_full_nik(request.user) else ["nik"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_list_display(self, request):
        def merged_nik(alias):
            return shown_nik(alias.nik, request.user)

        merged_nik.short_description = _("merged NIK")
        return [merged_nik, *self.list_display]

    @admin.display(description=_("kept worker"))
    def kept_worker(self, alias):
        url = reverse("admin:participants_worker_change", args=[alias.worker_id])
        return format_html('<a href="{}">{}</a>', url, alias.worker)


class OtherCoverUploadForm(UploadForm):
    """The list plus what the file does not say: whose list it is and for which year."""

    program_year = forms.ModelChoiceField(
        label=_("Program year"), queryset=ProgramYear.objects.order_by("-year")
    )
    payer = forms.CharField(
        label=_("Payer"),
        max_length=150,
        help_text=_("e.g. APBD Provinsi Jawa Timur, Perumda Air Minum Tirta Taman Sari (CSR)."),
    )
    payer_kind = forms.ChoiceField(label=_("Kind of payer"), choices=PayerKind.choices)


@admin.register(OtherCover)
class OtherCoverAdmin(StagedImportMixin, SiagaAdmin):
    """NIKs other payers already cover, and which of this year's people appear on them."""

    # Other payers' lists name people by NIK, not workers of the registry.
    scope_worker_path = CITY_WIDE

    spreadsheet_importer_class = OtherCoverImporter
    upload_form_class = OtherCoverUploadForm
    list_display = ["name", "payer", "payer_kind", "program_year", "imported_at"]
    list_filter = ["program_year", "payer_kind", "payer"]
    list_select_related = ["program_year"]
    search_fields = ["nik", "name", "payer"]
    show_full_result_count = False
    import_export_change_list_template = "admin/dedup/othercover/change_list.html"

    def get_exclude(self, request, obj=None):
        # The NIK is in the list, masked as this user may see it; the page leaves it out.
        return [] if can_view_full_nik(request.user) else ["nik"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_list_display(self, request):
        def listed_nik(entry):
            return shown_nik(entry.nik, request.user)

        listed_nik.short_description = _("NIK")
        return [listed_nik, *self.list_display]

    def importer_from_upload(self, form: OtherCoverUploadForm) -> OtherCoverImporter:
        return OtherCoverImporter(
            program_year_id=form.cleaned_data["program_year"].pk,
            payer=form.cleaned_data["payer"],
            payer_kind=form.cleaned_data["payer_kind"],
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("double-cover/", wrap(self.double_cover_view), name="dedup_othercover_double"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "double_cover_url": reverse("admin:dedup_othercover_double"),
        }
        return super().changelist_view(request, extra_context)

    def double_cover_view(self, request: HttpRequest) -> HttpResponse:
        """This year's proposed and verified people who appear on another payer's list."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        refuse_scoped_user(request)
        years = list(ProgramYear.objects.order_by("-year"))
        chosen = request.GET.get("year", "")
        year = next((y for y in years if str(y.year) == chosen), None) or next(
            (y for y in years if not y.is_closed), years[0] if years else None
        )
        rows = double_cover(year) if year else []
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("Covered by another payer: %(year)s")
            % {"year": year.year if year else "-"},
            "years": years,
            "year": year,
            "rows": [{**row, "nik": shown_nik(row["nik"], request.user)} for row in rows],
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/dedup/double_cover.html", context)
