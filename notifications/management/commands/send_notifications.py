"""Send the outbox's due messages (run every few minutes from cron, or as a background task)."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from notifications.services import messages_send_due


class Command(BaseCommand):
    help = _("Send due outbox messages with the configured sender; failures are retried later.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=1000, help=_("At most this many."))

    def handle(self, *args, limit: int, **options):
        report = messages_send_due(limit=limit)
        self.stdout.write(
            _(
                "%(sent)d sent, %(retrying)d to retry, %(failed)d failed, "
                "%(interrupted)d interrupted."
            )
            % {
                "sent": len(report.sent),
                "retrying": len(report.retrying),
                "failed": len(report.failed),
                "interrupted": report.interrupted,
            }
        )
