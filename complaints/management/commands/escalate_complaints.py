"""Escalate overdue complaints to the head of office (run daily from cron; idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from complaints.services import tickets_escalate_overdue


class Command(BaseCommand):
    help = _("Escalate open complaints past their deadline to the head of office (once each).")

    def handle(self, *args, **options):
        report = tickets_escalate_overdue()
        self.stdout.write(
            _("%(new)d complaints escalated, %(already)d already escalated.")
            % {"new": len(report.escalated), "already": report.already}
        )
