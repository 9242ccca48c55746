"""Admin: the audit list of imports, and the upload → preview → confirm flow for any importer.

``StagedImportMixin`` extends django-import-export's ``ImportMixin``: the "Import" button and
URLs stay, but the file is read by Siaga's engine, the checked rows are staged server-side,
and confirming writes those rows without reading or validating the file again.
"""

from __future__ import annotations

import io
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import content_disposition_header
from django.utils.module_loading import import_string
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin

from accounts.scoping import NOT_PERSONAL, is_scoped
from siaga.admin_base import SiagaAdmin

from .engine import (
    CONFLICT,
    INVALID,
    NEW,
    STATUSES,
    UNCHANGED,
    UPDATED,
    SpreadsheetImporter,
    check_size,
    max_upload_bytes,
)
from .errors import FileRejected
from .exports import invalid_rows_xlsx
from .models import ImportJob, ImportStatus
from .services import (
    import_abandon,
    import_check_alive,
    import_confirm,
    import_confirm_later,
    import_enqueue,
    import_record_choices,
    import_recover_stale,
    import_retry,
    import_stage,
    import_staged_plan,
)


def may_see_full_niks(job: ImportJob, user: Any) -> bool:
    """Stored import errors quote NIKs: in full only for the uploader and holders of
    ``participants.view_full_nik``; masked for every other viewer (UU 27/2022)."""
    from participants.privacy import can_view_full_nik

    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (job.created_by_id is not None and job.created_by_id == user.pk) or can_view_full_nik(
        user
    )


def job_text_for(text: str, job: ImportJob, user: Any) -> str:
    """A stored message or error of ``job`` as ``user`` may see it (NIKs masked or not)."""
    from participants.privacy import mask_niks_in_text

    if not text or may_see_full_niks(job, user):
        return text
    return mask_niks_in_text(str(text))


def _masked_row(planned: Any, job: ImportJob, user: Any) -> Any:
    """An invalid row with every NIK in its cells and messages masked, for another viewer."""
    from dataclasses import replace

    from .errors import RowError

    return replace(
        planned,
        cells=[job_text_for(c, job, user) if isinstance(c, str) else c for c in planned.cells or []]
        or None,
        errors=[
            RowError(e.row, e.column, e.code, job_text_for(e.message, job, user))
            for e in planned.errors
        ],
    )


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PREVIEW_PAGE_SIZE = 50
WORKER_GRACE_SECONDS = 10
# What the preview shows of a new row (fields an importer does not have are skipped).
PREVIEW_NEW_FIELDS = ("full_name", "birth_date", "sex", "worker_type", "phone")


@admin.register(ImportJob)
class ImportJobAdmin(SiagaAdmin):
    """Read-only: the record of processing is never edited by hand."""

    # A scoped user sees their own imports only: a file may name anyone.
    scope_worker_path = NOT_PERSONAL
    scope_owner_field = "created_by"

    list_display = [
        "created_at",
        "file_name",
        "kind",
        "source",
        "created_by",
        "status",
        "rows_total",
        "rows_new",
        "rows_updated",
        "rows_conflict",
        "rows_unchanged",
        "rows_invalid",
    ]
    list_filter = ["status", "kind", "source"]
    list_select_related = ["created_by"]
    search_fields = ["file_name", "file_sha256"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "kind",
        "file_name",
        "file_sha256",
        "file_size",
        "source",
        "created_by",
        "created_at",
        "finished_at",
        "status",
        "skip_invalid",
        "rows_total",
        "rows_new",
        "rows_updated",
        "rows_conflict",
        "rows_duplicate",
        "rows_unchanged",
        "rows_invalid",
        "accepted_conflicts",
        "not_duplicates",
        "message_display",
        "errors_display",
        "interrupted",
        "heartbeat_at",
    ]
    exclude = ["staged_file", "message", "errors", "worker", "importer_path"]
    actions = ["retry_jobs", "cancel_jobs"]

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        job = super().get_object(request, object_id, from_field)
        if job is not None:
            job._viewer = request.user  # whose eyes the stored NIKs are masked for
        return job

    @admin.display(description=_("message"))
    def message_display(self, job: ImportJob) -> str:
        return job_text_for(job.message, job, getattr(job, "_viewer", None))

    @admin.display(description=_("row errors"))
    def errors_display(self, job: ImportJob) -> str:
        """The stored row errors as a table, NIKs masked unless the viewer may see them."""
        viewer = getattr(job, "_viewer", None)
        errors = job.errors or []
        if not errors:
            return "–"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    error.get("row") or "",
                    job_text_for(str(error.get("column", "")), job, viewer),
                    job_text_for(str(error.get("message", "")), job, viewer),
                )
                for error in errors
                if isinstance(error, dict)
            ),
        )
        return format_html(
            '<table class="import-errors"><thead><tr><th>{}</th><th>{}</th><th>{}</th></tr>'
            "</thead><tbody>{}</tbody></table>",
            gettext("Row"),
            gettext("Column"),
            gettext("Message"),
            rows,
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        import_recover_stale()  # a job whose server stopped is listed as failed, not running
        return super().changelist_view(request, extra_context)

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any):
        import_recover_stale()
        return super().change_view(request, object_id, *args, **kwargs)

    def has_import_permission(self, request: HttpRequest) -> bool:
        """Retrying or cancelling needs the permission of some kind of import (and, per job,
        that of the job's own kind: ``_actionable``)."""
        return any(request.user.has_perm(p) for p in _importer_permissions())

    def _actionable(self, request: HttpRequest, queryset: Any, test: str) -> list[ImportJob]:
        """The selected jobs this user may act on: their own (or any, for a superuser), of a
        kind whose import permission they hold, in a state that allows ``test``."""
        jobs = []
        for job in queryset:
            if job.created_by_id != request.user.pk and not (
                request.user.is_superuser and not is_scoped(request.user)
            ):
                continue
            try:
                permission = import_string(job.importer_path).permission
            except ImportError:
                continue
            if request.user.has_perm(permission) and getattr(job, test):
                jobs.append(job)
        return jobs

    @admin.action(description=_("Retry interrupted imports"), permissions=["import"])
    def retry_jobs(self, request: HttpRequest, queryset: Any) -> None:
        done = [
            j
            for j in self._actionable(request, queryset, "can_retry")
            if import_retry(job=j, user=request.user)
        ]
        self._report_action(
            request,
            len(done),
            queryset.count(),
            ngettext(
                "%(count)d import queued again; the background worker continues it.",
                "%(count)d imports queued again; the background worker continues them.",
                len(done),
            ),
        )

    @admin.action(
        description=_("Cancel imports (delete their checked rows)"), permissions=["import"]
    )
    def cancel_jobs(self, request: HttpRequest, queryset: Any) -> None:
        jobs = self._actionable(request, queryset, "can_cancel")
        for job in jobs:
            import_abandon(job=job)
        self._report_action(
            request,
            len(jobs),
            queryset.count(),
            ngettext(
                "%(count)d import cancelled; its checked rows were deleted.",
                "%(count)d imports cancelled; their checked rows were deleted.",
                len(jobs),
            ),
        )

    def _report_action(self, request: HttpRequest, done: int, selected: int, text: str) -> None:
        if done:
            messages.success(request, text % {"count": done})
        if selected > done:
            messages.warning(
                request,
                gettext(
                    "%(count)d selected imports were left alone: only your own imports that "
                    "the server interrupted (or that wait for confirmation) can be retried or "
                    "cancelled."
                )
                % {"count": selected - done},
            )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _importer_permissions() -> set[str]:
    """The permissions of every importer class (each kind of import declares its own)."""
    found, pending = set(), [SpreadsheetImporter]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.permission:
            found.add(cls.permission)
    return found


class UploadForm(forms.Form):
    import_file = forms.FileField(
        label=_("Spreadsheet file"),
        help_text=_("xlsx, xls, ods or csv (also Excel's “Unicode Text” .txt)."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.xls,.ods,.csv,.txt,.tsv"}),
    )


class StagedImportMixin(ImportMixin):
    """Replace django-import-export's import views with Siaga's staged, validated flow."""

    spreadsheet_importer_class: type[SpreadsheetImporter]
    upload_form_class: type[UploadForm] = UploadForm

    def get_spreadsheet_importer(self) -> SpreadsheetImporter:
        return self.spreadsheet_importer_class()

    def importer_from_upload(self, form: UploadForm) -> SpreadsheetImporter:
        """The importer for a valid upload form; override when the form carries per-run
        options (they are stored on the job, so the background path keeps them)."""
        return self.get_spreadsheet_importer()

    # Whether this kind of import refuses rows outside a scoped user's area or group
    # (accounts/scoping.py); users with a scope may not run the kinds that do not.
    import_checks_scope = False

    def importer_for_request(self, request: HttpRequest, form: UploadForm) -> SpreadsheetImporter:
        """The importer for this user's upload (override to pass the user's scope on)."""
        return self.importer_from_upload(form)

    def importer_for_job(self, job: ImportJob) -> SpreadsheetImporter:
        return self.spreadsheet_importer_class.from_options(job.options)

    def upload_form_initial(self, request: HttpRequest) -> dict[str, Any]:
        """Initial values of the upload form, e.g. an option preselected by a link."""
        return {}

    def import_done_url(self, job: ImportJob) -> str:
        """Where staff land once a confirmed import has finished (or failed)."""
        return self._url("changelist")

    def has_import_permission(self, request: HttpRequest) -> bool:
        if is_scoped(request.user) and not self.import_checks_scope:
            return False
        return request.user.has_perm(self.get_spreadsheet_importer().permission)

    def _templates(self, name: str) -> list[str]:
        opts = self.opts
        return [f"admin/{opts.app_label}/{opts.model_name}/{name}", f"importer/{name}"]

    def get_urls(self):
        prefix = "{}_{}".format(*self.get_model_info())
        wrap = self.admin_site.admin_view
        return [
            path(
                "import/template.xlsx",
                wrap(self.import_template_view),
                name=f"{prefix}_import_template",
            ),
            path(
                "import/<int:job_id>/",
                wrap(self.import_preview_view),
                name=f"{prefix}_import_preview",
            ),
            path(
                "import/<int:job_id>/progress/",
                wrap(self.import_progress_view),
                name=f"{prefix}_import_progress",
            ),
            path(
                "import/<int:job_id>/status.json",
                wrap(self.import_status_view),
                name=f"{prefix}_import_status",
            ),
            path(
                "import/<int:job_id>/invalid.xlsx",
                wrap(self.import_invalid_rows_view),
                name=f"{prefix}_import_invalid_rows",
            ),
            path(
                "import/<int:job_id>/cancel/",
                wrap(self.import_cancel_view),
                name=f"{prefix}_import_cancel",
            ),
            path(
                "import/<int:job_id>/retry/",
                wrap(self.import_retry_view),
                name=f"{prefix}_import_retry",
            ),
            *super().get_urls(),
        ]

    def _url(self, name: str, *args: Any) -> str:
        info = self.get_model_info()
        return reverse(f"admin:{info[0]}_{info[1]}_{name}", args=args)

    def get_import_title(self) -> str:
        return _("Import %(name)s") % {"name": self.opts.verbose_name_plural}

    def _context(self, request: HttpRequest, **extra: Any) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": self.get_import_title(),
            "importer": self.get_spreadsheet_importer(),
            "template_url": self._url("import_template"),
            **extra,
        }

    def import_action(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Upload form (GET); read, validate and stage the file (POST)."""
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.upload_form_class(
            request.POST or None, request.FILES or None, initial=self.upload_form_initial(request)
        )
        file_error = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["import_file"]
            try:
                check_size(upload.size)
                data = upload.read()
            except FileRejected as exc:
                file_error = exc.message
            else:
                importer = self.importer_for_request(request, form)
                if len(data) > settings.SIAGA_IMPORT_BACKGROUND_BYTES:
                    job = import_enqueue(
                        importer=importer, data=data, file_name=upload.name, user=request.user
                    )
                    return HttpResponseRedirect(self._url("import_progress", job.pk))
                outcome = import_stage(
                    importer=importer, data=data, file_name=upload.name, user=request.user
                )
                if outcome.plan is not None:
                    return HttpResponseRedirect(self._url("import_preview", outcome.job.pk))
                file_error = outcome.job.message
        context = self._context(
            request, form=form, file_error=file_error, max_bytes=max_upload_bytes()
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self._templates("import_form.html"), context)

    def _own_job(self, request: HttpRequest, job_id: int) -> ImportJob:
        if not self.has_import_permission(request):
            raise PermissionDenied
        job = get_object_or_404(ImportJob, pk=job_id, kind=self.get_spreadsheet_importer().kind)
        # Staged rows are personal data: only the member of staff who uploaded them sees them.
        if job.created_by_id != request.user.pk and not (
            request.user.is_superuser and not is_scoped(request.user)
        ):
            raise PermissionDenied
        return import_check_alive(job)

    def import_preview_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._own_job(request, job_id)
        if job.is_waiting or job.interrupted:
            return HttpResponseRedirect(self._url("import_progress", job.pk))
        plan = import_staged_plan(job)
        if plan is None:
            messages.warning(
                request,
                gettext("This import is closed (%(status)s).")
                % {"status": job.get_status_display()},
            )
            return HttpResponseRedirect(self._url("changelist"))
        status = request.GET.get("status", "")
        rows = plan.rows_with(status) if status in STATUSES else plan.rows
        page = Paginator(rows, PREVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
        importer = self.importer_for_job(job)
        context = self._context(
            request,
            job=job,
            plan=plan,
            notes=[*importer.plan_notes(plan), *filter(None, [plan.omitted_note()])],
            counts=plan.counts(),
            page=page,
            status=status,
            conflict_rows=[self._preview_row(importer, r) for r in plan.rows_with(CONFLICT)],
            duplicate_rows=[
                self._preview_row(importer, r)
                for r in plan.rows
                if r.duplicates and r.status != INVALID
            ],
            status_choices=[
                (NEW, _("New")),
                (UPDATED, _("Updated")),
                (CONFLICT, _("Identity conflict")),
                (UNCHANGED, _("Unchanged")),
                (INVALID, _("Invalid")),
            ],
            preview_rows=[self._preview_row(importer, r) for r in page.object_list],
            confirm_url=self._url("process_import"),
            cancel_url=self._url("import_cancel", job.pk),
            invalid_url=self._url("import_invalid_rows", job.pk),
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self._templates("import_preview.html"), context)

    @staticmethod
    def _preview_row(importer: SpreadsheetImporter, planned: Any) -> dict[str, Any]:
        shown = importer.preview_changes(planned)
        duplicates = StagedImportMixin._duplicate_flags(planned) if planned.duplicates else []
        if shown is not None:
            return {"planned": planned, "changes": shown, "name": "", "duplicates": duplicates}

        def label(field: str) -> str:
            column = importer.spec.by_field.get(field.removesuffix("_id"))
            return column.label if column else field

        changes = [(label(f), old, new) for f, (old, new) in planned.changes.items()]
        if planned.status == NEW and not planned.changes:
            changes = [
                (label(f), None, v) for f, v in planned.data.items() if f in PREVIEW_NEW_FIELDS
            ]
        return {
            "planned": planned,
            "changes": changes,
            "name": planned.data.get("full_name", ""),
            "duplicates": duplicates,
        }

    @staticmethod
    def _duplicate_flags(planned: Any) -> list[dict[str, Any]]:
        """A flagged row's possible duplicates, each with the link to the worker's page."""
        flags = []
        for flag in planned.duplicates:
            url = ""
            if flag.get("worker_id"):
                try:
                    url = reverse("admin:participants_worker_change", args=[flag["worker_id"]])
                except NoReverseMatch:
                    url = ""
            flags.append({**flag, "url": url})
        return flags

    def process_import(self, request: HttpRequest, **kwargs: Any) -> HttpResponse:
        """Confirm: write the staged rows."""
        if request.method != "POST":
            return HttpResponseRedirect(self._url("import"))
        job = self._own_job(request, int(request.POST.get("job", 0) or 0))
        importer = self.importer_for_job(job)
        skip_invalid = bool(request.POST.get("skip_invalid"))
        if not job.is_open:
            messages.warning(
                request,
                gettext("This import is closed (%(status)s).")
                % {"status": job.get_status_display()},
            )
            return HttpResponseRedirect(self._url("changelist"))
        # Identity conflicts are written only when ticked one by one on the preview; rows
        # ticked "not the same person" have their possible-duplicate pairs recorded as such.
        import_record_choices(
            job=job,
            accepted_conflicts=request.POST.getlist("accept_conflict"),
            not_duplicates=request.POST.getlist("not_duplicate"),
        )
        if job.file_size > settings.SIAGA_IMPORT_BACKGROUND_BYTES:
            import_confirm_later(
                importer=importer, job=job, user=request.user, skip_invalid=skip_invalid
            )
            return HttpResponseRedirect(self._url("import_progress", job.pk))
        outcome = import_confirm(
            importer=importer, job=job, user=request.user, skip_invalid=skip_invalid
        )
        self._report_outcome(request, outcome.job)
        return HttpResponseRedirect(self.import_done_url(outcome.job))

    def _report_outcome(self, request: HttpRequest, job: ImportJob) -> None:
        left_out = job.rows_conflict - len(job.accepted_conflicts or [])
        if job.status == ImportStatus.IMPORTED and left_out:
            messages.warning(
                request,
                ngettext(
                    "%(count)d identity conflict was not accepted and was not written.",
                    "%(count)d identity conflicts were not accepted and were not written.",
                    left_out,
                )
                % {"count": left_out},
            )
        if job.status == ImportStatus.IMPORTED and job.rows_duplicate:
            self._report_duplicates(request, job)
        if job.status == ImportStatus.IMPORTED:
            messages.success(
                request,
                gettext(
                    "Import finished: %(new)d new, %(updated)d updated, %(unchanged)d unchanged, "
                    "%(invalid)d invalid rows skipped."
                )
                % {
                    "new": job.rows_new,
                    "updated": job.rows_updated,
                    "unchanged": job.rows_unchanged,
                    "invalid": job.rows_invalid,
                },
            )
        else:
            messages.error(
                request,
                job_text_for(job.message, job, request.user)
                or gettext("Nothing was imported: %(status)s.")
                % {"status": job.get_status_display()},
            )

    @staticmethod
    def _report_duplicates(request: HttpRequest, job: ImportJob) -> None:
        distinct = len(job.not_duplicates or [])
        queued = job.rows_duplicate - distinct
        if distinct:
            messages.info(
                request,
                ngettext(
                    "%(count)d row was marked not the same person: recorded as different people.",
                    "%(count)d rows were marked not the same person: recorded as different people.",
                    distinct,
                )
                % {"count": distinct},
            )
        if queued:
            try:
                url = reverse("admin:dedup_duplicatepair_changelist") + "?status__exact=terbuka"
            except NoReverseMatch:
                url = ""
            text = ngettext(
                "%(count)d row that may be the same person as another record was imported as "
                "its own record (nothing merged); its pair waits in the review queue of "
                "possible duplicates.",
                "%(count)d rows that may be the same person as another record were imported "
                "as their own records (nothing merged); their pairs wait in the review queue "
                "of possible duplicates.",
                queued,
            ) % {"count": queued}
            if url:
                text = format_html('{} <a href="{}">{}</a>', text, url, gettext("Open the queue"))
            messages.warning(request, text)

    def import_progress_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """A progress bar that follows a background job without reloading the page; for a
        job the server interrupted, what happened and the retry and cancel buttons."""
        job = self._own_job(request, job_id)
        if not job.is_waiting and not job.interrupted:
            return HttpResponseRedirect(self._next_url(request, job))
        context = self._context(
            request,
            job=job,
            status_url=self._url("import_status", job.pk),
            worker_missing=self._worker_missing(job),
            retry_url=self._url("import_retry", job.pk),
            cancel_url=self._url("import_cancel", job.pk),
            upload_url=self._url("import"),
        )
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self._templates("import_progress.html"), context)

    def import_status_view(self, request: HttpRequest, job_id: int) -> JsonResponse:
        job = self._own_job(request, job_id)
        data = {
            "status": job.status,
            "status_display": str(job.get_status_display()),
            "progress": job.progress,
            "worker_missing": self._worker_missing(job),
            "next_url": None if job.is_waiting else self._next_url(request, job),
        }
        return JsonResponse(data)

    def _next_url(self, request: HttpRequest, job: ImportJob) -> str:
        if job.interrupted:
            return self._url("import_progress", job.pk)
        if job.is_open:
            return self._url("import_preview", job.pk)
        if job.status == ImportStatus.UNREADABLE:
            messages.error(request, job_text_for(job.message, job, request.user))
            return self._url("import")
        self._report_outcome(request, job)
        return self.import_done_url(job)

    @staticmethod
    def _worker_missing(job: ImportJob) -> bool:
        """A queued job nobody picked up within a few seconds means no worker is running."""
        return (
            job.status == ImportStatus.QUEUED
            and job.queued_at is not None
            and (timezone.now() - job.queued_at).total_seconds() > WORKER_GRACE_SECONDS
        )

    def import_cancel_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._own_job(request, job_id)
        if request.method == "POST" and job.can_cancel:
            import_abandon(job=job)
            messages.info(request, gettext("The import was cancelled; nothing was written."))
        return HttpResponseRedirect(self._url("changelist"))

    def import_retry_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """Queue an interrupted job again (POST); it continues where the server stopped."""
        job = self._own_job(request, job_id)
        if request.method == "POST":
            if import_retry(job=job, user=request.user):
                return HttpResponseRedirect(self._url("import_progress", job.pk))
            messages.warning(
                request,
                gettext("This import cannot be retried (%(status)s); upload the file again.")
                % {"status": job.get_status_display()},
            )
            return HttpResponseRedirect(self._url("import"))
        return HttpResponseRedirect(self._url("import_progress", job.pk))

    def import_invalid_rows_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        job = self._own_job(request, job_id)
        plan = import_staged_plan(job)
        if plan is None:
            return HttpResponseRedirect(self._url("changelist"))
        buffer = io.BytesIO()
        rows = plan.rows_with(INVALID)
        if not may_see_full_niks(job, request.user):
            rows = [_masked_row(r, job, request.user) for r in rows]
        invalid_rows_xlsx(
            buffer,
            plan.headers,
            rows,
            sheet_title=self.get_spreadsheet_importer().preferred_sheet or plan.sheet_name,
        )
        response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
        stem = plan.file_name.rsplit(".", 1)[0]
        response["Content-Disposition"] = content_disposition_header(
            True, f"{stem}-baris-salah.xlsx"
        )
        return response

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            self.get_spreadsheet_importer().template_bytes(), content_type=XLSX_TYPE
        )
        response["Content-Disposition"] = 'attachment; filename="template-impor.xlsx"'
        return response
