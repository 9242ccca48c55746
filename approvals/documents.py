"""The five official documents, built from frozen snapshots (or, for invoices and claims, from
the records they report on), and ``generate`` which renders and records one.

Batch and year documents read only ``SnapshotRow``: a registry edit after approval never
changes them. Each document's date and number derive from what it reports on (approval date,
invoice month), so downloading it again gives the same bytes.
"""

from __future__ import annotations

import datetime
import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from enrollment.models import (
    Claim,
    ClaimStatus,
    ClaimType,
    Enrollment,
    EnrollmentEvent,
    EnrollmentStatus,
    PremiumInvoice,
    ProgramYear,
    RiskClass,
)
from participants import regions
from participants.models import Heir

from .layout import Column, Document, Signer, Table, signer_for, tanggal
from .models import (
    BatchStatus,
    Decision,
    DecisionAction,
    DocumentFormat,
    DocumentKind,
    GeneratedDocument,
    SnapshotRow,
    SubmissionBatch,
)
from .render import to_pdf, to_xlsx
from .snapshot import SNAPSHOT_FIELDS

RISK_LABELS = dict(RiskClass.choices)
WORKER_TYPE_LABELS = {"BPU": "Bukan Penerima Upah", "PU": "Penerima Upah"}


def _office_code() -> str:
    return getattr(settings, "SIAGA_OFFICE_CODE", "DISNAKER")


def _number(code: str, key: str, year: int) -> str:
    return f"{code}/{key}/{_office_code()}/{year}"


def _approved_batches(program_year: ProgramYear):
    return SubmissionBatch.objects.filter(
        program_year=program_year, status=BatchStatus.APPROVED
    ).order_by("approved_at", "pk")


def _approvers(batch: SubmissionBatch) -> list[Signer]:
    decisions = (
        Decision.objects.filter(batch=batch, action=DecisionAction.APPROVE)
        .select_related("by")
        .order_by("at", "pk")
    )
    return [signer_for(d.by, _("Approved by,")) for d in decisions]


def _frozen(queryset) -> list[SimpleNamespace]:
    """Snapshot rows as plain records (5x cheaper than model instances at 16,000 rows)."""
    return [SimpleNamespace(**values) for values in queryset.values(*SNAPSHOT_FIELDS)]


def _scope(program_year: ProgramYear, batch: SubmissionBatch | None):
    """Snapshot rows, their date, number key and signers, for a batch or a whole year."""
    if batch is not None:
        if batch.status != BatchStatus.APPROVED:
            raise ValidationError(
                _("Batch %(number)s is not approved; its documents come from its approval.")
                % {"number": batch.number},
                code="batch_not_approved",
            )
        rows = _frozen(SnapshotRow.objects.filter(batch=batch).order_by("position"))
        return rows, _local(batch.approved_at), batch.number.replace("/", "-"), _approvers(batch)
    batches = list(_approved_batches(program_year))
    if not batches:
        raise ValidationError(
            _("Program year %(year)s has no approved submission batch yet.")
            % {"year": program_year.year},
            code="year_not_approved",
        )
    rows = _frozen(
        SnapshotRow.objects.filter(batch__in=batches).order_by(
            "kecamatan", "kelurahan", "full_name", "enrollment_id_frozen"
        )
    )
    return rows, _local(batches[-1].approved_at), "TAHUN", _approvers(batches[-1])


def _local(day: datetime.datetime) -> datetime.date:
    return timezone.localtime(day).date() if timezone.is_aware(day) else day.date()


# ---------------------------------------------------------------- Lampiran SK


def lampiran_sk(program_year: ProgramYear, batch: SubmissionBatch | None = None) -> Document:
    rows, day, key, signers = _scope(program_year, batch)
    columns = [
        Column("No", 24, "right", "int"),
        Column("NIK", 72),
        Column("Nama", 110),
        Column("Tgl Lahir", 44),
        Column("Segmen", 68),
        Column("Jenis", 24, "center"),
        Column("Risiko", 50),
        Column("Mulai", 40),
        Column("Berakhir", 40),
        Column("Iuran/Bln", 43, "right", "rupiah"),
    ]
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for row in rows:
        groups[(row.kecamatan, row.kelurahan)].append(row)
    tables = []
    number = 0
    by_type: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for (kecamatan, kelurahan), members in groups.items():
        body = []
        for row in members:
            number += 1
            body.append(
                [
                    number,
                    row.nik,
                    row.full_name,
                    row.birth_date,
                    row.segment,
                    row.worker_type,
                    str(RISK_LABELS.get(row.risk_class, "")) if row.risk_class else "-",
                    row.coverage_start,
                    row.coverage_end,
                    row.monthly_premium,
                ]
            )
            totals = by_type[row.worker_type]
            totals[0] += 1
            totals[1] += row.monthly_premium
            totals[2] += row.committed_amount
        tables.append(
            Table(
                columns=columns,
                rows=body,
                heading=f"Kecamatan {kecamatan} - {regions.village_label()} {kelurahan}",
                total=[
                    "",
                    "",
                    f"Jumlah: {len(members)} orang",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "",
                    sum(r.monthly_premium for r in members),
                ],
            )
        )
    summary_columns = [
        Column("Jenis Kepesertaan", 175),
        Column("Jumlah Peserta", 100, "right", "int"),
        Column("Iuran per Bulan (Rp)", 120, "right", "rupiah"),
        Column("Iuran Setahun (Rp)", 120, "right", "rupiah"),
    ]
    summary = [[f"{t} - {WORKER_TYPE_LABELS.get(t, t)}", *by_type[t]] for t in sorted(by_type)]
    grand = [sum(v[i] for v in by_type.values()) for i in range(3)]
    tables.append(
        Table(
            columns=summary_columns,
            rows=summary,
            heading="Rekapitulasi per Jenis Kepesertaan",
            total=["JUMLAH", *grand],
        )
    )
    scope = f"Batch usulan {batch.number}" if batch else f"Tahun program {program_year.year}"
    return Document(
        kind=DocumentKind.LAMPIRAN_SK,
        title=f"Lampiran Keputusan {regions.head_title()}\nDaftar Nominatif Peserta Siaga Kita",
        number=_number("LAMP-SK", key, program_year.year),
        date=day,
        subtitle=[
            "Peserta Jaminan Kecelakaan Kerja dan Jaminan Kematian BPJS Ketenagakerjaan",
            f"{scope} - {len(rows)} peserta",
        ],
        tables=tables,
        signers=signers[-1:] if signers else [Signer(role=_("Approved by,"))],
        filename=f"lampiran-sk-{program_year.year}-{key.lower()}",
    )


# ---------------------------------------------------------------- Berita acara verifikasi


def ba_verifikasi(program_year: ProgramYear, batch: SubmissionBatch) -> Document:
    if batch is None:
        raise ValidationError(_("The verification minutes are per batch: give --batch."))
    if batch.status == BatchStatus.SUBMITTED:
        raise ValidationError(
            _("Batch %(number)s awaits its decision; the minutes record a decision.")
            % {"number": batch.number}
        )
    decided = batch.decisions.exclude(action=DecisionAction.SUBMIT).order_by("-at").first()
    at = batch.created_at
    proposed = Enrollment.objects.filter(program_year=program_year, created_at__lte=at).count()
    refused = list(
        EnrollmentEvent.objects.filter(
            enrollment__program_year=program_year,
            to_status=EnrollmentStatus.REJECTED,
            at__lte=at,
        )
        .select_related("enrollment__worker")
        .order_by("at", "pk")
    )
    items = list(batch.items.select_related("enrollment__worker").order_by("pk"))
    rejected_items = [i for i in items if i.rejected]
    approved = batch.snapshot_count if batch.status == BatchStatus.APPROVED else 0
    figures = Table(
        columns=[Column("Uraian", 375), Column("Jumlah", 140, "right", "int")],
        rows=[
            [f"Usulan kepesertaan tahun {program_year.year} s.d. {tanggal(_local(at))}", proposed],
            ["Usulan ditolak pada verifikasi", len(refused)],
            ["Diverifikasi dan diajukan dalam batch ini", len(items)],
            ["Ditolak oleh pejabat yang menyetujui", len(rejected_items)],
            ["Disetujui", approved],
        ],
        heading="Ringkasan",
    )
    reasons = [
        Column("No", 24, "right", "int"),
        Column("NIK", 80),
        Column("Nama", 150),
        Column("Alasan", 261),
    ]
    tables = [figures]
    if refused:
        tables.append(
            Table(
                columns=reasons,
                rows=[
                    [n, e.enrollment.worker.nik, e.enrollment.worker.full_name, e.reason or "-"]
                    for n, e in enumerate(refused, 1)
                ],
                heading="Usulan yang ditolak pada verifikasi",
            )
        )
    if rejected_items:
        tables.append(
            Table(
                columns=reasons,
                rows=[
                    [n, i.enrollment.worker.nik, i.enrollment.worker.full_name, i.rejection_reason]
                    for n, i in enumerate(rejected_items, 1)
                ],
                heading="Baris batch yang ditolak oleh pejabat yang menyetujui",
            )
        )
    result = (
        "disetujui" if batch.status == BatchStatus.APPROVED else "dikembalikan untuk diperbaiki"
    )
    day = _local(decided.at) if decided else _local(at)
    signers = [signer_for(batch.prepared_by, _("Prepared by,"))]
    signers += [
        signer_for(d.by, _("Approved by,"))
        for d in batch.decisions.filter(action=DecisionAction.APPROVE).order_by("at", "pk")
    ]
    if batch.status == BatchStatus.RETURNED and decided:
        signers.append(signer_for(decided.by, _("Returned by,")))
    return Document(
        kind=DocumentKind.BA_VERIFIKASI,
        title="Berita Acara Verifikasi\nUsulan Peserta Siaga Kita",
        number=_number("BA-VER", batch.number.replace("/", "-"), program_year.year),
        date=day,
        subtitle=[f"Batch usulan {batch.number}"],
        before=[
            f"Pada hari ini, {tanggal(day)}, telah dilakukan verifikasi atas usulan peserta "
            f"program Siaga Kita tahun {program_year.year} yang dihimpun dalam batch "
            f"{batch.number}, dengan hasil sebagai berikut:"
        ],
        tables=tables,
        after=[
            f"Batch tersebut {result}. Berita acara ini dibuat dengan sebenarnya untuk "
            "dipergunakan sebagaimana mestinya."
        ]
        + ([f"Catatan: {decided.note}"] if decided and decided.note else []),
        signers=signers,
        filename=f"ba-verifikasi-{batch.number.replace('/', '-').lower()}",
    )


# ---------------------------------------------------------------- Rekapitulasi


def rekap(program_year: ProgramYear, batch: SubmissionBatch | None = None) -> Document:
    rows, day, key, signers = _scope(program_year, batch)
    per_kel: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    per_seg: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    for row in rows:
        for bucket in (per_kel[(row.kecamatan, row.kelurahan)], per_seg[row.segment]):
            bucket[0 if row.worker_type == "BPU" else 1] += 1
            bucket[2] += 1
            bucket[3] += row.monthly_premium
            bucket[4] += row.committed_amount
    figures = [
        Column("BPU", 40, "right", "int"),
        Column("PU", 40, "right", "int"),
        Column("Jumlah", 50, "right", "int"),
        Column("Iuran/Bulan (Rp)", 85, "right", "rupiah"),
        Column("Iuran Setahun (Rp)", 90, "right", "rupiah"),
    ]

    def total(buckets):
        return [sum(b[i] for b in buckets) for i in range(5)]

    kel_table = Table(
        columns=[
            Column("No", 24, "right", "int"),
            Column("Kecamatan", 85),
            Column(regions.village_label(), 101),
            *figures,
        ],
        rows=[[n, kec, kel, *v] for n, ((kec, kel), v) in enumerate(sorted(per_kel.items()), 1)],
        heading=f"Rekapitulasi per {regions.village_label()}",
        total=["", "JUMLAH", "", *total(per_kel.values())],
    )
    seg_table = Table(
        columns=[Column("No", 24, "right", "int"), Column("Segmen", 186), *figures],
        rows=[[n, seg, *v] for n, (seg, v) in enumerate(sorted(per_seg.items()), 1)],
        heading="Rekapitulasi per Segmen",
        total=["", "JUMLAH", *total(per_seg.values())],
    )
    scope = f"Batch usulan {batch.number}" if batch else f"Tahun program {program_year.year}"
    return Document(
        kind=DocumentKind.REKAP,
        title="Rekapitulasi Peserta Siaga Kita",
        number=_number("REKAP", key, program_year.year),
        date=day,
        subtitle=[f"{scope} - {len(rows)} peserta"],
        tables=[kel_table, seg_table],
        signers=signers[-1:] if signers else [Signer(role=_("Approved by,"))],
        filename=f"rekap-{program_year.year}-{key.lower()}",
    )


# ---------------------------------------------------------------- Berita acara rekonsiliasi


def ba_rekonsiliasi(program_year: ProgramYear, invoice: PremiumInvoice, user=None) -> Document:
    if invoice is None:
        raise ValidationError(_("The reconciliation minutes are per invoice: give --invoice."))
    if invoice.program_year_id != program_year.pk:
        raise ValidationError(
            _("Invoice %(invoice)s is not of this program year.") % {"invoice": invoice}
        )
    first = datetime.date(program_year.year, invoice.month, 1)
    last = (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    approved = {
        r.enrollment_id_frozen: r
        for r in SnapshotRow.objects.filter(
            batch__program_year=program_year,
            batch__status=BatchStatus.APPROVED,
            coverage_start__lte=last,
            coverage_end__gte=first,
        )
    }
    live = {
        e.pk: e
        for e in Enrollment.objects.filter(pk__in=approved.keys()).only(
            "pk", "status", "coverage_end"
        )
    }
    expected = {
        pk: r
        for pk, r in approved.items()
        if pk in live
        and live[pk].status != EnrollmentStatus.REJECTED
        and live[pk].coverage_end >= first
    }
    ended = {pk: live[pk] for pk in approved if pk in live and pk not in expected}
    lines = list(invoice.lines.order_by("nik", "pk"))
    billed_by_enrollment = {line.enrollment_id: line for line in lines if line.enrollment_id}
    differences = []
    for line in lines:
        row = expected.get(line.enrollment_id)
        if line.enrollment_id is None:
            differences.append(
                [line.nik, "-", line.amount, 0, "NIK tidak cocok dengan kepesertaan Siaga"]
            )
        elif line.enrollment_id in ended:
            e = ended[line.enrollment_id]
            differences.append(
                [
                    line.nik,
                    approved[line.enrollment_id].full_name,
                    line.amount,
                    0,
                    f"Kepesertaan berakhir {tanggal(e.coverage_end)} ({e.get_status_display()})",
                ]
            )
        elif row is None:
            differences.append(
                [line.nik, "-", line.amount, 0, "Tidak ada dalam batch yang disetujui"]
            )
        elif line.amount != row.monthly_premium:
            differences.append(
                [row.nik, row.full_name, line.amount, row.monthly_premium, "Nominal iuran berbeda"]
            )
    for pk, row in sorted(expected.items(), key=lambda kv: kv[1].nik):
        if lines and pk not in billed_by_enrollment:
            differences.append(
                [row.nik, row.full_name, 0, row.monthly_premium, "Peserta disetujui tidak ditagih"]
            )
    expected_amount = sum(r.monthly_premium for r in expected.values())
    figures = Table(
        columns=[
            Column("Uraian", 215),
            Column("Ditagih BPJS", 100, "right", "rupiah"),
            Column("Seharusnya", 100, "right", "rupiah"),
            Column("Selisih", 100, "right", "rupiah"),
        ],
        rows=[
            [
                "Jumlah peserta",
                invoice.participants_billed,
                len(expected),
                invoice.participants_billed - len(expected),
            ],
            [
                "Jumlah iuran (Rp)",
                invoice.amount,
                expected_amount,
                invoice.amount - expected_amount,
            ],
            ["Baris tagihan diterima", len(lines), len(expected), len(lines) - len(expected)],
        ],
        heading="Perbandingan tagihan dan perhitungan Siaga",
    )
    diff_table = Table(
        columns=[
            Column("No", 22, "right", "int"),
            Column("NIK", 72),
            Column("Nama", 100),
            Column("Ditagih", 55, "right", "rupiah"),
            Column("Seharusnya", 55, "right", "rupiah"),
            Column("Penyebab", 211),
        ],
        rows=[[n, *d] for n, d in enumerate(differences, 1)],
        heading=f"Rincian selisih ({len(differences)} baris)",
    )
    month_name = tanggal(first).split(" ", 1)[1]
    day = invoice.paid_on or last
    return Document(
        kind=DocumentKind.BA_REKONSILIASI,
        title="Berita Acara Rekonsiliasi Iuran\nBPJS Ketenagakerjaan Program Siaga Kita",
        number=_number("BA-REK", f"{invoice.month:02d}", program_year.year),
        date=day,
        subtitle=[
            f"Tagihan bulan {month_name}"
            + (f" - referensi {invoice.reference}" if invoice.reference else "")
        ],
        before=[
            f"Pada hari ini, {tanggal(day)}, telah dilakukan rekonsiliasi antara tagihan iuran "
            f"BPJS Ketenagakerjaan bulan {month_name} dan daftar peserta yang disetujui dalam "
            "program Siaga Kita, dengan hasil sebagai berikut:"
        ],
        tables=[figures, diff_table],
        after=[
            "Daftar peserta tagihan belum diterima dari BPJS: selisih per peserta belum dapat "
            "diperiksa; hanya jumlah peserta dan jumlah iuran yang dibandingkan."
            if not lines
            else "Selisih di atas diselesaikan sebelum tagihan dibayar."
            if differences
            else "Tidak terdapat selisih; tagihan dapat dibayar."
        ],
        signers=[signer_for(user, _("Reconciled by,"))],
        filename=f"ba-rekonsiliasi-{program_year.year}-{invoice.month:02d}",
    )


# ---------------------------------------------------------------- Laporan klaim


def _age_on(born: datetime.date, day: datetime.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def laporan_klaim(
    program_year: ProgramYear,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    user=None,
) -> Document:
    start = start or program_year.first_day
    end = end or program_year.last_day
    claims = list(
        Claim.objects.filter(
            enrollment__program_year=program_year, event_date__gte=start, event_date__lte=end
        )
        .select_related("enrollment__worker__kelurahan")
        .order_by("event_date", "pk")
    )
    counts: Counter = Counter()
    amounts: Counter = Counter()
    for claim in claims:
        counts[(claim.claim_type, claim.status)] += 1
        amounts[(claim.claim_type, claim.status)] += claim.benefit_amount
    summary = []
    for ctype, clabel in ClaimType.choices:
        for status, slabel in ClaimStatus.choices:
            if counts[(ctype, status)]:
                summary.append(
                    [str(clabel), str(slabel), counts[(ctype, status)], amounts[(ctype, status)]]
                )
    claim_table = Table(
        columns=[
            Column("No", 22, "right", "int"),
            Column("Tanggal", 44),
            Column("Jenis", 30),
            Column("NIK", 72),
            Column("Nama", 110),
            Column(regions.village_label(), 70),
            Column("Meninggal", 40, "center"),
            Column("Status", 57),
            Column("Manfaat (Rp)", 70, "right", "rupiah"),
        ],
        rows=[
            [
                n,
                c.event_date,
                c.claim_type.upper(),
                c.enrollment.worker.nik,
                c.enrollment.worker.full_name,
                c.enrollment.worker.kelurahan.name,
                "Ya" if c.fatal else "Tidak",
                c.get_status_display(),
                c.benefit_amount,
            ]
            for n, c in enumerate(claims, 1)
        ],
        heading="Daftar klaim",
        total=[
            "",
            "",
            "",
            "",
            f"Jumlah: {len(claims)} klaim",
            "",
            "",
            "",
            sum(c.benefit_amount for c in claims),
        ],
    )
    summary_table = Table(
        columns=[
            Column("Jenis", 170),
            Column("Status", 125),
            Column("Jumlah", 90, "right", "int"),
            Column("Manfaat (Rp)", 130, "right", "rupiah"),
        ],
        rows=summary,
        heading="Ringkasan per jenis dan status",
        total=["JUMLAH", "", len(claims), sum(c.benefit_amount for c in claims)],
    )
    lo = getattr(settings, "SIAGA_SCHOOL_AGE_MIN", 4)
    hi = getattr(settings, "SIAGA_SCHOOL_AGE_MAX", 23)
    fatal = {
        c.enrollment.worker_id: c for c in claims if c.fatal and c.status != ClaimStatus.REJECTED
    }
    heirs = list(
        Heir.objects.filter(worker_id__in=fatal.keys())
        .select_related("worker")
        .order_by("worker__full_name", "name", "pk")
    )
    follow = []
    for heir in heirs:
        claim = fatal[heir.worker_id]
        age = _age_on(heir.birth_date, claim.event_date) if heir.birth_date else None
        if age is None or lo <= age <= hi:
            follow.append(
                [
                    heir.worker.full_name,
                    heir.name,
                    heir.get_relationship_display(),
                    heir.birth_date,
                    age if age is not None else "?",
                    heir.get_school_level_display() or "-",
                ]
            )
    heir_table = Table(
        columns=[
            Column("No", 22, "right", "int"),
            Column("Peserta (meninggal)", 120),
            Column("Ahli waris", 120),
            Column("Hubungan", 60),
            Column("Tgl lahir", 50),
            Column("Umur", 30, "right"),
            Column("Jenjang sekolah", 113),
        ],
        rows=[[n, *r] for n, r in enumerate(follow, 1)],
        heading=f"Tindak lanjut beasiswa ahli waris usia sekolah ({lo}-{hi} tahun)",
    )
    day = timezone.localdate()
    return Document(
        kind=DocumentKind.LAPORAN_KLAIM,
        title="Laporan Klaim JKK dan JKM\nProgram Siaga Kita",
        number=_number("LAP-KLAIM", f"{start:%m%d}-{end:%m%d}", program_year.year),
        date=day,
        subtitle=[f"Periode {tanggal(start)} s.d. {tanggal(end)}"],
        tables=[summary_table, claim_table, heir_table],
        signers=[signer_for(user, _("Reported by,"))],
        filename=f"laporan-klaim-{program_year.year}-{start:%m%d}-{end:%m%d}",
    )


# ---------------------------------------------------------------- generate and record


@dataclass
class Generated:
    content: bytes
    filename: str
    content_type: str
    record: GeneratedDocument


CONTENT_TYPES = {
    DocumentFormat.PDF: "application/pdf",
    DocumentFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def build(
    kind: str, *, program_year, batch=None, invoice=None, start=None, end=None, user=None
) -> Document:
    """The ``Document`` of one kind (Indonesian, whatever the user's language)."""
    with translation.override("id"):
        if batch is not None and batch.program_year_id != program_year.pk:
            raise ValidationError(
                _("Batch %(number)s is not of this program year.") % {"number": batch.number}
            )
        if kind == DocumentKind.LAMPIRAN_SK:
            return lampiran_sk(program_year, batch)
        if kind == DocumentKind.BA_VERIFIKASI:
            return ba_verifikasi(program_year, batch)
        if kind == DocumentKind.REKAP:
            return rekap(program_year, batch)
        if kind == DocumentKind.BA_REKONSILIASI:
            return ba_rekonsiliasi(program_year, invoice, user)
        if kind == DocumentKind.LAPORAN_KLAIM:
            return laporan_klaim(program_year, start, end, user)
    raise ValidationError(_("Unknown document %(kind)s.") % {"kind": kind})


def generate(
    kind: str,
    *,
    program_year: ProgramYear,
    file_format: str = DocumentFormat.PDF,
    batch: SubmissionBatch | None = None,
    invoice: PremiumInvoice | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    user=None,
    progress=None,
) -> Generated:
    """Render one document and record who made it, when, with which parameters and its hash.

    ``progress(done, total)`` is called while the rows are written (background jobs)."""
    if file_format not in DocumentFormat.values:
        raise ValidationError(_("Choose pdf or xlsx."))
    document = build(
        kind,
        program_year=program_year,
        batch=batch,
        invoice=invoice,
        start=start,
        end=end,
        user=user,
    )
    with translation.override("id"):
        render = to_pdf if file_format == DocumentFormat.PDF else to_xlsx
        content = render(document, progress)
    parameters = {"kind": kind, "year": program_year.year, "format": file_format}
    if batch is not None:
        parameters["batch"] = batch.pk
    if invoice is not None:
        parameters["invoice"] = invoice.pk
    if start or end:
        parameters["from"] = (start or program_year.first_day).isoformat()
        parameters["to"] = (end or program_year.last_day).isoformat()
    with transaction.atomic():
        record = GeneratedDocument.objects.create(
            kind=kind,
            file_format=file_format,
            number=document.number,
            program_year=program_year,
            batch=batch,
            invoice=invoice,
            parameters=parameters,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            generated_by=user if user is not None and user.is_authenticated else None,
        )
    return Generated(
        content, f"{document.filename}.{file_format}", CONTENT_TYPES[file_format], record
    )
