"""Import a candidate list from the command line, through the same code as the admin.

Exit codes: 0 imported (or checked, with --dry-run); 1 invalid rows (nothing written unless
--skip-invalid) or the database refused the write; 2 the file cannot be read; 3 --user is
missing (every write is recorded in the audit trail under a named user; only --dry-run may do
without) or the user given may not import.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from accounts.scoping import is_scoped
from importer.engine import CONFLICT, INVALID, SpreadsheetImporter, check_size
from importer.errors import FileRejected
from importer.models import ImportStatus
from importer.services import import_run
from participants.resources import WorkerImporter

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE, EXIT_FORBIDDEN = 0, 1, 2, 3


class Command(BaseCommand):
    help = "Import workers (and their heirs) from an xlsx, xls, ods or csv candidate list."

    def add_arguments(self, parser):
        parser.add_argument("path", help="Spreadsheet file to import.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )
        parser.add_argument(
            "--skip-invalid",
            action="store_true",
            help="Write the valid rows and report the invalid ones (default: write nothing "
            "if any row is invalid).",
        )
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument(
            "--user",
            help="Username recorded as the importer in the audit trail; must hold the import "
            "permission. Required unless --dry-run.",
        )
        parser.add_argument(
            "--accept-conflict",
            type=int,
            action="append",
            default=[],
            metavar="ROW",
            help="Write this identity-conflict row (NIK registered to someone with another name "
            "and birth date) over the registered record; repeat for each row. Conflicts not "
            "named are never written.",
        )
        parser.add_argument(
            "--not-duplicate",
            type=int,
            action="append",
            default=[],
            metavar="ROW",
            help="This row, flagged as possibly the same person as another row or a registered "
            "worker, is not the same person: record its pairs as different people; repeat for "
            "each row. Flagged rows not named are imported as their own records and their "
            "pairs go to the review queue of possible duplicates (never merged).",
        )

    def handle(self, *args, **options):
        user = self._user(options["user"], WorkerImporter.permission, scoped_ok=True)
        # A user limited to an area or group imports only rows inside it (accounts/scoping).
        importer = WorkerImporter(scope_user_id=user.pk if is_scoped(user) else None)
        return self._import(importer, user, options)

    def _import(self, importer: SpreadsheetImporter, user, options) -> None:
        """Read ``options["path"]``, run ``importer`` on it and report; other import commands
        (DTKS results, BPJS activation) call this with their own importer.

        A write needs a named user (``--user``): every row it creates or changes gets an
        audit-trail entry naming who imported it. Only ``--dry-run`` may go without."""
        if user is None and not options["dry_run"]:
            raise CommandError(
                _(
                    "Give --user USERNAME: every import is recorded in the audit trail under "
                    "the member of staff who ran it (only --dry-run, which writes nothing, "
                    "needs no user)."
                ),
                returncode=EXIT_FORBIDDEN,
            )
        path = Path(options["path"])
        try:
            if not path.is_file():
                raise FileRejected(
                    _("File %(path)s does not exist.") % {"path": path}, code="not_found"
                )
            check_size(path.stat().st_size)
            data = path.read_bytes()
        except FileRejected as exc:
            return self._finish(options, {"rows": 0, "errors": [_file_error(exc)]}, EXIT_UNREADABLE)
        outcome = import_run(
            importer=importer,
            data=data,
            file_name=path.name,
            user=user,
            dry_run=options["dry_run"],
            skip_invalid=options["skip_invalid"],
            accepted_conflicts=options.get("accept_conflict") or [],
            not_duplicates=options.get("not_duplicate") or [],
        )
        job = outcome.job
        report = {
            "rows": job.rows_total,
            "new": job.rows_new,
            "updated": job.rows_updated,
            "unchanged": job.rows_unchanged,
            "invalid": job.rows_invalid,
            "conflicts": _conflicts(outcome.plan, job.accepted_conflicts),
            "possible_duplicates": _possible_duplicates(outcome.plan, job.not_duplicates),
            "errors": [e.as_dict() for e in outcome.plan.errors()] if outcome.plan else job.errors,
            "written": job.status == ImportStatus.IMPORTED,
            "outcome": job.status,
            "job": job.pk,
        }
        if job.status == ImportStatus.UNREADABLE:
            code = EXIT_UNREADABLE
        elif (
            job.status in (ImportStatus.REFUSED, ImportStatus.FAILED)
            or job.status == ImportStatus.DRY_RUN
            and job.rows_invalid
            and not options["skip_invalid"]
        ):
            code = EXIT_INVALID
        else:
            code = EXIT_OK
        if job.message:
            report["message"] = job.message
        return self._finish(options, report, code)

    def _user(self, username: str | None, permission: str, *, scoped_ok: bool = False):
        """The member of staff the import is written for; a user limited to an area or group
        runs only imports that check rows against the scope (workers)."""
        if not username:
            return None
        user = get_user_model().objects.filter(username=username).first()
        if user is None or not user.is_active or not user.has_perm(permission):
            raise CommandError(
                _("User %(user)s does not exist or may not import workers.") % {"user": username},
                returncode=EXIT_FORBIDDEN,
            )
        if not scoped_ok and is_scoped(user):
            raise CommandError(
                _(
                    "User %(user)s is limited to an area or group and may not run this "
                    "city-wide import."
                )
                % {"user": username},
                returncode=EXIT_FORBIDDEN,
            )
        return user

    def _finish(self, options, report: dict, code: int) -> None:
        for key in ("new", "updated", "unchanged", "invalid"):
            report.setdefault(key, 0)
        if options["json"]:
            self.stdout.write(json.dumps(report, ensure_ascii=False, default=str))
        else:
            self._print_human(report, options)
        if code:
            raise SystemExit(code)

    def _print_human(self, report: dict, options) -> None:
        for error in report["errors"]:
            where = _("row %(row)s") % {"row": error["row"]} if error["row"] else _("file")
            column = f", {error['column']}" if error["column"] else ""
            self.stderr.write(f"{where}{column}: {error['message']}")
        for conflict in report.get("conflicts") or []:
            state = _("written") if conflict["accepted"] else _("not written")
            self.stderr.write(
                _("row %(row)s: %(message)s (%(state)s; --accept-conflict %(row)s to write it)")
                % {"row": conflict["row"], "message": conflict["message"], "state": state}
            )
        for row in report.get("possible_duplicates") or []:
            state = (
                _("marked not the same person")
                if row["not_duplicate"]
                else _("imported as its own record, pair queued for review; --not-duplicate "
                       "%(row)s if it is another person") % {"row": row["row"]}
            )  # fmt: skip
            for flag in row["matches"]:
                other = (
                    _("worker %(nik)s %(name)s")
                    if flag["worker_id"]
                    else _("row %(row)s (%(nik)s %(name)s)")
                ) % flag
                self.stderr.write(
                    _("row %(row)s: may be the same person as %(other)s (score %(score)s: "
                      "%(reasons)s) — %(state)s")
                    % {"row": row["row"], "other": other, "score": flag["score"],
                       "reasons": ", ".join(flag["reasons"]), "state": state}
                )  # fmt: skip
        self.stdout.write(
            _(
                "%(rows)d rows: %(new)d new, %(updated)d updated, %(unchanged)d unchanged, "
                "%(invalid)d invalid."
            )
            % report
        )
        if report.get("message") and report["message"] not in (
            e["message"] for e in report["errors"]
        ):
            self.stderr.write(report["message"])
        if report.get("written"):
            self.stdout.write(self.style.SUCCESS(_("Imported.")))
        elif options["dry_run"]:
            self.stdout.write(_("Dry run: nothing was written."))
        else:
            self.stdout.write(self.style.WARNING(_("Nothing was written.")))


def _conflicts(plan, accepted) -> list[dict]:
    """Identity-conflict rows of ``plan`` (importers that have them): row, NIK, why, accepted."""
    if plan is None:
        return []
    accepted = set(accepted or [])
    found = []
    for row in plan.rows_with(CONFLICT):
        old_name, new_name = row.changes.get("full_name", ["", ""])
        old_born, new_born = row.changes.get("birth_date", ["", ""])
        found.append(
            {
                "row": row.row,
                "nik": row.key,
                "message": _(
                    "identity conflict: the NIK belongs to %(old_name)s (born %(old_born)s), "
                    "not %(new_name)s (born %(new_born)s)"
                )
                % {
                    "old_name": old_name,
                    "old_born": old_born,
                    "new_name": new_name,
                    "new_born": new_born,
                },
                "accepted": row.row in accepted,
            }
        )
    return found


def _possible_duplicates(plan, marked) -> list[dict]:
    """Rows flagged as possibly the same person as another row or a worker (never merged):
    row, NIK, the matches (score, reasons, the other NIK and name, its row or worker id) and
    whether the row was marked not the same person."""
    if plan is None:
        return []
    marked = set(marked or [])
    return [
        {
            "row": row.row,
            "nik": row.key,
            "matches": row.duplicates,
            "not_duplicate": row.row in marked,
        }
        for row in plan.rows
        if row.duplicates and row.status != INVALID
    ]


def _file_error(exc: FileRejected) -> dict:
    return {"row": 0, "column": "", "code": exc.code, "message": exc.message}
