"""Admin for submission batches and official documents.

Batches change only through ``services`` (prepare, approve, return): the change form is
read-only for everyone, and the decision log, snapshot and document records are view-only
(append-only models refuse any update or delete, whoever asks).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scoping import CITY_WIDE
from enrollment.models import PremiumInvoice, ProgramYear
from participants.privacy import can_view_full_nik, shown_nik
from siaga.admin_base import SiagaAdmin, refuse_scoped_user

from . import jobs, services
from .bpjs import export_batch
from .documents import CONTENT_TYPES, generate
from .forms import DecideForm, DocumentForm, PrepareBatchForm
from .models import (
    BatchItem,
    BatchStatus,
    Decision,
    DocumentJob,
    DocumentJobStatus,
    DocumentKind,
    GeneratedDocument,
    SnapshotRow,
    SubmissionBatch,
)
from .render import to_html


def _errors(error: ValidationError) -> list[str]:
    return list(error.messages)


class ReadOnlyAdmin(SiagaAdmin):
    """Nobody adds, changes or deletes here, superusers included."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DecisionInline(admin.TabularInline):
    model = Decision
    extra = 0
    can_delete = False
    fields = ["at", "action", "by", "note", "rejected_rows"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class DocumentInline(admin.TabularInline):
    model = GeneratedDocument
    extra = 0
    can_delete = False
    fields = ["generated_at", "kind", "file_format", "number", "generated_by", "sha256"]
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("Documents generated for this batch")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SubmissionBatch)
class SubmissionBatchAdmin(SiagaAdmin):
    # Batches, their snapshots and documents cover the whole city.
    scope_worker_path = CITY_WIDE
    list_display = [
        "number",
        "program_year",
        "status",
        "rows",
        "snapshot_count",
        "prepared_by",
        "created_at",
        "approved_at",
    ]
    list_filter = ["program_year", "status"]
    search_fields = ["number", "title"]
    readonly_fields = [
        "number",
        "title",
        "program_year",
        "status",
        "approvals_required",
        "prepared_by",
        "created_at",
        "approved_at",
        "snapshot_count",
        "snapshot_sha256",
        "links",
    ]
    fields = readonly_fields
    inlines = [DecisionInline, DocumentInline]
    actions = ["approve_selected"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_approve_permission(self, request):
        return request.user.has_perm("approvals.approve_submissionbatch")

    @admin.display(description=gettext_lazy("rows"))
    def rows(self, obj):
        return obj.items.count()

    @admin.display(description=gettext_lazy("rows, decisions and documents"))
    def links(self, obj):
        items = reverse("admin:approvals_batchitem_changelist") + f"?batch__id__exact={obj.pk}"
        parts = [format_html('<a href="{}">{}</a>', items, _("Rows of the batch"))]
        if obj.status == BatchStatus.SUBMITTED:
            decide = reverse("admin:approvals_submissionbatch_decide", args=[obj.pk])
            parts.append(format_html('<a href="{}">{}</a>', decide, _("Approve or return")))
        if obj.status == BatchStatus.APPROVED:
            snap = reverse("admin:approvals_snapshotrow_changelist") + f"?batch__id__exact={obj.pk}"
            parts.append(format_html('<a href="{}">{}</a>', snap, _("Approved participants")))
            bpjs = reverse("admin:approvals_submissionbatch_bpjs", args=[obj.pk])
            parts.append(format_html('<a href="{}">{}</a>', bpjs, _("BPJS registration file")))
        documents = reverse("admin:approvals_documents") + f"?year={obj.program_year.year}"
        parts.append(format_html('<a href="{}">{}</a>', documents, _("Documents")))
        return format_html(" · ".join(["{}"] * len(parts)), *parts)

    # -- views ------------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("prepare/", wrap(self.prepare_view), name="approvals_submissionbatch_prepare"),
            path(
                "<int:pk>/decide/", wrap(self.decide_view), name="approvals_submissionbatch_decide"
            ),
            path("<int:pk>/bpjs/", wrap(self.bpjs_view), name="approvals_submissionbatch_bpjs"),
            path("documents/", wrap(self.documents_view), name="approvals_documents"),
            path("document/", wrap(self.document_view), name="approvals_document"),
            path(
                "document-job/<int:document_job_id>/",
                wrap(self.document_job_view),
                name="approvals_document_job",
            ),
            path(
                "document-job/<int:document_job_id>/status/",
                wrap(self.document_job_status_view),
                name="approvals_document_job_status",
            ),
            path(
                "document-job/<int:document_job_id>/download/",
                wrap(self.document_job_download_view),
                name="approvals_document_job_download",
            ),
            *super().get_urls(),
        ]

    def has_add_permission(self, request):
        return False  # batches are made by the prepare page, from verified enrollments

    def changelist_view(self, request, extra_context=None):
        extra = {
            "can_prepare": request.user.has_perm("approvals.add_submissionbatch"),
            "can_documents": request.user.has_perm("approvals.generate_documents"),
        }
        return super().changelist_view(request, extra | (extra_context or {}))

    def _page(self, request, template, title, **context):
        return TemplateResponse(
            request,
            template,
            {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title}
            | context,
        )

    def prepare_view(self, request):
        refuse_scoped_user(request)  # batches and documents cover the whole city
        if not request.user.has_perm("approvals.add_submissionbatch"):
            raise PermissionDenied
        form = PrepareBatchForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                batch = services.batch_prepare(
                    program_year=form.cleaned_data["program_year"],
                    user=request.user,
                    title=form.cleaned_data["title"],
                )
            except ValidationError as error:
                for message in _errors(error):
                    form.add_error(None, message)
            else:
                messages.success(
                    request,
                    _("Batch %(number)s with %(count)s rows awaits approval.")
                    % {"number": batch.number, "count": batch.items.count()},
                )
                return HttpResponseRedirect(
                    reverse("admin:approvals_submissionbatch_change", args=[batch.pk])
                )
        years = [
            (year, services.batchable_enrollments(year).count())
            for year in ProgramYear.objects.open().order_by("-year")
        ]
        return self._page(
            request,
            "admin/approvals/prepare.html",
            _("Prepare a submission batch"),
            form=form,
            years=years,
        )

    def decide_view(self, request, pk):
        refuse_scoped_user(request)  # batches and documents cover the whole city
        if not request.user.has_perm("approvals.approve_submissionbatch"):
            raise PermissionDenied
        batch = get_object_or_404(SubmissionBatch, pk=pk)
        form = DecideForm(request.POST or None, batch=batch)
        if request.method == "POST" and form.is_valid():
            try:
                if "_return" in request.POST:
                    services.batch_return(
                        batch=batch,
                        user=request.user,
                        rejections=form.cleaned_data["rejections"],
                        note=form.cleaned_data["note"],
                    )
                    messages.success(request, _("Batch %(n)s returned.") % {"n": batch.number})
                else:
                    if form.cleaned_data["rejections"]:
                        raise ValidationError(
                            _("Rejected rows return the batch: use “Return” instead.")
                        )
                    batch = services.batch_approve(
                        batch=batch, user=request.user, note=form.cleaned_data["note"]
                    )
                    messages.success(
                        request,
                        _("Your approval of batch %(n)s is recorded (%(status)s).")
                        % {"n": batch.number, "status": batch.get_status_display()},
                    )
            except (ValidationError, PermissionDenied) as error:
                texts = _errors(error) if isinstance(error, ValidationError) else [str(error)]
                for message in texts:
                    form.add_error(None, message)
            else:
                return HttpResponseRedirect(
                    reverse("admin:approvals_submissionbatch_change", args=[batch.pk])
                )
        return self._page(
            request,
            "admin/approvals/decide.html",
            _("Approve or return batch %(number)s") % {"number": batch.number},
            form=form,
            original=batch,
            rows=batch.items.count(),
        )

    def bpjs_view(self, request, pk):
        """The BPJS registration file of an approved batch, from its frozen snapshot."""
        refuse_scoped_user(request)  # batches and documents cover the whole city
        user = request.user
        if not (
            user.has_perm("enrollment.manage_bpjs_exchange")
            and user.has_perm("participants.export_personal_data")
            # The file BPJS registers from carries full NIKs: only for who may see them.
            and can_view_full_nik(user)
        ):
            raise PermissionDenied
        batch = get_object_or_404(SubmissionBatch, pk=pk)
        try:
            content = export_batch(batch)
        except ValidationError as error:
            for message in _errors(error):
                messages.error(request, message)
            return HttpResponseRedirect(
                reverse("admin:approvals_submissionbatch_change", args=[batch.pk])
            )
        response = HttpResponse(content, content_type=CONTENT_TYPES["xlsx"])
        name = f"bpjs-{batch.number.replace('/', '-').lower()}.xlsx"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response

    def documents_view(self, request):
        """A year's documents: the year's, each batch's, each invoice's, and the record."""
        refuse_scoped_user(request)  # batches and documents cover the whole city
        if not request.user.has_perm("approvals.generate_documents"):
            raise PermissionDenied
        years = list(ProgramYear.objects.order_by("-year"))
        try:
            chosen = int(request.GET.get("year") or (years[0].year if years else 0))
        except ValueError:
            chosen = years[0].year if years else 0
        year = next((y for y in years if y.year == chosen), None)
        batches = invoices = records = []
        if year is not None:
            batches = list(
                SubmissionBatch.objects.filter(program_year=year).order_by("-created_at")
            )
            invoices = list(PremiumInvoice.objects.filter(program_year=year).order_by("month"))
            records = list(
                GeneratedDocument.objects.filter(program_year=year)
                .select_related("generated_by", "batch", "invoice")
                .order_by("-generated_at")[:200]
            )
        return self._page(
            request,
            "admin/approvals/documents.html",
            _("Official documents"),
            years=years,
            year=year,
            batches=batches,
            invoices=invoices,
            records=records,
            kinds=DocumentKind,
        )

    def document_view(self, request):
        refuse_scoped_user(request)  # batches and documents cover the whole city
        if not request.user.has_perm("approvals.generate_documents"):
            raise PermissionDenied
        form = DocumentForm(request.GET)
        if not form.is_valid():
            messages.error(request, _("Choose a document, a program year and a format."))
            return HttpResponseRedirect(reverse("admin:approvals_documents"))
        data = form.cleaned_data
        year = get_object_or_404(ProgramYear, year=data["year"])
        batch = get_object_or_404(SubmissionBatch, pk=data["batch"]) if data["batch"] else None
        invoice = get_object_or_404(PremiumInvoice, pk=data["invoice"]) if data["invoice"] else None
        fmt = data["format"] or "pdf"
        try:
            if fmt == "html":
                from .documents import build

                document = build(
                    data["kind"],
                    program_year=year,
                    batch=batch,
                    invoice=invoice,
                    start=data["start"],
                    end=data["end"],
                    user=request.user,
                )
                return HttpResponse(to_html(document, request))
            scope = {"program_year": year, "batch": batch, "invoice": invoice}
            if jobs.runs_in_background(data["kind"], **scope):
                job = jobs.document_job_start(
                    kind=data["kind"],
                    file_format=fmt,
                    start=data["start"],
                    end=data["end"],
                    user=request.user,
                    **scope,
                )
                return HttpResponseRedirect(reverse("admin:approvals_document_job", args=[job.pk]))
            made = generate(
                data["kind"],
                program_year=year,
                file_format=fmt,
                batch=batch,
                invoice=invoice,
                start=data["start"],
                end=data["end"],
                user=request.user,
            )
        except ValidationError as error:
            for message in _errors(error):
                messages.error(request, message)
            return HttpResponseRedirect(reverse("admin:approvals_documents") + f"?year={year.year}")
        response = HttpResponse(made.content, content_type=made.content_type)
        response["Content-Disposition"] = f'attachment; filename="{made.filename}"'
        response["X-Content-SHA256"] = made.record.sha256
        return response

    # -- long documents: generated in the background, followed by a progress bar -----------

    def _document_job(self, request, job_id: int) -> DocumentJob:
        """Who may generate documents may follow and download any generated in the
        background (the same documents they could make themselves)."""
        if not request.user.has_perm("approvals.generate_documents"):
            raise PermissionDenied
        job = get_object_or_404(DocumentJob.objects.select_related("program_year"), pk=job_id)
        return jobs.document_job_check_alive(job)

    def _job_state(self, job: DocumentJob) -> dict:
        done = job.status == DocumentJobStatus.DONE and job.content is not None
        return {
            "status": job.status,
            "status_display": job.get_status_display(),
            "progress": job.progress,
            "message": job.message,
            "worker_missing": jobs.worker_missing(job),
            "download_url": reverse("admin:approvals_document_job_download", args=[job.pk])
            if done
            else "",
        }

    def document_job_view(self, request, document_job_id):
        job = self._document_job(request, document_job_id)
        return self._page(
            request,
            "admin/approvals/document_job.html",
            _("%(document)s (%(format)s), %(year)s")
            % {
                "document": job.get_kind_display(),
                "format": job.file_format,
                "year": job.program_year.year,
            },
            job=job,
            state=self._job_state(job),
            status_url=reverse("admin:approvals_document_job_status", args=[job.pk]),
            documents_url=reverse("admin:approvals_documents") + f"?year={job.program_year.year}",
        )

    def document_job_status_view(self, request, document_job_id):
        return JsonResponse(self._job_state(self._document_job(request, document_job_id)))

    def document_job_download_view(self, request, document_job_id):
        job = self._document_job(request, document_job_id)
        if job.status != DocumentJobStatus.DONE or job.content is None:
            return HttpResponseRedirect(reverse("admin:approvals_document_job", args=[job.pk]))
        response = HttpResponse(bytes(job.content), content_type=CONTENT_TYPES[job.file_format])
        response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
        if job.document_id:
            response["X-Content-SHA256"] = job.document.sha256
        return response

    # -- actions ----------------------------------------------------------------------------

    @admin.action(description=gettext_lazy("Approve selected batches"), permissions=["approve"])
    def approve_selected(self, request, queryset):
        for batch in queryset.order_by("pk"):
            try:
                batch = services.batch_approve(batch=batch, user=request.user)
            except (ValidationError, PermissionDenied) as error:
                texts = _errors(error) if isinstance(error, ValidationError) else [str(error)]
                for message in texts:
                    messages.error(request, f"{batch.number}: {message}")
            else:
                messages.success(
                    request,
                    _("Your approval of batch %(n)s is recorded (%(status)s).")
                    % {"n": batch.number, "status": batch.get_status_display()},
                )


@admin.register(BatchItem)
class BatchItemAdmin(ReadOnlyAdmin):
    scope_worker_path = "enrollment__worker"
    list_display = ["batch", "enrollment", "rejected", "rejection_reason"]
    list_filter = ["rejected", "batch__status", "batch"]
    list_select_related = ["batch", "enrollment__worker", "enrollment__program_year"]
    search_fields = ["enrollment__worker__full_name", "=enrollment__worker__nik"]


@admin.register(SnapshotRow)
class SnapshotRowAdmin(ReadOnlyAdmin):
    scope_worker_path = CITY_WIDE
    list_display = [
        "batch",
        "position",
        "nik",
        "full_name",
        "kelurahan",
        "segment",
        "worker_type",
        "monthly_premium",
        "coverage_start",
        "coverage_end",
    ]
    list_filter = ["batch", "worker_type", "kecamatan"]
    list_select_related = ["batch"]
    search_fields = ["full_name", "=nik"]

    def get_list_display(self, request):
        """The NIK as this user may see it (the column closes over the request)."""

        def nik(row):
            return shown_nik(row.nik, request.user)

        nik.short_description = SnapshotRow._meta.get_field("nik").verbose_name
        return [nik if name == "nik" else name for name in self.list_display]

    def get_exclude(self, request, obj=None):
        return [] if can_view_full_nik(request.user) else ["nik"]


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin):
    scope_worker_path = CITY_WIDE
    list_display = ["batch", "action", "by", "at", "note"]
    list_filter = ["action", "batch__program_year"]
    list_select_related = ["batch", "by"]


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(ReadOnlyAdmin):
    scope_worker_path = CITY_WIDE
    list_display = [
        "generated_at",
        "kind",
        "file_format",
        "number",
        "program_year",
        "batch",
        "invoice",
        "generated_by",
        "sha256",
    ]
    list_filter = ["kind", "file_format", "program_year"]
    list_select_related = ["program_year", "batch", "invoice", "generated_by"]
