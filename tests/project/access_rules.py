"""Who may do what, as data: the README's role table and, for every URL and admin action of the
project, which row of that table governs it and what each role gets.

tests/project/test_access.py checks every URL (GET and POST) and every admin action for the
four roles and an anonymous visitor against this file, and fails when a URL or an action has
no rule here. Adding a page or an action: add its row below (the failure message names it).

Statuses are exact. In the admin, a visitor who is not logged in or not staff (Pimpinan) is
sent to the admin login (302); a staff member whose role lacks the row gets 403.
"""

from __future__ import annotations

from dataclasses import dataclass

from accounts.roles import ADMINISTRATOR, OPERATOR, PIMPINAN, VERIFIKATOR

OP, V, P, A = OPERATOR, VERIFIKATOR, PIMPINAN, ADMINISTRATOR


@dataclass(frozen=True)
class Row:
    """One row of the README's role table: what, and the roles that have a ✔."""

    what: str
    roles: frozenset[str]


def row(what: str, *roles: str) -> Row:
    return Row(what, frozenset(roles))


# The README's table (tests/project/test_access.py checks that README.md says exactly this).
SEE_REGISTRY = row("see workers and heirs (admin)", OP, V, A)
CHANGE_REGISTRY = row("add/change workers and heirs", OP, A)
FULL_NIK = row("see full NIK/KK (others see `3577********0001`)", OP, V, A)
IMPORT = row("import candidate lists, heirs spreadsheets", OP, A)
PROPOSE = row('propose enrollments (incl. "propose top N")', OP, A)
DECIDE = row("verify, submit, terminate, reject enrollments", V, A)
OVERRIDE = row("verify beyond the quota (with a reason)", V, A)
BPJS = row("BPJS export/activation files, invoices, claims", V, A)
DTKS = row("DTKS request list and result import", V, A)
EXPORT = row("export personal data (every export logged)", V, A)
SEE_PROGRAM = row("see program years, enrollments, priority lists, imports (admin)", OP, V, A)
DASHBOARD = row("quota dashboard and reports", OP, V, P, A)
SET_PROGRAM = row("set budgets, rates, quotas, segments, regions, priority weights", A)
ACCOUNTS = row("user accounts and roles, login records, background tasks", A)
PURGE = row("delete (purge) records — kept in the audit trail", A)
RETRY_IMPORT = row("retry or cancel one's own interrupted imports", OP, V, A)
SEE_DUPLICATES = row("see possible duplicates, merged NIKs, other payers' cover lists", OP, V, A)
DECIDE_DUPLICATES = row("scan for, decide and merge duplicate workers", V, A)
IMPORT_OTHER_COVER = row("import other payers' cover lists", V, A)
BATCHES = row("prepare submission batches, official documents (SK, lists)", V, A)
APPROVE = row("approve or return submission batches (also the Kepala Bidang role)", A)
COMPLAINTS = row("receive, assign and answer complaints (also the Kepala Bidang role)", OP, V, A)
SET_SERVICE = row("set complaint service levels and message templates", A)
OUTBOX = row("see the message outbox to participants, send failed messages again", V, A)
SEE_PROPOSALS = row("see every proposal (usulan) and the yearly update's progress", OP, V, A)
SUBMIT_PROPOSALS = row("enter or upload proposals (also the Pengusul role: its own only)", OP, A)
REVIEW_PROPOSALS = row("accept proposals into the registry or return them with a reason", OP, A)
YEARLY_UPDATE = row("yearly update: download a kelurahan's form, upload its answers", OP, A)

README_TABLE = [
    SEE_REGISTRY,
    CHANGE_REGISTRY,
    FULL_NIK,
    IMPORT,
    PROPOSE,
    DECIDE,
    OVERRIDE,
    BPJS,
    DTKS,
    EXPORT,
    SEE_PROGRAM,
    DASHBOARD,
    SET_PROGRAM,
    ACCOUNTS,
    PURGE,
    RETRY_IMPORT,
    SEE_DUPLICATES,
    DECIDE_DUPLICATES,
    IMPORT_OTHER_COVER,
    BATCHES,
    APPROVE,
    COMPLAINTS,
    SET_SERVICE,
    OUTBOX,
    SEE_PROPOSALS,
    SUBMIT_PROPOSALS,
    REVIEW_PROPOSALS,
    YEARLY_UPDATE,
]

# Not in the README: what nobody may do from the web (history is kept, records of processing
# are never edited) and what every logged-in staff member may do (the admin home, own password).
NOBODY = row(
    "nobody",
)
STAFF = row("any staff member", OP, V, A)


@dataclass(frozen=True)
class Access:
    """One method of one URL: the governing row, the status for those who have it, and the
    status for staff without it (403 unless said otherwise)."""

    row: Row
    ok: int
    denied: int = 403


@dataclass(frozen=True)
class Page:
    get: Access
    post: Access
    admin: bool = True  # staff only: anonymous and Pimpinan are sent to the login (302)


def page(
    row_get: Row, ok_get: int, row_post: Row | None = None, ok_post: int | None = None, **kw
) -> Page:
    return Page(Access(row_get, ok_get), Access(row_post or row_get, ok_post or ok_get), **kw)


@dataclass(frozen=True)
class ModelRules:
    """The standard pages of a ModelAdmin. ``change_ok`` is what an empty POST to the change
    page answers for who may change (200: the form with its errors; 302: nothing to change,
    saved as is)."""

    view: Row
    add: Row
    change: Row
    delete: Row
    change_ok: int = 200
    delete_ok: int = 302

    def pages(self, history: bool) -> dict[str, Page]:
        pages = {
            "changelist": page(self.view, 200),
            "add": page(self.add, 200),
            "change": Page(Access(self.view, 200), Access(self.change, self.change_ok)),
            "delete": Page(Access(self.delete, 200), Access(self.delete, self.delete_ok)),
            "history": page(self.view, 200),
            # The unnamed "<id>/" URL only redirects to the change page.
            "object": page(STAFF, 302),
        }
        if history:
            # A version page can be looked at; a POST never saves (405 for everyone).
            pages["simple_history"] = Page(Access(self.view, 200), Access(self.view, 405))
        return pages


# Every ModelAdmin by model label. A model admin registered without a row here fails the test.
MODELS: dict[str, ModelRules] = {
    # delete_ok=200: the test's record is protected (a worker with an enrollment, a segment or
    # region in use, a year with enrollments): the page says why it cannot be purged.
    "participants.Worker": ModelRules(
        SEE_REGISTRY, CHANGE_REGISTRY, CHANGE_REGISTRY, PURGE, delete_ok=200
    ),
    "participants.Heir": ModelRules(SEE_REGISTRY, CHANGE_REGISTRY, CHANGE_REGISTRY, PURGE),
    "participants.Segment": ModelRules(
        SEE_REGISTRY, SET_PROGRAM, SET_PROGRAM, PURGE, delete_ok=200
    ),
    "participants.Kecamatan": ModelRules(
        SEE_REGISTRY, SET_PROGRAM, SET_PROGRAM, PURGE, delete_ok=200
    ),
    "participants.Kelurahan": ModelRules(SEE_REGISTRY, SET_PROGRAM, SET_PROGRAM, PURGE),
    "enrollment.ProgramYear": ModelRules(
        SEE_PROGRAM, SET_PROGRAM, SET_PROGRAM, PURGE, delete_ok=200
    ),
    # Enrollments are proposed (add) and decided (change, through the actions); never deleted.
    "enrollment.Enrollment": ModelRules(SEE_PROGRAM, PROPOSE, DECIDE, NOBODY),
    "enrollment.PremiumInvoice": ModelRules(BPJS, BPJS, BPJS, PURGE),
    "enrollment.InvoiceLine": ModelRules(BPJS, PURGE, PURGE, PURGE),
    "enrollment.Claim": ModelRules(BPJS, BPJS, BPJS, NOBODY),
    "importer.ImportJob": ModelRules(SEE_PROGRAM, NOBODY, NOBODY, NOBODY),
    "targeting.ExportLog": ModelRules(EXPORT, NOBODY, NOBODY, NOBODY),
    "targeting.DtksCheck": ModelRules(DTKS, NOBODY, NOBODY, NOBODY),
    "targeting.HeirFollowUp": ModelRules(SEE_REGISTRY, NOBODY, NOBODY, NOBODY),
    "targeting.TargetingRule": ModelRules(SEE_PROGRAM, SET_PROGRAM, SET_PROGRAM, PURGE),
    "targeting.ProposalBatch": ModelRules(SEE_PROGRAM, NOBODY, NOBODY, NOBODY),
    "auth.User": ModelRules(ACCOUNTS, ACCOUNTS, ACCOUNTS, ACCOUNTS),
    "auth.Group": ModelRules(ACCOUNTS, ACCOUNTS, ACCOUNTS, ACCOUNTS),
    "axes.AccessAttempt": ModelRules(ACCOUNTS, NOBODY, ACCOUNTS, ACCOUNTS, change_ok=302),
    "axes.AccessLog": ModelRules(ACCOUNTS, NOBODY, ACCOUNTS, ACCOUNTS, change_ok=302),
    "axes.AccessFailureLog": ModelRules(ACCOUNTS, NOBODY, ACCOUNTS, ACCOUNTS, change_ok=302),
    "django_tasks_database.DBTaskResult": ModelRules(ACCOUNTS, NOBODY, NOBODY, NOBODY),
    # The record of each registration file sent: looked at, never changed.
    "enrollment.BpjsExport": ModelRules(BPJS, NOBODY, NOBODY, NOBODY),
    # The change page of a pair is the side-by-side comparison; its POST is a decision
    # (an empty one: back to the page with "Choose a decision", 302).
    "dedup.DuplicatePair": ModelRules(
        SEE_DUPLICATES, NOBODY, DECIDE_DUPLICATES, NOBODY, change_ok=302
    ),
    "dedup.WorkerAlias": ModelRules(SEE_DUPLICATES, NOBODY, NOBODY, NOBODY),
    "dedup.OtherCover": ModelRules(SEE_DUPLICATES, NOBODY, NOBODY, NOBODY),
    # Batches are made by the prepare page and decided on the decide page; the log, the
    # frozen rows and the documents are never edited.
    "approvals.SubmissionBatch": ModelRules(BATCHES, NOBODY, NOBODY, NOBODY),
    "approvals.BatchItem": ModelRules(BATCHES, NOBODY, NOBODY, NOBODY),
    "approvals.SnapshotRow": ModelRules(BATCHES, NOBODY, NOBODY, NOBODY),
    "approvals.Decision": ModelRules(BATCHES, NOBODY, NOBODY, NOBODY),
    "approvals.GeneratedDocument": ModelRules(BATCHES, NOBODY, NOBODY, NOBODY),
    # Complaints are answered and closed, never deleted; an empty POST shows the form again.
    "complaints.Ticket": ModelRules(COMPLAINTS, COMPLAINTS, COMPLAINTS, NOBODY),
    "complaints.ServiceLevel": ModelRules(COMPLAINTS, SET_SERVICE, SET_SERVICE, PURGE),
    "notifications.MessageTemplate": ModelRules(OUTBOX, SET_SERVICE, SET_SERVICE, PURGE),
    # Queued by the services only; the page is read-only (a POST saves nothing, 302).
    "notifications.OutboxMessage": ModelRules(OUTBOX, NOBODY, OUTBOX, NOBODY, change_ok=302),
    # Proposals are submitted (add) and decided by the review actions, never edited; the
    # yearly update's rounds are written by the form download and the upload.
    "proposals.Proposal": ModelRules(SEE_PROPOSALS, SUBMIT_PROPOSALS, NOBODY, NOBODY),
    "proposals.UpdateRound": ModelRules(SEE_PROPOSALS, NOBODY, NOBODY, NOBODY),
}


def _import_pages(row: Row) -> dict[str, Page]:
    """The staged import flow of a ModelAdmin (importer.admin.StagedImportMixin), with a
    finished job of the visitor's own: preview, progress and the invalid rows lead back to the
    list (302), the status answers JSON (200)."""
    return {
        "import": page(row, 200),
        "import_template": page(row, 200),
        # GET: back to the upload form, whoever asks; POST confirms the visitor's own job
        # (finished: back to the list).
        "process_import": Page(Access(STAFF, 302), Access(row, 302)),
        "import_preview": page(row, 302),
        "import_progress": page(row, 302),
        "import_status": page(row, 200),
        "import_invalid_rows": page(row, 302),
        "import_cancel": page(row, 302),
        # GET: to the progress page; POST retries a job the server interrupted (this one is
        # finished: back to the upload form with a message).
        "import_retry": page(row, 302),
    }


# Pages a ModelAdmin adds to its standard ones, by model label and URL suffix.
CUSTOM_MODEL_PAGES: dict[str, dict[str, Page]] = {
    "participants.Worker": {
        **_import_pages(IMPORT),
        # The export form (GET) and the file (POST with a format) are personal data.
        "export": page(EXPORT, 200),
    },
    "enrollment.Enrollment": _import_pages(BPJS),
    "enrollment.PremiumInvoice": {
        **_import_pages(BPJS),
        "reconciliation": page(BPJS, 200),
    },
    "enrollment.Claim": {"scholarship": page(BPJS, 200)},
    "enrollment.ProgramYear": {"bpjs_export": page(BPJS, 200)},
    "targeting.DtksCheck": _import_pages(DTKS),
    "targeting.HeirFollowUp": _import_pages(IMPORT),
    # The priority list is seen by who sees the program; a POST proposes the top N (200: the
    # form, empty, with its errors).
    "targeting.TargetingRule": {"priority": page(SEE_PROGRAM, 200, PROPOSE, 200)},
    "auth.User": {"password_change": page(ACCOUNTS, 200)},
    # A scan is a POST only (GET: 403 for everyone); then back to the list.
    "dedup.DuplicatePair": {"scan": page(NOBODY, 403, DECIDE_DUPLICATES, 302)},
    "dedup.OtherCover": {
        **_import_pages(IMPORT_OTHER_COVER),
        "double": page(SEE_DUPLICATES, 200),
    },
    "proposals.Proposal": _import_pages(SUBMIT_PROPOSALS),
    "proposals.UpdateRound": {
        **_import_pages(YEARLY_UPDATE),
        "progress": page(SEE_PROPOSALS, 200),
        # Without a year and kelurahan chosen: back to the progress page with a message.
        "form": page(YEARLY_UPDATE, 302),
    },
    "approvals.SubmissionBatch": {
        "prepare": page(BATCHES, 200),
        "decide": page(APPROVE, 200),
        "bpjs": page(BPJS, 200),
        # Named without the model's prefix: the documents of a year, one document's download.
        "admin:approvals_documents": page(BATCHES, 200),
        # Without a document chosen: back to the documents page with a message.
        "admin:approvals_document": page(BATCHES, 302),
        # A long document made in the background: its progress page, its state, its file.
        "admin:approvals_document_job": page(BATCHES, 200),
        "admin:approvals_document_job_status": page(BATCHES, 200),
        "admin:approvals_document_job_download": page(BATCHES, 200),
    },
}

# Every other URL of the project, by name (or route when it has none).
SITE_PAGES: dict[str, Page] = {
    "": Page(Access(DASHBOARD, 302), Access(DASHBOARD, 302), admin=False),
    "admin:index": page(STAFF, 200),
    "admin:app_list": page(SEE_REGISTRY, 200),
    "admin:password_change": page(STAFF, 200),
    "admin:password_change_done": page(STAFF, 200, STAFF, 405),
    # Without a field to complete (the widgets send one) the autocomplete refuses.
    "admin:autocomplete": page(STAFF, 403, STAFF, 405),
    "admin:jsi18n": page(STAFF, 200, STAFF, 405),
    "admin:view_on_site": page(STAFF, 404),
    "admin/(?P<url>.*)$": page(STAFF, 404),
}

# Pages open to everyone or with their own login: status per subject, GET and POST.
OPEN_PAGES: dict[str, dict[str, tuple[int, int]]] = {
    # GET shows the form (staff already logged in go to the admin home); an empty POST shows
    # the form again with its error.
    "admin:login": {
        OP: (302, 200),
        V: (302, 200),
        P: (200, 200),
        A: (302, 200),
        "anonymous": (200, 200),
    },
    # Logging out is a POST (GET: 405); afterwards the "logged out" page. Who is not staff
    # is sent to the admin login first.
    "admin:logout": {
        OP: (405, 200),
        V: (405, 200),
        P: (302, 302),
        A: (405, 200),
        "anonymous": (302, 302),
    },
    # Who is logged in already goes on to the dashboard.
    "dashboard:login": {
        OP: (302, 302),
        V: (302, 302),
        P: (302, 302),
        A: (302, 302),
        "anonymous": (200, 200),
    },
    "dashboard:logout": {s: (405, 302) for s in (OP, V, P, A, "anonymous")},
    # The language switch in every header is a POST (GET: 405); it goes back to the page.
    "set_language": {s: (405, 302) for s in (OP, V, P, A, "anonymous")},
}

# The dashboard: roles with the row get the page, anonymous visitors the dashboard login.
# They only read: a POST is answered like a GET and changes nothing.
DASHBOARD_PAGES: dict[str, tuple[int, int]] = {
    # name: (GET status for who may, POST status for who may)
    "dashboard:index": (200, 200),
    "dashboard:json": (200, 200),
    "dashboard:xlsx": (200, 200),
    "dashboard:report": (200, 200),
}


@dataclass(frozen=True)
class ActionRule:
    """An admin action: the row that allows it and what a POST of it answers for who may
    (302: done, back to the list; 200: an intermediate page or a file)."""

    row: Row
    ok: int


# Every admin action, by model label and action name.
ACTIONS: dict[str, dict[str, ActionRule]] = {
    "participants.Worker": {
        "delete_selected": ActionRule(PURGE, 200),
        "download_dtks_request_list": ActionRule(EXPORT, 200),
        "propose_for_program_year": ActionRule(PROPOSE, 200),
    },
    "participants.Heir": {"delete_selected": ActionRule(PURGE, 200)},
    "participants.Segment": {"delete_selected": ActionRule(PURGE, 200)},
    "participants.Kecamatan": {"delete_selected": ActionRule(PURGE, 200)},
    "participants.Kelurahan": {"delete_selected": ActionRule(PURGE, 200)},
    "enrollment.ProgramYear": {
        "delete_selected": ActionRule(PURGE, 200),
        "renew_into_next_year": ActionRule(PROPOSE, 302),
        # An intermediate page asks why people the yearly update has not confirmed are renewed.
        "renew_including_unconfirmed": ActionRule(PROPOSE, 200),
        "end_expired": ActionRule(DECIDE, 302),
    },
    "enrollment.Enrollment": {
        "delete_selected": ActionRule(NOBODY, 200),
        "verify_selected": ActionRule(DECIDE, 302),
        "verify_beyond_quota": ActionRule(OVERRIDE, 200),
        "submit_selected": ActionRule(DECIDE, 302),
        "terminate_selected": ActionRule(DECIDE, 200),
        "reject_selected": ActionRule(DECIDE, 200),
    },
    "enrollment.PremiumInvoice": {"delete_selected": ActionRule(PURGE, 200)},
    "enrollment.InvoiceLine": {"delete_selected": ActionRule(PURGE, 200)},
    "enrollment.Claim": {"delete_selected": ActionRule(NOBODY, 200)},
    # The test's job is finished: nothing to retry or cancel, a message and back to the list.
    "importer.ImportJob": {
        "delete_selected": ActionRule(NOBODY, 200),
        "retry_jobs": ActionRule(RETRY_IMPORT, 302),
        "cancel_jobs": ActionRule(RETRY_IMPORT, 302),
    },
    "targeting.ExportLog": {"delete_selected": ActionRule(NOBODY, 200)},
    "targeting.DtksCheck": {
        "delete_selected": ActionRule(NOBODY, 200),
        "download_dtks_request_list": ActionRule(DTKS, 200),
    },
    "targeting.HeirFollowUp": {"delete_selected": ActionRule(NOBODY, 200)},
    "targeting.TargetingRule": {"delete_selected": ActionRule(PURGE, 200)},
    "targeting.ProposalBatch": {"delete_selected": ActionRule(NOBODY, 200)},
    "auth.User": {"delete_selected": ActionRule(ACCOUNTS, 200)},
    "auth.Group": {"delete_selected": ActionRule(ACCOUNTS, 200)},
    "axes.AccessAttempt": {
        "delete_selected": ActionRule(ACCOUNTS, 200),
        "cleanup_expired_attempts": ActionRule(ACCOUNTS, 302),
    },
    "axes.AccessLog": {"delete_selected": ActionRule(ACCOUNTS, 200)},
    "axes.AccessFailureLog": {"delete_selected": ActionRule(ACCOUNTS, 200)},
    "django_tasks_database.DBTaskResult": {"delete_selected": ActionRule(NOBODY, 200)},
    "enrollment.BpjsExport": {"delete_selected": ActionRule(NOBODY, 200)},
    "dedup.DuplicatePair": {"delete_selected": ActionRule(NOBODY, 200)},
    "dedup.WorkerAlias": {"delete_selected": ActionRule(NOBODY, 200)},
    "dedup.OtherCover": {"delete_selected": ActionRule(NOBODY, 200)},
    "approvals.SubmissionBatch": {
        "delete_selected": ActionRule(NOBODY, 200),
        "approve_selected": ActionRule(APPROVE, 302),
    },
    "approvals.BatchItem": {"delete_selected": ActionRule(NOBODY, 200)},
    "approvals.SnapshotRow": {"delete_selected": ActionRule(NOBODY, 200)},
    "approvals.Decision": {"delete_selected": ActionRule(NOBODY, 200)},
    "approvals.GeneratedDocument": {"delete_selected": ActionRule(NOBODY, 200)},
    "complaints.Ticket": {"delete_selected": ActionRule(NOBODY, 200)},
    "complaints.ServiceLevel": {"delete_selected": ActionRule(PURGE, 200)},
    "notifications.MessageTemplate": {"delete_selected": ActionRule(PURGE, 200)},
    # The test's message was sent: nothing to retry, a message and back to the list.
    "notifications.OutboxMessage": {
        "delete_selected": ActionRule(NOBODY, 200),
        "retry_selected": ActionRule(OUTBOX, 302),
    },
    # Both review actions ask first (accept: "not the same person"?; return: the reason).
    "proposals.Proposal": {
        "delete_selected": ActionRule(NOBODY, 200),
        "accept_selected": ActionRule(REVIEW_PROPOSALS, 200),
        "return_selected": ActionRule(REVIEW_PROPOSALS, 200),
    },
    "proposals.UpdateRound": {"delete_selected": ActionRule(NOBODY, 200)},
}
