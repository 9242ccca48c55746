"""Complaints in the admin: the queue (overdue first, escalated on opening), the ticket page
(status, assignee and resolution through the services) and the worker's "open a complaint"
links on the worker page and in the worker search."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from accounts.scoping import NOT_PERSONAL
from enrollment.admin.workers import ProposingWorkerAdmin
from enrollment.models import Claim, Enrollment
from participants.admin import nik_search
from participants.models import Worker
from siaga.admin_base import SiagaHistoryAdmin

from . import services
from .models import ServiceLevel, Ticket

ADD_TICKET = "complaints.add_ticket"


@admin.register(ServiceLevel)
class ServiceLevelAdmin(SiagaHistoryAdmin):
    scope_worker_path = NOT_PERSONAL
    list_display = ["category", "days"]
    ordering = ["category"]


def _staff_users():
    return get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")


class TicketAddForm(forms.ModelForm):
    """A new complaint. The enrollment and claim lists hold the chosen worker's own (the worker
    page's link fills the worker in)."""

    class Meta:
        model = Ticket
        fields = [
            "worker",
            "enrollment",
            "claim",
            "category",
            "channel",
            "description",
            "assignee",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        worker_id = self.data.get("worker") if self.is_bound else self.initial.get("worker")
        try:
            worker_id = int(worker_id)
        except (TypeError, ValueError):
            worker_id = None
        self.fields["enrollment"].queryset = Enrollment.objects.filter(
            worker_id=worker_id
        ).select_related("program_year")
        self.fields["claim"].queryset = Claim.objects.filter(enrollment__worker_id=worker_id)
        if worker_id is None:
            hint = _("Open the complaint from the worker's page to choose one of theirs.")
            self.fields["enrollment"].help_text = hint
            self.fields["claim"].help_text = hint
        self.fields["assignee"].queryset = _staff_users()

    def clean(self):
        data = super().clean()
        if data.get("worker") is not None:
            services.check_links(
                worker=data["worker"], enrollment=data.get("enrollment"), claim=data.get("claim")
            )
        return data


class TicketChangeForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = ["status", "assignee", "resolution"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.original_status = self.instance.status
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = _staff_users()

    def clean(self):
        data = super().clean()
        if "status" in data:
            probe = Ticket(status=self.original_status)
            services.check_change(
                ticket=probe, status=data["status"], resolution=data.get("resolution", "")
            )
        return data


class OverdueFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("1", _("Overdue")), ("0", _("Not overdue"))]

    def queryset(self, request, queryset):
        if self.value() == "1":
            return queryset.overdue()
        if self.value() == "0":
            return queryset.exclude(pk__in=queryset.overdue().values("pk"))
        return queryset


class MineFilter(admin.SimpleListFilter):
    title = _("mine")
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("assigned", _("Open, assigned to me")), ("escalated", _("Open, escalated to me"))]

    def queryset(self, request, queryset):
        if self.value() == "assigned":
            return queryset.open().filter(assignee=request.user)
        if self.value() == "escalated":
            return queryset.open().filter(escalated_to=request.user)
        return queryset


@admin.register(Ticket)
class TicketAdmin(SiagaHistoryAdmin):
    scope_worker_path = "worker"
    list_display = [
        "__str__",
        "worker",
        "category",
        "channel",
        "status",
        "assignee",
        "deadline",
        "overdue_flag",
        "escalated_to",
    ]
    list_select_related = ["worker", "assignee", "escalated_to"]
    list_filter = [OverdueFilter, MineFilter, "status", "category", "channel"]
    ordering = ["deadline", "id"]
    date_hierarchy = None
    autocomplete_fields = ["worker"]
    search_help_text = _("NIK (16 digits or its first digits) or the worker's name.")
    search_fields = ["worker__nik", "worker__full_name"]
    history_list_display = ["status", "assignee"]

    @admin.display(description=_("overdue"), boolean=True)
    def overdue_flag(self, ticket: Ticket) -> bool:
        return ticket.is_overdue()

    def get_search_results(self, request, queryset, search_term):
        if not search_term.strip():
            return queryset, False
        workers = nik_search(Worker.objects.all(), search_term, name_field="full_name")
        return queryset.filter(worker__in=workers.values("pk")), False

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["form"] = TicketChangeForm if obj is not None else TicketAddForm
        return super().get_form(request, obj, change, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return TicketAddForm.Meta.fields
        return [
            "worker",
            "enrollment",
            "claim",
            "category",
            "channel",
            "description",
            "opened_at",
            "opened_by",
            "deadline",
            "status",
            "assignee",
            "resolution",
            "resolved_at",
            "escalated_at",
            "escalated_to",
            "escalation_list",
        ]

    @admin.display(description=_("escalations"))
    def escalation_list(self, ticket: Ticket) -> str:
        rows = ticket.escalations.select_related("escalated_to").order_by("escalated_at")
        if not rows:
            return "–"
        return format_html_join(
            "",
            "<div>{}</div>",
            (
                (
                    gettext("%(at)s: deadline %(deadline)s missed, escalated to %(to)s")
                    % {
                        "at": timezone.localtime(e.escalated_at).strftime("%d-%m-%Y %H:%M"),
                        "deadline": e.deadline.strftime("%d-%m-%Y"),
                        "to": e.escalated_to or "–",
                    },
                )
                for e in rows
            ),
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return super().get_readonly_fields(request, obj)
        editable = set(TicketChangeForm.Meta.fields)
        return [f for f in self.get_fields(request, obj) if f not in editable] + list(
            super().get_readonly_fields(request, obj)
        )

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        if request.user.is_staff and "assignee" not in initial:
            initial["assignee"] = request.user.pk
        return initial

    def has_delete_permission(self, request, obj=None):
        return False  # a complaint is a record: it is closed, never deleted

    def changelist_view(self, request, extra_context=None):
        # Opening the queue escalates what is overdue (idempotent), so nothing waits for cron.
        if self.has_view_or_change_permission(request):
            services.tickets_escalate_overdue()
        return super().changelist_view(request, extra_context)

    def save_form(self, request, form, change):
        if change:
            return form.save(commit=False)
        data = form.cleaned_data
        return services.ticket_open(
            worker=data["worker"],
            enrollment=data.get("enrollment"),
            claim=data.get("claim"),
            category=data["category"],
            channel=data["channel"],
            description=data["description"],
            assignee=data.get("assignee"),
            user=request.user,
        )

    def save_model(self, request, obj, form, change):
        if not change:
            return  # saved by ticket_open in save_form
        if "assignee" in form.changed_data:
            services.ticket_assign(
                ticket=obj, assignee=form.cleaned_data["assignee"], user=request.user
            )
        if {"status", "resolution"} & set(form.changed_data):
            services.ticket_set_status(
                ticket=obj,
                status=form.cleaned_data["status"],
                resolution=form.cleaned_data["resolution"],
                user=request.user,
            )
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        pass  # nothing related is edited here (escalations are read-only)


def open_ticket_url(worker: Worker) -> str:
    return f"{reverse('admin:complaints_ticket_add')}?{urlencode({'worker': worker.pk})}"


class ComplaintWorkerAdmin(ProposingWorkerAdmin):
    """The worker page and the worker search with a link to open a complaint about the worker."""

    change_form_template = "admin/complaints/worker/change_form.html"

    @admin.display(description=_("complaint"))
    def open_ticket_link(self, worker: Worker) -> str:
        return format_html(
            '<a href="{}" class="siaga-open-ticket">{}</a>',
            open_ticket_url(worker),
            gettext("Open a complaint"),
        )

    def get_list_display(self, request):
        fields = list(super().get_list_display(request))
        if request.user.has_perm(ADD_TICKET):
            fields.append("open_ticket_link")
        return fields

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        worker = self.get_object(request, object_id)
        if worker is not None and request.user.has_perm(ADD_TICKET):
            extra_context["open_ticket_url"] = open_ticket_url(worker)
            extra_context["open_tickets"] = Ticket.objects.filter(worker=worker).open().count()
            extra_context["tickets_url"] = (
                f"{reverse('admin:complaints_ticket_changelist')}?"
                f"{urlencode({'worker__id__exact': worker.pk})}"
            )
        return super().change_view(request, object_id, form_url, extra_context)


admin.site.unregister(Worker)
admin.site.register(Worker, ComplaintWorkerAdmin)
