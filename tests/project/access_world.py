"""A small world with one record of every model the admin shows, the users of each role, and
every URL of the project (walked from the URL resolver) filled in with those records.

Used by the role × URL × action test, the NIK-masking walk and the changelist fuzz test.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field

import time_machine
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.roles import ADMINISTRATOR, OPERATOR, PIMPINAN, VERIFIKATOR
from participants.privacy import FULL_NIK_PERMISSION
from tests.factories import HeirFactory, UserFactory, WorkerFactory

ANONYMOUS = "anonymous"
ROLES = [OPERATOR, VERIFIKATOR, PIMPINAN, ADMINISTRATOR]
SUBJECTS = [*ROLES, ANONYMOUS]
TODAY = datetime.datetime(2024, 3, 15, 9, 0, tzinfo=datetime.UTC)


@dataclass
class Route:
    """One URL pattern of the project, as the resolver has it."""

    route: str  # the full pattern text, e.g. "admin/participants/worker/<path:object_id>/"
    name: str | None  # "admin:participants_worker_change", or None for unnamed patterns
    pattern: URLPattern
    model: type[models.Model] | None = None  # for the URLs of a ModelAdmin

    @property
    def key(self) -> str:
        """How the rule table names this URL: its name, or its route when it has none."""
        return self.name or self.route

    @property
    def suffix(self) -> str | None:
        """For a ModelAdmin URL: the part after ``<app>_<model>_`` ("changelist", "import"…),
        "object" for the unnamed ``<object_id>/`` redirect."""
        if self.model is None:
            return None
        if self.name is None:
            return "object"
        prefix = f"admin:{self.model._meta.app_label}_{self.model._meta.model_name}_"
        return self.name.removeprefix(prefix)


def project_routes() -> list[Route]:
    """Every URL pattern reachable from ROOT_URLCONF, with the model of ModelAdmin URLs."""
    by_prefix = {
        f"admin/{m._meta.app_label}/{m._meta.model_name}/": m for m in admin.site._registry
    }
    found: list[Route] = []

    def walk(patterns, prefix: str, namespace: str, model) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                route = prefix + str(p.pattern)
                ns = namespace + (f"{p.namespace}:" if p.namespace else "")
                walk(p.url_patterns, route, ns, by_prefix.get(route, model))
            else:
                name = f"{namespace}{p.name}" if p.name else None
                found.append(Route(prefix + str(p.pattern), name, p, model))

    walk(get_resolver().url_patterns, "", "", None)
    return found


@dataclass
class World:
    users: dict[str, object] = field(default_factory=dict)
    objects: dict[type, models.Model] = field(default_factory=dict)
    versions: dict[type, int] = field(default_factory=dict)
    jobs: dict[tuple[str, str], int] = field(default_factory=dict)  # (subject, kind) -> job pk
    other_user: object = None
    rule_pk: int = 0
    document_job: object = None
    niks: list[str] = field(default_factory=list)

    def url(self, route: Route, subject: str) -> str:
        """The route filled in with this world's records (jobs belong to ``subject``)."""
        pattern = route.pattern
        params = list(pattern.pattern.converters) or list(pattern.pattern.regex.groupindex)
        obj = self.objects.get(route.model) if route.model else None
        if route.name and route.name.endswith("_simple_history"):
            return reverse(route.name, args=[obj.pk, self.versions[route.model]])
        values: dict[str, object] = {}
        for param in params:
            values[param] = self._value(param, route, obj, subject)
        if route.name:
            return reverse(route.name, kwargs=values)
        text = route.route
        for param, value in values.items():
            text = re.sub(rf"<(\w+:)?{param}>|\(\?P<{param}>[^)]*\)", str(value), text)
        return "/" + text.lstrip("^").rstrip("$")

    def _value(self, param: str, route: Route, obj, subject: str):
        if param == "object_id":
            return obj.pk if obj is not None else self.objects[type(self.other_user)].pk
        if param == "job_id":
            kind = IMPORT_KINDS[route.model._meta.label]
            return self.jobs[(subject, kind)]
        if param == "pk":
            return obj.pk
        if param == "document_job_id":
            return self.document_job.pk
        if param == "rule_id":
            return self.rule_pk
        if param == "id":
            return self.other_user.pk
        if param == "year":
            return 2024
        if param == "content_type_id":
            return ContentType.objects.get_for_model(type(self.other_user)).pk
        if param == "app_label":
            return "participants"
        if param == "url":
            return "no-such-page/"
        raise AssertionError(f"no value for URL parameter {param!r} of {route.key}")


# The importer kind behind each model admin's import URLs.
IMPORT_KINDS = {
    "participants.Worker": "workers",
    "enrollment.Enrollment": "bpjs_activation",
    "enrollment.PremiumInvoice": "invoice_lines",
    "targeting.DtksCheck": "dtks_results",
    "targeting.HeirFollowUp": "heirs",
    "dedup.OtherCover": "other_cover",
    "proposals.Proposal": "proposals",
    "proposals.UpdateRound": "yearly_update",
}


def role_user(role: str, username: str | None = None):
    user = UserFactory(username=username or f"role-{role.lower()}", is_staff=role != PIMPINAN)
    user.groups.add(Group.objects.get(name=role))
    return user


def user_without_full_nik(username: str = "no-full-nik"):
    """Staff with every permission but ``view_full_nik`` (not a superuser)."""
    user = UserFactory(username=username, is_staff=True)
    app_label, codename = FULL_NIK_PERMISSION.split(".")
    user.user_permissions.set(
        Permission.objects.exclude(content_type__app_label=app_label, codename=codename)
    )
    return user


def build_world() -> World:
    """One record of every model with an admin page (call inside time_machine at TODAY)."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth import get_user_model
    from django_tasks_db.models import DBTaskResult

    from approvals import services as approvals
    from approvals.models import (
        BatchItem,
        Decision,
        DocumentFormat,
        DocumentJob,
        DocumentJobStatus,
        DocumentKind,
        GeneratedDocument,
        SnapshotRow,
        SubmissionBatch,
    )
    from complaints import services as complaints
    from complaints.models import ServiceLevel, Ticket
    from dedup.models import DuplicatePair, OtherCover, PayerKind, WorkerAlias
    from enrollment import claims, services
    from enrollment.models import (
        BpjsExport,
        Claim,
        ClaimType,
        Enrollment,
        EnrollmentStatus,
        InvoiceLine,
        PremiumInvoice,
        ProgramYear,
    )
    from importer.models import ImportJob, ImportStatus
    from notifications.models import DeliveryStatus, MessageKind, MessageTemplate, OutboxMessage
    from participants.models import Heir, Kecamatan, Kelurahan, Segment, Worker
    from proposals.models import Proposal, UpdateRound
    from proposals.services import proposal_submit, update_round_for
    from targeting.models import (
        DtksCheck,
        ExportLog,
        HeirFollowUp,
        ProposalBatch,
        TargetingRule,
    )
    from tests.enrollment.factories import ProgramYearFactory, QuotaTargetFactory
    from tests.enrollment.helpers import advance

    world = World()
    for role in ROLES:
        world.users[role] = role_user(role)
    world.other_user = UserFactory(username="someone-else", is_staff=True)
    clerk = world.users[OPERATOR]

    year = ProgramYearFactory(year=2024, budget=1_000_000_000)
    ProgramYearFactory(year=2025, budget=1_000_000_000)
    QuotaTargetFactory(program_year=year, target=100)
    worker = WorkerFactory(kk_number="3577010101010099")
    # A corrected family card number: the history page lists the change (old → new).
    old_kk = worker.kk_number
    worker.kk_number = "3577010101010098"
    worker.save()
    heir = HeirFactory(worker=worker, nik="3577015506150002")
    lonely = WorkerFactory()  # no heirs: on the heirs follow-up worklist
    deceased = WorkerFactory()
    # Proposed and activated at the start of the year; the death falls two weeks into cover
    # (whatever day cover starts on under the coverage rules), before TODAY.
    with time_machine.travel(datetime.datetime(2024, 1, 2, 9, 0, tzinfo=datetime.UTC), tick=False):
        enrollment = services.enrollment_propose(worker=worker, program_year=year, user=clerk)
        advance(enrollment, "aktif")
        dead_cover = services.enrollment_propose(worker=deceased, program_year=year, user=clerk)
        advance(dead_cover, "aktif")
    dead_cover.refresh_from_db()
    claim = claims.claim_record(
        enrollment=dead_cover,
        claim_type=ClaimType.JKM,
        event_date=dead_cover.coverage_start + datetime.timedelta(days=14),
        user=clerk,
    )
    services.enrollment_propose(worker=lonely, program_year=year, user=clerk)
    # A batch of one verified enrollment, prepared by the Verifikator and approved by the
    # Administrator: its rows, its frozen snapshot (full NIKs) and its decision log.
    verified = WorkerFactory()
    advance(
        services.enrollment_propose(worker=verified, program_year=year, user=clerk),
        EnrollmentStatus.VERIFIED,
    )
    submission = approvals.batch_prepare(program_year=year, user=world.users[VERIFIKATOR])
    submission = approvals.batch_approve(batch=submission, user=world.users[ADMINISTRATOR])
    document = GeneratedDocument.objects.create(
        kind=DocumentKind.choices[0][0],
        file_format=DocumentFormat.PDF,
        number="001/SK/2024",
        program_year=year,
        batch=submission,
        sha256="ef" * 32,
        size=1,
        generated_by=world.users[ADMINISTRATOR],
    )
    # A long document generated in the background, ready to download.
    world.document_job = DocumentJob.objects.create(
        kind=DocumentKind.LAMPIRAN_SK,
        file_format=DocumentFormat.PDF,
        program_year=year,
        batch=submission,
        requested_by=world.users[ADMINISTRATOR],
        status=DocumentJobStatus.DONE,
        progress=100,
        document=document,
        filename="lampiran-sk.pdf",
        content=b"%PDF-1.4 test",
    )
    bpjs_export = BpjsExport.objects.create(
        program_year=year,
        created_by=world.users[VERIFIKATOR],
        file_name="bpjs.xlsx",
        file_sha256="ab" * 32,
        row_count=1,
        submitted_count=1,
    )
    # Possible duplicates, a merged NIK that still finds its worker, another payer's list.
    first, second = sorted([worker, lonely], key=lambda w: w.nik)
    pair = DuplicatePair.objects.create(
        worker_a=first,
        worker_b=second,
        nik_a=first.nik,
        nik_b=second.nik,
        score=80,
        reasons=["name"],
        fingerprint="0" * 64,
    )
    alias = WorkerAlias.objects.create(
        nik="3577016001800004", worker=worker, full_name=worker.full_name, merged_by=clerk
    )
    other_cover = OtherCover.objects.create(
        program_year=year,
        payer="APBD Provinsi",
        payer_kind=PayerKind.choices[0][0],
        nik="3577016001800005",
        name="Listed elsewhere",
        imported_by=clerk,
    )
    invoice = PremiumInvoice.objects.create(
        program_year=year, month=2, participants_billed=1, amount=16_800
    )
    line = InvoiceLine.objects.create(
        invoice=invoice, nik=worker.nik, kpj_number=enrollment.kpj_number, amount=16_800
    )
    rule = TargetingRule.objects.create(program_year=year)
    batch = ProposalBatch.objects.create(
        program_year=year,
        worker_type="BPU",
        requested=1,
        rule_snapshot={},
        ranked_on=datetime.date(2024, 3, 1),
        created_by=clerk,
    )
    export = ExportLog.objects.create(
        kind="worker_list",
        purpose="test",
        row_count=1,
        file_name="a.xlsx",
        file_sha256="ab" * 32,
        created_by=clerk,
    )
    # A complaint about the worker's enrollment (due in two weeks: not overdue at TODAY) and
    # the activation message sent to them.
    ticket = complaints.ticket_open(
        worker=worker,
        enrollment=enrollment,
        category="tidak_aktif",
        channel="telepon",
        description="Kartu belum diterima",
        user=clerk,
    )
    # The activation queued it in its own transaction; here it has been sent.
    message, _created = OutboxMessage.objects.update_or_create(
        key=f"aktivasi:{worker.pk}:enrollment:{enrollment.pk}",
        defaults={
            "kind": MessageKind.ACTIVATION,
            "worker": worker,
            "recipient": worker.phone,
            "body": "Pesan",
            "status": DeliveryStatus.SENT,
            "attempts": 1,
            "sent_at": TODAY,
        },
    )
    # A candidate proposed by the operator (not in the registry), and a kelurahan's update.
    proposal = proposal_submit(
        user=clerk,
        program_year=year,
        source_kind="kelurahan",
        source_name="Kelurahan Kelun",
        nik="3577014203900007",
        full_name="Calon Usulan",
        birth_date=datetime.date(1990, 3, 2),
        sex="P",
        kelurahan=Kelurahan.objects.get(name="Kelun"),
        worker_type="BPU",
        segment=Segment.objects.get(code="ojol"),
        heir_name="Anak Calon",
        heir_relationship="child",
        heir_nik="3577015506150003",
    )
    # For next year: a 2024 round would mean 2024's update has begun, and renewal (tested
    # on this world) would then hold back everyone not confirmed.
    update_round = update_round_for(
        program_year=ProgramYear.objects.get(year=2025), kelurahan=worker.kelurahan
    )
    for subject in SUBJECTS:
        for kind in IMPORT_KINDS.values():
            job = ImportJob.objects.create(
                kind=kind,
                file_name=f"{kind}.xlsx",
                file_sha256="cd" * 32,
                created_by=world.users.get(subject),
                status=ImportStatus.IMPORTED,
            )
            world.jobs[(subject, kind)] = job.pk
    attempt = AccessAttempt.objects.create(
        username="someone", ip_address="10.0.0.1", failures_since_start=1, get_data="", post_data=""
    )
    log = AccessLog.objects.create(username="someone", ip_address="10.0.0.1")
    failure = AccessFailureLog.objects.create(username="someone", ip_address="10.0.0.1")
    task = DBTaskResult.objects.create(
        args_kwargs={"args": [], "kwargs": {}},
        task_path="importer.tasks.run_import",
        backend_name="default",
        run_after=TODAY,
        exception_class_path="",
        traceback="",
    )
    world.rule_pk = rule.pk
    world.objects = {
        get_user_model(): world.other_user,
        Group: Group.objects.get(name=OPERATOR),
        AccessAttempt: attempt,
        AccessLog: log,
        AccessFailureLog: failure,
        DBTaskResult: task,
        ImportJob: ImportJob.objects.get(pk=world.jobs[(OPERATOR, "workers")]),
        Kecamatan: Kecamatan.objects.first(),
        Kelurahan: Kelurahan.objects.first(),
        Segment: Segment.objects.first(),
        Worker: worker,
        Heir: heir,
        Enrollment: enrollment,
        PremiumInvoice: invoice,
        InvoiceLine: line,
        Claim: claim,
        ProgramYear: year,
        ExportLog: export,
        DtksCheck: DtksCheck.objects.get(pk=worker.pk),
        HeirFollowUp: HeirFollowUp.objects.get(pk=lonely.pk),
        TargetingRule: rule,
        ProposalBatch: batch,
        BpjsExport: bpjs_export,
        DuplicatePair: pair,
        WorkerAlias: alias,
        OtherCover: other_cover,
        SubmissionBatch: submission,
        BatchItem: BatchItem.objects.get(batch=submission),
        SnapshotRow: SnapshotRow.objects.get(batch=submission),
        Decision: Decision.objects.filter(batch=submission).latest("pk"),
        GeneratedDocument: document,
        Ticket: ticket,
        ServiceLevel: ServiceLevel.objects.get(category="klaim"),
        MessageTemplate: MessageTemplate.objects.get(kind=MessageKind.ACTIVATION),
        OutboxMessage: message,
        Proposal: proposal,
        UpdateRound: update_round,
    }
    for model, obj in world.objects.items():
        history = getattr(model, "history", None)
        if history is not None and hasattr(history, "model"):
            if not history.model.objects.filter(id=obj.pk).exists():
                obj.save()  # rows loaded by a data migration have no version yet
            world.versions[model] = history.model.objects.filter(id=obj.pk).latest().history_id
    world.niks = sorted(
        {
            *Worker.objects.values_list("nik", flat=True),
            *Worker.objects.values_list("kk_number", flat=True),
            *Heir.objects.exclude(nik="").values_list("nik", flat=True),
            *InvoiceLine.objects.values_list("nik", flat=True),
            *WorkerAlias.objects.values_list("nik", flat=True),
            *OtherCover.objects.values_list("nik", flat=True),
            *SnapshotRow.objects.values_list("nik", flat=True),
            *Proposal.objects.values_list("nik", flat=True),
            *Proposal.objects.exclude(heir_nik="").values_list("heir_nik", flat=True),
            old_kk,
        }
    )
    assert Enrollment.objects.count() == 4 and Claim.objects.count() == 1
    assert ProgramYear.objects.filter(year=2025).exists()
    return world
