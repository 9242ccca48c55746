from __future__ import annotations

import datetime
import hashlib
import re

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import DateField, Q, QuerySet, Value
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX

from accounts.scoping import NOT_PERSONAL, is_scoped
from importer.admin import StagedImportMixin
from siaga.admin_base import SiagaAdmin, SiagaHistoryAdmin, parse_query_date, warn_bad_query_value
from siaga.pagination import EstimatedCountPaginator
from targeting.admin_actions import DtksCheckDueFilter, download_dtks_request_list

from . import regions
from .models import Heir, Kecamatan, Kelurahan, Segment, Worker
from .privacy import can_view_full_nik, mask_niks_in_text, shown_nik
from .resources import WorkerImporter, WorkerResource
from .services import DEPARTURE_FIELDS, stamp_author, workers_departed
from .validators import normalize_phone


def requested_date(request: HttpRequest, param: str) -> datetime.date:
    """A date from the query string, today (Asia/Jakarta) when absent or malformed."""
    return parse_query_date(request.GET.get(param, "")) or timezone.localdate()


# What people type between the digits of a NIK or a phone number: "3577 0101…", "3577-01-…",
# "0812-3456-7890", "+62 812 3456 7890", "(0351) …".
_SEARCH_SEPARATORS = re.compile(r"[\s\-./()]")


def search_digits(term: str) -> str | None:
    """The digits of a search term typed with separators, or None when it is not a number."""
    compact = _SEARCH_SEPARATORS.sub("", term)
    return compact if compact.isdigit() else None


def search_phone(term: str) -> str | None:
    """The stored ``+62…`` form of a term typed as a whole phone number, else None."""
    try:
        return normalize_phone(term) or None
    except ValidationError:
        return None


def nik_search(
    queryset: QuerySet, term: str, *, name_field: str, phone_field: str | None = "phone"
) -> QuerySet:
    """Search a NIK, a phone number or a name, each on an index (README, "Admin at scale").

    A NIK typed with spaces, dashes or dots counts as its digits: 16 digits by equality, fewer
    by prefix (both on the NIK index). A whole phone number in any accepted form (``08…``,
    ``62…``, ``+62…``) is normalised as on saving and matched by equality on the phone index;
    a number starting with 0 or + can only be a phone (no NIK starts with 0). Other text
    searches the name (trigram index on PostgreSQL).
    """
    term = term.strip()
    digits = search_digits(term.removeprefix("+"))
    phone = search_phone(term) if phone_field and digits else None
    if digits is None:
        return queryset.filter(**{f"{name_field}__icontains": term})
    if term.startswith(("0", "+")):
        return queryset.filter(**{phone_field: phone}) if phone else queryset.none()
    by_nik = Q(nik=digits) if len(digits) == 16 else Q(nik__startswith=digits)
    if len(digits) == 16 and _has_aliases(queryset.model):
        # The NIK of a record merged into another (dedup) finds the kept worker.
        by_nik |= Q(aliases__nik=digits)
    if phone:
        return queryset.filter(by_nik | Q(**{phone_field: phone}))
    return queryset.filter(by_nik)


def _has_aliases(model) -> bool:
    return any(rel.get_accessor_name() == "aliases" for rel in model._meta.related_objects)


@admin.register(Kecamatan)
class KecamatanAdmin(SiagaAdmin):
    scope_worker_path = NOT_PERSONAL
    list_display = ["code", "name"]
    search_fields = ["name", "code"]


@admin.register(Kelurahan)
class KelurahanAdmin(SiagaAdmin):
    scope_worker_path = NOT_PERSONAL
    list_display = ["code", "name", "kind", "kecamatan"]
    list_filter = ["kind", "kecamatan"]
    list_select_related = ["kecamatan"]
    search_fields = ["name", "code"]


class NoStaffDeleteMixin:
    """Staff deactivate instead of deleting; only an administrator may purge (audited).

    Purging is the model's delete permission, which only the Administrator role holds
    (accounts/roles.py), superuser or not."""

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj)


@admin.register(Segment)
class SegmentAdmin(NoStaffDeleteMixin, SiagaHistoryAdmin):
    scope_worker_path = NOT_PERSONAL
    list_display = ["name", "code", "default_risk_class", "is_active", "sort_order"]
    list_editable = ["default_risk_class", "is_active", "sort_order"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}


class HasHeirsFilter(admin.SimpleListFilter):
    title = _("heirs")
    parameter_name = "has_heirs"

    def lookups(self, request, model_admin):
        return [("yes", _("Has heirs")), ("no", _("No heirs recorded"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.with_heirs()
        if self.value() == "no":
            return queryset.without_heirs()
        return queryset


class AliveFilter(admin.SimpleListFilter):
    title = _("alive or deceased")
    parameter_name = "alive"

    def lookups(self, request, model_admin):
        return [("yes", _("Alive")), ("no", _("Deceased"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(death_date__isnull=True)
        if self.value() == "no":
            return queryset.filter(death_date__isnull=False)
        return queryset


class HeirInline(admin.TabularInline):
    model = Heir
    extra = 0
    fields = ["name", "nik", "relationship", "birth_date", "school_level", "school_age"]
    readonly_fields = ["school_age"]
    school_age_on: datetime.date | None = None

    def get_fields(self, request, obj=None):
        if can_view_full_nik(request.user):
            return self.fields
        # Without the full-NIK permission an heir's NIK is shown masked and cannot be edited.
        return [("masked_nik" if f == "nik" else f) for f in self.fields]

    def get_readonly_fields(self, request, obj=None):
        if can_view_full_nik(request.user):
            return self.readonly_fields
        return [*self.readonly_fields, "masked_nik"]

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser or super().has_delete_permission(request, obj)

    @admin.display(description=_("NIK"))
    def masked_nik(self, heir: Heir) -> str:
        return shown_nik(heir.nik, None) or "-"

    @admin.display(description=_("school age"))
    def school_age(self, heir: Heir) -> str:
        if heir.pk is None:
            return "-"
        day = self.school_age_on or timezone.localdate()
        age = heir.age_on(day)
        verdict = gettext("Yes") if heir.is_school_age_on(day) else gettext("No")
        if age is None:
            return verdict
        return gettext("%(verdict)s (age %(age)d on %(date)s)") % {
            "verdict": verdict,
            "age": age,
            "date": day.strftime("%d-%m-%Y"),
        }


class ActiveFilter(admin.SimpleListFilter):
    """Deactivated records stay listed unless filtered out.

    Filtering by default would add a WHERE to every unfiltered page and cost the million-row
    list its cheap estimated count (siaga.pagination); deactivated records are rare.
    """

    title = _("record status")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("Active")), ("no", _("Deactivated"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(is_active=True)
        if self.value() == "no":
            return queryset.filter(is_active=False)
        return queryset


@admin.register(Worker)
class WorkerAdmin(NoStaffDeleteMixin, StagedImportMixin, ExportMixin, SiagaHistoryAdmin):
    scope_worker_path = ""
    # Import: Siaga's checked, staged flow (importer.admin); export: django-import-export,
    # with formula-looking text escaped by WorkerResource.
    spreadsheet_importer_class = WorkerImporter
    import_checks_scope = True
    resource_classes = [WorkerResource]
    export_formats = [XLSX, CSV]
    import_export_change_list_template = "admin/participants/worker/change_list.html"

    def importer_for_request(self, request, form):
        # Rows outside a scoped user's area or group are refused (accounts/scoping.py).
        return WorkerImporter(scope_user_id=request.user.pk if is_scoped(request.user) else None)

    # Exports carry personal data: their own permission, masked NIK/KK unless the user may see
    # them, and one ExportLog row per file (UU 27/2022 record of processing).
    def has_export_permission(self, request):
        return request.user.has_perm("participants.export_personal_data")

    def get_export_resource_kwargs(self, request, **kwargs):
        kwargs = super().get_export_resource_kwargs(request, **kwargs)
        return {**kwargs, "mask_identity_numbers": not can_view_full_nik(request.user)}

    def get_export_data(self, file_format, request, queryset, **kwargs):
        from targeting.models import ExportLog  # the shared export log

        data = super().get_export_data(file_format, request, queryset, **kwargs)
        content = data if isinstance(data, bytes) else data.encode()
        ExportLog.objects.create(
            kind="worker_list",
            purpose=gettext("Worker list export from the admin"),
            selection=mask_niks_in_text(request.GET.urlencode() or request.POST.urlencode()),
            row_count=queryset.count(),
            file_name=self.get_export_filename(request, queryset, file_format),
            file_sha256=hashlib.sha256(content).hexdigest(),
            created_by=request.user,
        )
        return data

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "kelurahan" and field is not None:
            # "Kelurahan", "Desa" or "Kelurahan/Desa" as the region has them; names repeat
            # across kecamatan in a kabupaten, so each choice names its kecamatan.
            field.label = regions.village_label()
            field.queryset = field.queryset.select_related("kecamatan")
            field.label_from_instance = lambda v: f"{v.name} (Kec. {v.kecamatan.name})"
        return field

    # Chosen to fit a 1366-px screen beside the filters: the type as its code (BPU/PU).
    list_display = [
        "masked_nik",
        "full_name",
        "worker_type_code",
        "segment",
        "kelurahan",
        "dtks_status",
        "is_alive",
        "is_active",
    ]
    list_select_related = ["segment", "kelurahan"]
    list_filter = [
        "worker_type",
        "segment",
        "kelurahan__kecamatan",
        "kelurahan",
        "dtks_status",
        DtksCheckDueFilter,
        HasHeirsFilter,
        AliveFilter,
        ActiveFilter,
    ]
    search_fields = ["nik", "full_name"]
    search_help_text = _(
        "NIK (16 digits, or its first digits; spaces and dashes allowed), phone number "
        "(08…, 62… or +62…) or part of the name."
    )
    actions = [download_dtks_request_list]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    list_per_page = 50
    autocomplete_fields: list[str] = []
    inlines = [HeirInline]
    readonly_fields = ["warnings_display", "created_at", "created_by", "updated_at", "updated_by"]
    fieldsets = [
        (
            _("Identity"),
            {
                "fields": [
                    "nik",
                    "kk_number",
                    "full_name",
                    ("birth_place", "birth_date"),
                    "sex",
                    "warnings_display",
                ]
            },
        ),
        (_("Address and contact"), {"fields": ["address", ("rt", "rw"), "kelurahan", "phone"]}),
        (
            _("Work"),
            {
                "fields": [
                    "worker_type",
                    "segment",
                    "employer_name",
                    "monthly_income",
                    "has_disability",
                    "employer_covered",
                ]
            },
        ),
        (
            _("DTKS / DTSEN check"),
            {"fields": ["dtks_status", "dtks_desil", "dtks_checked_on", "dtks_source"]},
        ),
        (
            _("Status and notes"),
            {"fields": ["death_date", "notes", "is_active", "deactivation_reason"]},
        ),
        (
            _("Record history"),
            {
                "classes": ["collapse"],
                "fields": [("created_at", "created_by"), ("updated_at", "updated_by")],
            },
        ),
    ]

    history_list_display = ["full_name", "worker_type", "kelurahan", "dtks_status"]

    @admin.display(description=_("NIK"), ordering="nik")
    def masked_nik(self, worker: Worker) -> str:
        return shown_nik(worker.nik, None)

    @admin.display(description=_("KK number"))
    def masked_kk_number(self, worker: Worker) -> str:
        return shown_nik(worker.kk_number, None) or "-"

    def get_list_display(self, request):
        if can_view_full_nik(request.user):
            return ["nik", *self.list_display[1:]]
        return self.list_display

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or can_view_full_nik(request.user):
            return fieldsets
        swap = {"nik": "masked_nik", "kk_number": "masked_kk_number"}
        return [
            (
                title,
                {
                    **opts,
                    "fields": [swap.get(f, f) if isinstance(f, str) else f for f in opts["fields"]],
                },
            )
            for title, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not can_view_full_nik(request.user):
            fields += ["masked_nik", "masked_kk_number"]
        return fields

    @admin.display(description=_("type"), ordering="worker_type")
    def worker_type_code(self, worker: Worker) -> str:
        return worker.worker_type

    @admin.display(description=_("alive"), boolean=True, ordering="death_date")
    def is_alive(self, worker: Worker) -> bool:
        return worker.is_alive

    @admin.display(description=_("warnings"))
    def warnings_display(self, worker: Worker) -> str:
        if worker.pk is None:
            return "-"
        found = worker.warnings()
        if not found:
            return gettext("None")
        return format_html_join("", "<div>⚠ {}</div>", ((str(w),) for w in found))

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        return nik_search(queryset, search_term, name_field="full_name"), False

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        day = requested_date(request, "school_age_on")
        for inline in inlines:
            if isinstance(inline, HeirInline):
                inline.school_age_on = day
        return inlines

    def save_model(self, request, obj, form, change):
        stamp_author(obj, request.user)
        super().save_model(request, obj, form, change)
        if change and DEPARTURE_FIELDS.intersection(form.changed_data):
            # A death date or deactivation ends the worker's cover, in this transaction.
            workers_departed(worker_ids=[obj.pk], user=request.user)
        for warning in obj.warnings():
            messages.warning(request, str(warning))


class SchoolAgeOnFilter(admin.ListFilter):
    """Heirs of school age on a date staff type in (default: no filtering)."""

    title = _("school age on date")
    parameter_name = "school_age_on"
    template = "admin/participants/school_age_filter.html"

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        value = params.pop(self.parameter_name, None)
        if isinstance(value, list):
            value = value[-1] if value else None
        self.day = parse_query_date(value)
        if value and self.day is None:
            warn_bad_query_value(request, str(self.title), value)
        self.used_parameters = {}
        if self.day:
            self.used_parameters[self.parameter_name] = value

    def has_output(self) -> bool:
        return True

    def expected_parameters(self) -> list[str]:
        return [self.parameter_name]

    def choices(self, changelist):
        return [{"day": self.day, "changelist": changelist}]

    def queryset(self, request, queryset):
        if self.day:
            return queryset.school_age_on(self.day)
        return queryset


@admin.register(Heir)
class HeirAdmin(NoStaffDeleteMixin, SiagaHistoryAdmin):
    scope_worker_path = "worker"
    list_display = [
        "name",
        "worker",
        "relationship",
        "birth_date",
        "age",
        "school_level",
        "school_age",
    ]
    list_select_related = ["worker"]
    list_filter = [SchoolAgeOnFilter, "relationship", "school_level"]
    search_fields = ["name", "worker__nik", "worker__full_name"]
    search_help_text = _("Worker's NIK, worker's name or heir's name.")
    # The worker is found by NIK, phone or name, never by id.
    autocomplete_fields = ["worker"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        if obj is None or can_view_full_nik(request.user):
            return fields
        return ["masked_nik" if f == "nik" else f for f in fields]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and not can_view_full_nik(request.user):
            fields.append("masked_nik")
        return fields

    @admin.display(description=_("NIK"))
    def masked_nik(self, heir: Heir) -> str:
        return shown_nik(heir.nik, None) or "-"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        compact = search_digits(term)
        if compact:
            lookup = "exact" if len(compact) == 16 else "startswith"
            return queryset.filter(**{f"worker__nik__{lookup}": compact}), False
        return queryset.filter(name__icontains=term), False

    def get_queryset(self, request):
        # The reference date travels with each row: a ModelAdmin is shared between requests.
        day = requested_date(request, "school_age_on")
        return (
            super()
            .get_queryset(request)
            .annotate(reference_day=Value(day, output_field=DateField()))
        )

    @admin.display(description=_("age"))
    def age(self, heir: Heir):
        return heir.age_on(getattr(heir, "reference_day", None) or timezone.localdate())

    @admin.display(description=_("school age"), boolean=True)
    def school_age(self, heir: Heir) -> bool:
        return heir.is_school_age_on(getattr(heir, "reference_day", None) or timezone.localdate())


def _admin_titles() -> None:
    # Follows SIAGA_REGION (and SIAGA_OFFICE_SHORT_NAME), read when a page is drawn.
    admin.site.site_header = lazy(lambda: f"Siaga Kita — {regions.office_short_name()}", str)()
    admin.site.site_title = _("Siaga")
    admin.site.index_title = _("Registry and program administration")


_admin_titles()
