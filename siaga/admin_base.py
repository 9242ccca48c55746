"""What every ModelAdmin of Siaga shares: odd query strings never answer 500, record versions
are read-only, and the permissions that the actions declare.

``SiagaAdmin`` and ``SiagaHistoryAdmin`` are the bases of every registered ModelAdmin
(tests/project/test_access.py checks it): a new admin that forgets them fails the suite.
"""

from __future__ import annotations

import datetime

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.dateparse import parse_date
from django.utils.translation import gettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from accounts.scoping import (
    CITY_WIDE,
    WorkerPath,
    is_scoped,
    scope_choices,
    scope_owned,
    scope_queryset,
)
from participants.privacy import can_view_full_nik, mask_niks_in_text

# Dates typed into a filter or the address bar outside these years are refused: nothing in the
# program is dated before 1900, and date arithmetic (ages, school age) must not overflow.
EARLIEST_QUERY_DATE = datetime.date(1900, 1, 1)
LATEST_QUERY_DATE = datetime.date(2199, 12, 31)

EXPORT_PERSONAL_DATA_PERMISSION = "participants.export_personal_data"
PROPOSE_PERMISSION = "enrollment.add_enrollment"
DECIDE_PERMISSION = "enrollment.change_enrollment"


def parse_query_date(value: str | None) -> datetime.date | None:
    """A ``YYYY-MM-DD`` date from a query string, or None when absent, malformed, impossible
    (``2024-02-31``, ``9999-99-99``) or outside the years the program can mean."""
    if not value:
        return None
    try:
        day = parse_date(value.strip())
    except ValueError:
        return None
    if day is None or not EARLIEST_QUERY_DATE <= day <= LATEST_QUERY_DATE:
        return None
    return day


def warn_bad_query_value(request: HttpRequest, name: str, value: str) -> None:
    """Tell staff that a value in the address was not understood and was left out."""
    messages.warning(
        request,
        gettext("“%(value)s” is not a valid value for %(name)s; the list is shown without it.")
        % {"value": mask_niks_in_text(value)[:40], "name": name},
    )


class SafeChangeListMixin:
    """A filter or address value that cannot be read (an impossible date, a number too large
    for a date or the database, text where a number belongs) shows the unfiltered list with a
    message, never a server error.

    Django already turns most bad lookups into ``IncorrectLookupParameters`` (the changelist
    then redirects to the unfiltered list, ``?e=1``); this adds what escapes it (OverflowError
    from date hierarchies, ValueError/ValidationError from custom filters) and the message.
    """

    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except IncorrectLookupParameters:
            self._bad_filter_message(request)
            raise
        except (ValueError, OverflowError, ValidationError, TypeError) as exc:
            self._bad_filter_message(request)
            raise IncorrectLookupParameters(exc) from exc

    @staticmethod
    def _bad_filter_message(request: HttpRequest) -> None:
        messages.warning(
            request,
            gettext(
                "The filter in the address could not be read (an impossible date, a number too "
                "large, or text where a number belongs); the list is shown without filters."
            ),
        )


class ActionPermissionsMixin:
    """Permissions that actions declare with ``@admin.action(permissions=[...])`` besides
    Django's add/change/delete/view (README role table)."""

    def has_export_personal_data_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(EXPORT_PERSONAL_DATA_PERMISSION)

    def has_propose_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(PROPOSE_PERMISSION)

    def has_decide_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(DECIDE_PERMISSION)


def refuse_scoped_user(request: HttpRequest) -> None:
    """City-wide pages and operations (BPJS files, submission batches, duplicate scans, other
    payers' lists, "propose the top N") are refused to users limited to an area or group."""
    if is_scoped(request.user):
        raise PermissionDenied


# A ModelAdmin that has not said how its rows relate to workers shows scoped users nothing.
UNDECLARED = object()


class ScopedAdminMixin:
    """Users limited to an area or a group (accounts/scoping.py) get only the rows of their
    workers, in every view the admin builds on ``get_queryset``: the list, search,
    autocomplete, exports, actions, change/delete/history pages (an id outside the scope is
    "not found"), and foreign-key choices (an outside worker id posted into a form is refused).

    Every ModelAdmin declares ``scope_worker_path``: the lookup path from its model to the
    worker (``""``, ``"worker"``, ``"enrollment__worker"``, a tuple when several workers must
    all be in scope), ``NOT_PERSONAL`` for rows that name no worker, or ``CITY_WIDE`` for
    personal data not tied to one worker (scoped users see none). ``scope_owner_field``
    additionally keeps a scoped user's own rows only (imports, export logs).
    """

    scope_worker_path: WorkerPath | object = UNDECLARED
    scope_owner_field: str | None = None

    def scope_queryset(self, request: HttpRequest, queryset):
        path = self.scope_worker_path
        queryset = scope_queryset(request.user, queryset, CITY_WIDE if path is UNDECLARED else path)
        if self.scope_owner_field:
            queryset = scope_owned(request.user, queryset, self.scope_owner_field)
        return queryset

    def get_queryset(self, request):
        return self.scope_queryset(request, super().get_queryset(request))

    def _scoped_choices(self, request: HttpRequest, queryset):
        queryset = scope_choices(request.user, queryset)
        related = self.admin_site._registry.get(queryset.model)
        if isinstance(related, ScopedAdminMixin):
            queryset = related.scope_queryset(request, queryset)
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and is_scoped(request.user):
            field.queryset = self._scoped_choices(request, field.queryset)
        return field

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        field = super().formfield_for_manytomany(db_field, request, **kwargs)
        if field is not None and hasattr(field, "queryset") and is_scoped(request.user):
            field.queryset = self._scoped_choices(request, field.queryset)
        return field

    def in_user_scope(self, request: HttpRequest, object_id) -> bool:
        """Whether the record ``object_id`` is one this user may see (history pages read
        versions, not the live queryset)."""
        if not is_scoped(request.user):
            return True
        try:
            return self.get_queryset(request).filter(pk=unquote(str(object_id))).exists()
        except (ValueError, ValidationError, OverflowError):
            return False

    def history_view(self, request, object_id, extra_context=None):
        if not self.in_user_scope(request, object_id):
            raise Http404
        return super().history_view(request, object_id, extra_context)


class SiagaAdmin(ScopedAdminMixin, SafeChangeListMixin, ActionPermissionsMixin, admin.ModelAdmin):
    """Base of every Siaga ModelAdmin without an audit trail."""


class MaskedHistoryContextHelper(HistoricalRecordContextHelper):
    def prepare_delta_change_value(self, change, value):
        value = super().prepare_delta_change_value(change, value)
        return mask_niks_in_text(value) if isinstance(value, str) else value


class ReadOnlyVersionsMixin:
    """A record's earlier versions (django-simple-history's "Riwayat" pages) can be looked at,
    never saved back: a POST to a version page is refused (405) for everyone, and the page
    shows every field read-only without a "Revert" button. Changes go through the record's own
    page and the services, with their checks."""

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """django-simple-history's version page, without its save (revert) path."""
        request.current_app = self.admin_site.name
        opts = self.model._meta
        if not self.in_user_scope(request, object_id):
            raise Http404
        if request.method not in ("GET", "HEAD"):
            # Same answer as a GET for who may not even look; 405 for everyone else.
            if not self.has_view_or_change_permission(request):
                raise PermissionDenied
            return HttpResponseNotAllowed(["GET", "HEAD"])
        history_model = getattr(self.model, opts.simple_history_manager_attribute).model
        record = get_object_or_404(
            history_model, **{opts.pk.attname: unquote(object_id), "history_id": version_id}
        )
        obj = record.instance
        obj._state.adding = False
        if not self.has_view_history_or_change_history_permission(request, obj):
            raise PermissionDenied
        request.siaga_version_view = True
        form = self.get_form(request, obj)(instance=obj)
        admin_form = helpers.AdminForm(
            form,
            self.get_fieldsets(request, obj),
            {},  # nothing to prepopulate: every field is read-only
            self.get_readonly_fields(request, obj),
            model_admin=self,
        )
        names = self.admin_site.name, opts.app_label, opts.model_name
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("View %(version)s") % {"version": obj},
            "adminform": admin_form,
            "object_id": object_id,
            "original": obj,
            "is_popup": False,
            "media": self.media + admin_form.media,
            "errors": helpers.AdminErrorList(form, []),
            "app_label": opts.app_label,
            "original_opts": opts,
            "changelist_url": reverse("{}:{}_{}_changelist".format(*names)),
            "change_url": reverse("{}:{}_{}_change".format(*names), args=(obj.pk,)),
            "history_url": reverse("{}:{}_{}_history".format(*names), args=(obj.pk,)),
            "change_history": False,
            "revert_disabled": True,
            "add": False,
            "change": True,
            "has_add_permission": False,
            "has_view_permission": True,
            "has_change_permission": False,
            "has_delete_permission": False,
            "has_file_field": False,
            "has_absolute_url": False,
            "form_url": "",
            "opts": history_model._meta,
            "content_type_id": ContentType.objects.get_for_model(self.model).id,
            "save_as": False,
            "save_on_top": False,
            "root_path": getattr(self.admin_site, "root_path", None),
            **(extra_context or {}),
        }
        return self.render_history_view(request, self.object_history_form_template, context)

    def revert_disabled(self, request, obj=None) -> bool:
        return True

    def get_historical_record_context_helper(self, request, historical_record):
        """The changes listed on the history page show NIK/KK numbers as the user may see
        them (a corrected NIK would otherwise show old and new in full)."""
        if can_view_full_nik(request.user):
            return super().get_historical_record_context_helper(request, historical_record)
        return MaskedHistoryContextHelper(self.model, historical_record)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if getattr(request, "siaga_version_view", False):
            fields += [
                f.name
                for f in self.model._meta.get_fields()
                if f.concrete and not f.auto_created and f.name not in fields
            ]
        return fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if not getattr(request, "siaga_version_view", False):
            return fieldsets
        # Every field is read-only here; a field listed twice (e.g. a NIK and its masked
        # twin swapped in by the admin) is shown once.
        seen: set[str] = set()
        cleaned = []
        for title, options in fieldsets:
            fields = []
            for entry in options.get("fields", []):
                names = entry if isinstance(entry, (list, tuple)) else (entry,)
                kept = [n for n in names if n not in seen]
                seen.update(kept)
                if kept:
                    fields.append(kept[0] if len(kept) == 1 else tuple(kept))
            cleaned.append((title, {**options, "fields": fields}))
        return cleaned


class SiagaHistoryAdmin(
    ScopedAdminMixin,
    SafeChangeListMixin,
    ActionPermissionsMixin,
    ReadOnlyVersionsMixin,
    SimpleHistoryAdmin,
):
    """Base of every Siaga ModelAdmin whose model keeps its history."""
