"""Propose next year's cover for this year's participants (python manage.py renew_enrollments)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from enrollment.models import ProgramYear
from enrollment.renewal import enrollments_renew
from participants.privacy import mask_identity_number


class Command(BaseCommand):
    help = (
        "Create next-year proposals for the active participants of a year who are still "
        "eligible, within the next year's quota and budget. Running it again creates nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--from", dest="from_year", type=int, required=True)
        parser.add_argument("--to", dest="to_year", type=int, required=True)
        parser.add_argument(
            "--dry-run", action="store_true", help="Report what would happen, change nothing."
        )
        parser.add_argument(
            "--include-unconfirmed",
            dest="include_unconfirmed_reason",
            default="",
            metavar="REASON",
            help="Also renew participants the yearly update has not confirmed, for this reason.",
        )

    def handle(self, *args, from_year, to_year, dry_run, include_unconfirmed_reason, **options):
        try:
            source = ProgramYear.objects.get(year=from_year)
            target = ProgramYear.objects.get(year=to_year)
        except ProgramYear.DoesNotExist as exc:
            raise CommandError(f"Program year missing: {exc}") from None
        try:
            report = enrollments_renew(
                from_year=source,
                to_year=target,
                user=None,
                dry_run=dry_run,
                include_unconfirmed_reason=include_unconfirmed_reason,
            )
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        verb = "would be proposed" if dry_run else "proposed"
        self.stdout.write(
            f"Renewal {from_year} -> {to_year}: {len(report.created)} {verb}, "
            f"{report.already} already in {to_year}, "
            f"{report.not_renewed_count} not renewed."
        )
        if report.unconfirmed_included:
            self.stdout.write(
                f"{len(report.unconfirmed_included)} not confirmed by the yearly update, "
                f"included: {include_unconfirmed_reason.strip()}"
            )
        for refused in report.not_renewed:
            self.stdout.write(
                f"  {mask_identity_number(refused.nik)} {refused.full_name}: {refused.reason}"
            )
        if report.not_renewed_count > len(report.not_renewed):
            self.stdout.write(f"  … {report.not_renewed_count - len(report.not_renewed)} more.")
