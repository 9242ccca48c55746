"""The outbox in the admin: every message with its delivery state, attempts and last error;
failed ones can be put back in the queue. Templates are edited by the Administrator."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.scoping import NOT_PERSONAL
from siaga.admin_base import SiagaAdmin, SiagaHistoryAdmin

from . import services
from .models import TEMPLATE_VARIABLES, MessageTemplate, OutboxMessage


@admin.register(MessageTemplate)
class MessageTemplateAdmin(SiagaHistoryAdmin):
    scope_worker_path = NOT_PERSONAL
    list_display = ["kind", "is_active", "body"]
    readonly_fields = ["variables"]
    fields = ["kind", "body", "is_active", "variables"]

    @admin.display(description=_("variables"))
    def variables(self, template: MessageTemplate) -> str:
        names = TEMPLATE_VARIABLES.get(template.kind, [])
        return format_html_join(" ", "<code>{{{{ {} }}}}</code>", ((n,) for n in names))


@admin.register(OutboxMessage)
class OutboxMessageAdmin(SiagaAdmin):
    scope_worker_path = "worker"
    list_display = [
        "__str__",
        "kind",
        "worker",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "last_error",
    ]
    list_select_related = ["worker"]
    list_filter = ["status", "kind"]
    actions = ["retry_selected"]
    readonly_fields = [
        "kind",
        "worker",
        "key",
        "recipient",
        "context",
        "body",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "provider_reference",
        "created_at",
    ]

    def has_add_permission(self, request):
        return False  # queued by the services only

    def has_delete_permission(self, request, obj=None):
        return False  # the record of what was sent to whom

    @admin.action(description=_("Send failed messages again"), permissions=["change"])
    def retry_selected(self, request, queryset):
        count = services.messages_retry(ids=queryset.values_list("pk", flat=True))
        messages.success(
            request,
            ngettext(
                "%(count)d failed message queued again.",
                "%(count)d failed messages queued again.",
                count,
            )
            % {"count": count},
        )
