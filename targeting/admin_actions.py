"""The DTKS request list on the worker changelist: a "check due" filter and the download
action. Registered onto ``participants.admin.WorkerAdmin`` and ``DtksCheckAdmin``."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from enrollment.eligibility import dtks_stale_before
from participants.models import DtksStatus
from participants.privacy import mask_niks_in_text

from .exports import XLSX_TYPE, can_export_personal_data, dtks_request_export


def stale_before():
    # The same 12 months after which eligibility warns about the check.
    return dtks_stale_before()


class DtksCheckDueFilter(admin.SimpleListFilter):
    title = _("DTKS check due")
    parameter_name = "dtks_due"

    def lookups(self, request, model_admin):
        return [
            ("due", _("Not checked, or checked more than 12 months ago")),
            ("never", _("Not yet checked")),
            ("stale", _("Checked more than 12 months ago")),
            ("recent", _("Checked in the last 12 months")),
        ]

    def queryset(self, request, queryset):
        never = Q(dtks_status=DtksStatus.UNCHECKED) | Q(dtks_checked_on__isnull=True)
        stale = Q(dtks_checked_on__lt=stale_before())
        match self.value():
            case "due":
                return queryset.filter(never | stale)
            case "never":
                return queryset.filter(never)
            case "stale":
                return queryset.filter(stale).exclude(never)
            case "recent":
                return queryset.filter(dtks_checked_on__gte=stale_before()).exclude(never)
        return queryset


def describe_selection(request: HttpRequest, queryset: QuerySet) -> str:
    """What the exported rows were: the changelist's filters and the kind of selection."""
    # A search for a NIK would otherwise put that NIK into the log: mask it like the admin does.
    filters = mask_niks_in_text(request.GET.urlencode())
    filters = filters or gettext("none")
    if request.POST.get("select_across") == "1":
        chosen = gettext("all rows matching the filters")
    else:
        chosen = gettext("%(count)d rows ticked by hand") % {
            "count": len(request.POST.getlist(ACTION_CHECKBOX_NAME))
        }
    return gettext("Filters: %(filters)s. Selection: %(chosen)s.") % {
        "filters": filters,
        "chosen": chosen,
    }


# "export_personal_data": the ModelAdmin's has_export_personal_data_permission
# (siaga.admin_base.ActionPermissionsMixin).
@admin.action(description=_("Download DTKS check list"), permissions=["export_personal_data"])
def download_dtks_request_list(modeladmin, request: HttpRequest, queryset: QuerySet):
    """Download the selected workers as Dinas Sosial's check list (logged personal data)."""
    if not can_export_personal_data(request.user):
        raise PermissionDenied
    exported = dtks_request_export(
        user=request.user, workers=queryset, selection=describe_selection(request, queryset)
    )
    if not exported.log.row_count:
        messages.warning(request, gettext("No workers selected: nothing was exported."))
    response = HttpResponse(exported.content, content_type=XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, exported.file_name)
    return response
