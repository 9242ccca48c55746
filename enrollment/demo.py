"""Deterministic demo and benchmark data for the region (SIAGA_REGION; ``manage.py seed_demo``).

The proportions are Kota Madiun's (35.77), whose default run reproduces the figures Pemkot
Madiun published on 6 May 2024 (ANTARA): 14,087 participants covered (7,750 PU + 6,337 BPU)
against the raised 2024 targets of 8,591 BPU and 7,822 PU; the year before had the old
targets (6,337 BPU, 7,750 PU). Other sizes scale every count by ``workers / DEFAULT_WORKERS``.
Another region gets a default size scaled to its villages (``default_workers``), workers
spread over its desa and kelurahan (kelurahan are denser), NIKs and KKs with its code, and a
few NIKs from neighbouring regencies of the same province.

Rows are written with explicit primary keys, in batches: PostgreSQL gets ``COPY … FROM
STDIN`` (psycopg2 ``copy_expert``), other databases ``executemany``. The data is "as of"
6 May of the year, so it never depends on the day it is generated.
"""

from __future__ import annotations

import contextlib
import csv
import datetime
import io
import itertools
import random
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.management.color import no_style
from django.db import connection, transaction
from django.utils import timezone

from participants import regions
from participants.models import Heir, Kelurahan, Segment, Worker, WorkerType
from participants.services import history_record_from

from .models import (
    Claim,
    Enrollment,
    EnrollmentEvent,
    InvoiceLine,
    PremiumInvoice,
    PremiumRate,
    ProgramYear,
    ProgramYearStatus,
    QuotaTarget,
    WageBase,
)
from .premiums import MICRO, monthly_premium, months_in_year, round_rupiah, wage_base_sen
from .services import program_year_copy_rates

DEFAULT_WORKERS = 15_000
# Models the seed writes set-based that django-simple-history audits.
AUDITED_SEED_MODELS = (Worker, Heir, Enrollment, Claim, PremiumInvoice)
# ANTARA, 6 May 2024: covered now, and the targets after the 2024 expansion.
ACTIVE_PU, ACTIVE_BPU = 7_750, 6_337
TARGET_PU, TARGET_BPU = 7_822, 8_591
# Per DEFAULT_WORKERS: people who left during the year, the expansion pipeline, people who
# were only covered the year before.
LEFT_THIS_YEAR = 250
PIPELINE = {"diusulkan": 300, "diverifikasi": 100, "didaftarkan": 120, "ditolak": 40}
PREVIOUS_YEAR_ONLY = 100
RENEWED_SHARE = 0.95  # of this year's participants who were also covered last year

MALE = "Agus Budi Slamet Joko Sugeng Bambang Eko Heru Wahyu Teguh Suparno Sutrisno Rudi Hari "
MALE += "Yoga Rizky Fajar Andi Dedi Supriyadi Imam Ahmad Muhammad Puji Sigit Totok Yudi Anton"
FEMALE = "Sri Siti Endang Wahyuni Suryani Dewi Ratna Lestari Yuli Tri Sulastri Purwanti Rina "
FEMALE += "Nur Fitri Indah Ayu Dian Rahayu Kartini Sumiati Suwarni Ninik Puji Anik Eni Yayuk"
FAMILY = "Santoso Wibowo Susanto Hartono Setiawan Purnomo Prasetyo Suharto Wijaya Saputra "
FAMILY += "Hidayat Kurniawan Handayani Rahmawati Wulandari Utami Suryaningsih Nugroho Widodo "
FAMILY += "Pratama Firmansyah Maulana Ningsih Astuti Susilo Riyadi Mulyono Suwito"
STREETS = [
    "Jl. Pahlawan", "Jl. Diponegoro", "Jl. Salak", "Jl. Serayu", "Jl. Panglima Sudirman",
    "Jl. H.O.S. Cokroaminoto", "Jl. Kolonel Marhadi", "Jl. Ahmad Yani", "Jl. MH Thamrin",
    "Jl. Mayjend Panjaitan", "Jl. Tirta Raya", "Jl. Merak", "Jl. Kutilang", "Jl. Puntodewo",
    "Jl. Yos Sudarso", "Jl. Letjend Suprapto", "Jl. Sulawesi", "Jl. Agus Salim", "Jl. Kenanga",
]  # fmt: skip
# Segment codes (participants migration 0002) by worker type, with weights.
PU_SEGMENTS = {
    "koperasi": 30, "jasa-konstruksi": 25, "lembaga-pendidikan": 25,
    "penyelenggara-pemilu": 10, "lainnya": 10,
}  # fmt: skip
BPU_SEGMENTS = {
    "ojol": 18, "pkl": 22, "pkk": 14, "pekerja-lepas": 10, "pekerja-seni": 6,
    "kreator-konten": 3, "siswa": 3, "difabel": 3, "pemuka-agama": 8, "kim": 3,
    "karang-taruna": 6, "lainnya": 4,
}  # fmt: skip
# The PU wage base of the demo years: UMK Kota Madiun 2023 (DOMAIN.md), the figure the city's
# 0,54 % × UMK = Rp 11.827,168 per person-month comes from.
DEMO_UMK = Decimal("2190216.37")
PU_RISK = {"sangat_rendah": 45, "rendah": 35, "sedang": 15, "tinggi": 5}
LEFT_REASONS = {
    "meninggal": 25,
    "pindah_domisili": 30,
    "ditanggung_pemberi_kerja": 20,
    "mengundurkan_diri": 20,
    "data_ganda": 5,
}
# Village weights for the default size and for spreading workers: a kelurahan (urban) holds
# about three times the people of a desa. Kota Madiun: 27 kelurahan = 15,000 workers.
VILLAGE_WEIGHT = {"kelurahan": 1.0, "desa": 0.35}
MADIUN_UNITS = 27.0
MIN_DEFAULT_WORKERS, MAX_DEFAULT_WORKERS = 1_000, 100_000


def default_workers(region: regions.Region | None = None) -> int:
    """The default demo size for a region: Madiun's 15,000 scaled to its weighted villages,
    rounded to hundreds (Kabupaten Penajam Paser Utara, 24 kelurahan + 30 desa: 19,300)."""
    region = region or regions.current()
    units = sum(VILLAGE_WEIGHT[v.kind] for v in region.villages)
    size = round(DEFAULT_WORKERS * units / MADIUN_UNITS, -2)
    return int(min(MAX_DEFAULT_WORKERS, max(MIN_DEFAULT_WORKERS, size)))


def neighbour_districts(region: regions.Region) -> list[tuple[str, str]]:
    """NIK district prefixes (6 digits) of nearby regencies, with the birth place shown: a
    kota's same-named kabupaten first (Kota Madiun → Kabupaten Madiun 35.19), then the regency
    whose code is nearest to it (Magetan 35.20). Kota Madiun: 351901, 351905, 352002."""
    others = [(c, n) for c, n in regions.regencies(region.code[:2]) if c != region.code]
    if not others:
        return []
    same = [(c, n) for c, n in others if n == f"Kabupaten {region.short_name}"]

    def distance(code: str, to: str) -> tuple[int, int]:
        return abs(int(code[3:]) - int(to[3:])), -int(code[3:])

    first = same[0] if same else min(others, key=lambda o: distance(o[0], region.code))
    rest = [o for o in others if o != first]
    second = min(rest, key=lambda o: distance(o[0], first[0])) if rest else first

    def district(code: str, number: str) -> str:
        known = {k for k, _n in regions.region(code).kecamatan}
        chosen = f"{code}.{number}" if f"{code}.{number}" in known else min(known)
        return chosen.replace(".", "")

    def place(name: str) -> str:
        return name.replace("Kabupaten ", "Kab. ", 1)

    return [
        (district(first[0], "01"), place(first[1])),
        (district(first[0], "05"), place(first[1])),
        (district(second[0], "02"), place(second[1])),
    ]


def scaled(count: int, factor: float) -> int:
    return max(0, round(count * factor))


# --- writing ------------------------------------------------------------------------------------


def _csv_ready(row: Sequence[object]) -> Sequence[object]:
    # COPY … (FORMAT csv, NULL '\N'): only None needs a marker; csv quotes the rest.
    return row if None not in row else tuple("\\N" if v is None else v for v in row)


def _sqlite_value(value: object) -> object:
    if isinstance(value, datetime.datetime):
        return connection.ops.adapt_datetimefield_value(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


class Writer:
    """Inserts rows with explicit ids in batches; COPY on PostgreSQL."""

    def __init__(self, batch_size: int = 50_000):
        self.batch_size = batch_size
        self.counts: dict[str, int] = {}
        self.timings: dict[str, float] = {"writing": 0.0}

    def write(self, model, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        table = model._meta.db_table
        batch: list[Sequence[object]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= self.batch_size:
                self._flush(table, columns, batch)
                batch = []
        if batch:
            self._flush(table, columns, batch)

    def _flush(self, table: str, columns: Sequence[str], batch: list[Sequence[object]]) -> None:
        started = time.monotonic()
        self._insert(table, columns, batch)
        self.timings["writing"] += time.monotonic() - started

    def _insert(self, table: str, columns: Sequence[str], batch: list[Sequence[object]]) -> None:
        self.counts[table] = self.counts.get(table, 0) + len(batch)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                buffer = io.StringIO()
                csv.writer(buffer, lineterminator="\n").writerows(map(_csv_ready, batch))
                buffer.seek(0)
                quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
                cursor.copy_expert(
                    f"COPY {table} ({quoted}) FROM STDIN WITH (FORMAT csv, NULL '\\N')", buffer
                )
            else:
                quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(
                    f"INSERT INTO {table} ({quoted}) VALUES ({marks})",
                    [tuple(map(_sqlite_value, row)) for row in batch],
                )

    @contextlib.contextmanager
    def bulk_load(self, models: Sequence) -> Iterator[None]:
        """PostgreSQL's advice for populating a database: drop the tables' secondary indexes
        and foreign keys, load, then re-create them in one pass each (faster than row by row;
        the foreign keys are fully re-validated when they are added back)."""
        if connection.vendor != "postgresql":
            yield
            return
        tables = [m._meta.db_table for m in models]
        with connection.cursor() as cursor:
            # Index builds and foreign-key validation sort in memory when they may.
            cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(%s)",
                [tables],
            )
            foreign_keys = cursor.fetchall()
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.tablename = ANY(%s) AND NOT EXISTS ("
                "  SELECT 1 FROM pg_constraint c WHERE c.conindid = "
                "  (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass)",
                [tables],
            )
            indexes = cursor.fetchall()
            for table, name, _definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
            for name, _definition in indexes:
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        yield
        started = time.monotonic()
        with connection.cursor() as cursor:
            for _name, definition in indexes:
                cursor.execute(definition)
            for table, name, definition in foreign_keys:
                cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        self.timings["indexes and foreign keys"] = time.monotonic() - started

    def reset_sequences(self, models: Iterable) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(models))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def _next_id(model) -> int:
    last = model.objects.order_by("-pk").values_list("pk", flat=True).first()
    return (last or 0) + 1


# --- generation ---------------------------------------------------------------------------------


@dataclass
class Person:
    id: int
    nik: str
    birth_date: datetime.date
    sex: str
    worker_type: str
    segment_id: int
    kecamatan_id: int
    wage: int
    kelurahan_id: int
    risk_class: str
    death_date: datetime.date | None = None


@dataclass
class SeedReport:
    workers: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    year_counts: dict[int, dict[str, int]] = field(default_factory=dict)
    budgets: dict[int, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)


def _weighted(rng: random.Random, weights: dict[str, int], k: int) -> list[str]:
    key = id(weights)
    if key not in _CUMULATIVE:
        _CUMULATIVE[key] = (list(weights), list(itertools.accumulate(weights.values())))
    population, cumulative = _CUMULATIVE[key]
    return rng.choices(population, cum_weights=cumulative, k=k)


_CUMULATIVE: dict[int, tuple[list[str], list[int]]] = {}


class DemoSeeder:
    def __init__(self, *, workers: int, year: int, seed: int = 2024, batch_size: int = 50_000):
        self.total = workers
        self.year = year
        self.factor = workers / DEFAULT_WORKERS
        self.rng = random.Random(seed)
        self.writer = Writer(batch_size)
        self.as_of = datetime.date(year, 5, 6)
        self.now = timezone.make_aware(datetime.datetime(year, 5, 6, 9, 0))
        self.region = regions.current()
        self.source = f"Dinas Sosial {self.region.name}"
        self.male = MALE.split()
        self.female = FEMALE.split()
        self.family = FAMILY.split()

    # The plan: how many of each kind, scaled to the number of workers.
    def plan(self) -> dict[str, int]:
        f = self.factor
        plan = {
            "active_pu": scaled(ACTIVE_PU, f),
            "active_bpu": scaled(ACTIVE_BPU, f),
            "left": scaled(LEFT_THIS_YEAR, f),
            "previous_only": scaled(PREVIOUS_YEAR_ONLY, f),
            **{f"pipeline_{k}": scaled(v, f) for k, v in PIPELINE.items()},
        }
        used = sum(plan.values())
        if used > self.total:
            # Very small runs: keep the proportions of the active groups only.
            plan = dict.fromkeys(plan, 0)
            plan["active_pu"] = self.total * ACTIVE_PU // (ACTIVE_PU + ACTIVE_BPU)
            plan["active_bpu"] = self.total - plan["active_pu"]
            used = self.total
        plan["registry_only"] = self.total - used
        return plan

    @transaction.atomic
    def run(self) -> SeedReport:
        report = SeedReport(workers=self.total)
        # Rows written set-based bypass django-simple-history: their baseline history is
        # written afterwards from these first ids (one INSERT … SELECT per model).
        first_ids = {model: _next_id(model) for model in AUDITED_SEED_MODELS}
        plan = self.plan()
        kelurahan = list(Kelurahan.objects.select_related("kecamatan").order_by("code"))
        segments = {s.code: s.pk for s in Segment.objects.all()}
        previous, current, following = self._years(plan)
        people = self._write_workers(plan, kelurahan, segments)
        self._write_heirs(people)
        with self.writer.bulk_load(
            [Worker, Heir, Enrollment, EnrollmentEvent, Claim, InvoiceLine, PremiumInvoice]
        ):
            self._write_enrollments(plan, people, previous, current, report)
        self._write_history(first_ids)
        report.budgets = {y.year: y.budget for y in (previous, current, following)}
        self.writer.reset_sequences(
            [Worker, Heir, Enrollment, EnrollmentEvent, Claim, InvoiceLine, PremiumInvoice]
        )
        if connection.vendor == "postgresql":
            # Fresh planner statistics, or the admin's first queries plan for empty tables.
            with connection.cursor() as cursor:
                for model in (Worker, Heir, Enrollment, EnrollmentEvent, InvoiceLine, Claim):
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")
        report.rows = dict(self.writer.counts)
        report.timings = dict(self.writer.timings)
        return report

    def _write_history(self, first_ids: dict) -> None:
        """Baseline audit trail ("created", as of the seed's date, reason seed_demo) for every
        worker, heir, enrollment, claim and invoice the seed wrote, so later changes have
        something to be compared with and nothing in the registry lacks a history."""
        started = time.monotonic()
        for model, first_id in first_ids.items():
            written = history_record_from(
                model,
                min_pk=first_id,
                history_type="+",
                user=None,
                reason="seed_demo",
                history_date=self.now,
            )
            table = model.history.model._meta.db_table
            self.writer.counts[table] = self.writer.counts.get(table, 0) + written
        self.writer.timings["history"] = time.monotonic() - started

    # -- program years ---------------------------------------------------------------------

    def _year(self, year: int, status: str) -> ProgramYear:
        program_year, _created = ProgramYear.objects.get_or_create(
            year=year,
            defaults={
                "budget": 0,
                "coverage_start": datetime.date(year, 1, 1),
                "coverage_end": datetime.date(year, 12, 31),
            },
        )
        if not program_year.rates.exists():
            source = (
                ProgramYear.objects.filter(rates__isnull=False)
                .exclude(pk=program_year.pk)
                .order_by("-year")
                .first()
            )
            program_year.status = ProgramYearStatus.PLANNING
            program_year.save()
            if source:
                program_year_copy_rates(program_year=program_year, source=source)
        program_year.status = status
        program_year.pu_wage_base = WageBase.UMK
        program_year.umk = DEMO_UMK
        program_year.save()
        return program_year

    def _years(self, plan: dict[str, int]):
        previous = self._year(self.year - 1, ProgramYearStatus.CLOSED)
        current = self._year(self.year, ProgramYearStatus.RUNNING)
        following = self._year(self.year + 1, ProgramYearStatus.PLANNING)
        f = self.factor
        targets = {
            previous: (scaled(ACTIVE_PU, f), scaled(ACTIVE_BPU, f)),
            current: (scaled(TARGET_PU, f), scaled(TARGET_BPU, f)),
            following: (scaled(TARGET_PU, f), scaled(TARGET_BPU, f)),
        }
        for program_year, (pu, bpu) in targets.items():
            for worker_type, target in ((WorkerType.PU, pu), (WorkerType.BPU, bpu)):
                QuotaTarget.objects.update_or_create(
                    program_year=program_year,
                    worker_type=worker_type,
                    segment=None,
                    kecamatan=None,
                    defaults={"target": target},
                )
        # Budgets are sized from the targets once the rates are known (see _size_budget).
        self.targets = targets
        return previous, current, following

    def _size_budget(self, program_year: ProgramYear, pu_monthly_average: int) -> None:
        pu, bpu = self.targets[program_year]
        bpu_rate = PremiumRate.objects.get(program_year=program_year, worker_type=WorkerType.BPU)
        exact = 12 * (bpu * monthly_premium(rate=bpu_rate) + pu * pu_monthly_average)
        need = -(-exact // MICRO)  # whole rupiah, rounded up
        # Round up to the next Rp 10 million, as an APBD line would be.
        program_year.budget = -(-need // 10_000_000) * 10_000_000
        program_year.save()

    # -- workers and heirs -----------------------------------------------------------------

    def _nik(self, district: str, birth: datetime.date, sex: str, serials: dict) -> str:
        day = birth.day + (40 if sex == "P" else 0)
        key = (district, day, birth.month, birth.year % 100)
        serial = serials.get(key, 0) + 1
        serials[key] = serial
        return f"{district}{day:02d}{birth:%m%y}{serial:04d}"

    def _write_workers(self, plan, kelurahan, segments) -> list[Person]:
        rng = self.rng
        types = [WorkerType.PU] * plan["active_pu"] + [WorkerType.BPU] * plan["active_bpu"]
        rest = self.total - len(types)
        # The 2024 expansion is almost all BPU (2,254 BPU, 72 PU): so are the newcomers.
        share_pu = (TARGET_PU - ACTIVE_PU) / (TARGET_PU - ACTIVE_PU + TARGET_BPU - ACTIVE_BPU)
        types += [WorkerType.PU if rng.random() < share_pu else WorkerType.BPU for _ in range(rest)]
        start_id = _next_id(Worker)
        prefix = self.region.nik_prefix
        neighbours = neighbour_districts(self.region)
        kinds = {k.kind for k in kelurahan}
        village_weights = (
            list(itertools.accumulate(VILLAGE_WEIGHT[k.kind] for k in kelurahan))
            if len(kinds) > 1
            else None
        )
        serials: dict = {}
        people: list[Person] = []
        reference = datetime.date(self.year, 1, 1)
        youngest = reference.toordinal() - 19 * 366
        oldest = reference.toordinal() - 63 * 365
        rows = []
        for offset, worker_type in enumerate(types):
            pk = start_id + offset
            sex = "P" if rng.random() < 0.46 else "L"
            birth = datetime.date.fromordinal(rng.randint(oldest, youngest))
            if village_weights is None:
                kel = kelurahan[rng.randrange(len(kelurahan))]
            else:
                kel = rng.choices(kelurahan, cum_weights=village_weights)[0]
            # About 4% hold a NIK from a neighbouring regency (Kota Madiun: Kabupaten Madiun
            # 35.19, Magetan 35.20).
            place = self.region.short_name
            if rng.random() < 0.04 and neighbours:
                district, place = rng.choice(neighbours)
            else:
                district = prefix + kel.code[6:8]
            nik = self._nik(district, birth, sex, serials)
            first = rng.choice(self.female if sex == "P" else self.male)
            name = f"{first} {rng.choice(self.family)}"
            is_pu = worker_type == WorkerType.PU
            seg_code = _weighted(rng, PU_SEGMENTS if is_pu else BPU_SEGMENTS, 1)[0]
            wage = rng.randrange(2_100_000, 3_600_000, 5_000) if is_pu else 1_000_000
            dtks_roll = rng.random()
            if dtks_roll < 0.45:
                dtks = ("registered", rng.choice([1, 1, 2, 2, 3, 3, 4, 5]))
            elif dtks_roll < 0.75:
                dtks = ("not_registered", None)
            else:
                dtks = ("unchecked", None)
            checked = (
                datetime.date(self.year - 1, rng.randint(1, 12), rng.randint(1, 28))
                if dtks[0] != "unchecked"
                else None
            )
            person = Person(
                id=pk,
                nik=nik,
                birth_date=birth,
                sex=sex,
                worker_type=worker_type,
                segment_id=segments[seg_code],
                kecamatan_id=kel.kecamatan_id,
                wage=wage,
                kelurahan_id=kel.pk,
                risk_class=_weighted(rng, PU_RISK, 1)[0] if is_pu else "",
            )
            people.append(person)
            rows.append(
                (
                    pk, nik, f"{prefix}{kel.code[6:8]}{rng.randrange(10**10):010d}", name,
                    place, birth, sex,
                    f"{rng.choice(STREETS)} No. {rng.randint(1, 180)}",
                    f"{rng.randint(1, 40):03d}", f"{rng.randint(1, 12):03d}", kel.pk,
                    f"+628{rng.randrange(10**9, 10**10)}", worker_type, segments[seg_code],
                    "", wage if is_pu else 1_000_000, rng.random() < 0.02, False,
                    dtks[0], dtks[1], checked, self.source if checked else "", None, "",
                    self.now, self.now, None, None,
                )
            )  # fmt: skip
        columns = [
            "id", "nik", "kk_number", "full_name", "birth_place", "birth_date", "sex",
            "address", "rt", "rw", "kelurahan_id", "phone", "worker_type", "segment_id",
            "employer_name", "monthly_income", "has_disability", "employer_covered",
            "dtks_status", "dtks_desil", "dtks_checked_on", "dtks_source", "death_date",
            "notes", "created_at", "updated_at", "created_by_id", "updated_by_id",
        ]  # fmt: skip
        self._people_rows = rows
        self._worker_columns = columns
        return people

    def _write_heirs(self, people: list[Person]) -> None:
        rng = self.rng
        pk = _next_id(Heir)
        rows = []
        for person in people:
            if rng.random() < 0.15:
                continue  # no heirs recorded: shows up as an eligibility warning
            if rng.random() < 0.75:
                sex = "L" if person.sex == "P" else "P"
                born = person.birth_date + datetime.timedelta(days=rng.randint(-1500, 1500))
                day = born.day + (40 if sex == "P" else 0)
                nik = f"{person.nik[:6]}{day:02d}{born:%m%y}{9000 + rng.randrange(999):04d}"
                name = rng.choice(self.female if sex == "P" else self.male)
                rows.append(
                    (pk, person.id, f"{name} {rng.choice(self.family)}", nik, "spouse",
                     born, "", self.now, self.now)
                )  # fmt: skip
                pk += 1
            first_child = person.birth_date.year + rng.randint(21, 32)
            for n in range(rng.choice([0, 1, 1, 2, 2, 3])):
                year = first_child + 3 * n
                if year > self.as_of.year:
                    break
                born = datetime.date(year, rng.randint(1, 12), rng.randint(1, 28))
                age = self.as_of.year - year
                level = (
                    "belum_sekolah" if age < 4 else "tk" if age < 7 else "sd" if age < 13
                    else "smp" if age < 16 else "sma" if age < 19 else "pt" if age < 23
                    else "tidak_sekolah"
                )  # fmt: skip
                name = f"{rng.choice(self.male + self.female)} {rng.choice(self.family)}"
                rows.append((pk, person.id, name, "", "child", born, level, self.now, self.now))
                pk += 1
        columns = [
            "id", "worker_id", "name", "nik", "relationship", "birth_date", "school_level",
            "created_at", "updated_at",
        ]  # fmt: skip
        self._heir_rows = rows
        self._heir_columns = columns

    # -- enrollments -------------------------------------------------------------------------

    def _write_enrollments(self, plan, people, previous, current, report) -> None:
        rng = self.rng
        rates = {
            y.pk: {(r.worker_type, r.risk_class): r for r in y.rates.all()}
            for y in (previous, current)
        }

        def monthly(year: ProgramYear, person: Person) -> int:
            key = (person.worker_type, person.risk_class)
            wage_sen = 0
            if person.worker_type == WorkerType.PU:
                wage_sen = wage_base_sen(program_year=year, declared_wage=person.wage)
            return monthly_premium(rate=rates[year.pk][key], wage_sen=wage_sen)

        pu_monthly = [monthly(current, p) for p in people if p.worker_type == WorkerType.PU]
        average = sum(pu_monthly) // len(pu_monthly) if pu_monthly else 0
        self._size_budget(previous, average)
        self._size_budget(current, average)
        following = ProgramYear.objects.get(year=self.year + 1)
        if following.rates.exists():
            self._size_budget(following, average)

        active = [p for p in people[: plan["active_pu"] + plan["active_bpu"]]]
        cursor = len(active)
        left = people[cursor : cursor + plan["left"]]
        cursor += plan["left"]
        pipeline = {}
        for key in PIPELINE:
            pipeline[key] = people[cursor : cursor + plan[f"pipeline_{key}"]]
            cursor += plan[f"pipeline_{key}"]
        previous_only = people[cursor : cursor + plan["previous_only"]]

        enrollment_pk = first_enrollment_pk = _next_id(Enrollment)
        claim_pk = _next_id(Claim)
        rows, claims = [], []
        previous_ids: dict[int, int] = {}
        covered: list[tuple[int, Person, int, datetime.date, datetime.date]] = []
        counts: dict[int, dict[str, int]] = {previous.year: {}, current.year: {}}

        def add(year, person, status, *, start, end, reason="", renewed=None, claim=None):
            nonlocal enrollment_pk, claim_pk
            pk = enrollment_pk
            enrollment_pk += 1
            priced = status not in ("diusulkan", "ditolak")
            premium = monthly(year, person) if priced else None
            had_cover = status in ("aktif", "berakhir") or (status == "dihentikan")
            cost = premium * months_in_year(start, end, year.year) if had_cover else 0
            if status in ("diverifikasi", "didaftarkan"):
                cost = premium * months_in_year(start, end, year.year)
            kpj = f"{24_000_000_000 + person.id:011d}" if had_cover else ""
            changed = (
                self.now
                if year == current
                else timezone.make_aware(datetime.datetime(year.year, 1, 2, 9))
            )
            rows.append(
                (pk, person.id, year.pk, person.worker_type, person.risk_class,
                 person.wage if person.worker_type == WorkerType.PU else 0, status,
                 None if premium is None else round_rupiah(premium), premium,
                 round_rupiah(cost), cost, start, end, kpj, reason, "seed_demo", changed, False,
                 "", None, renewed, changed, None, person.segment_id, person.kelurahan_id)
            )  # fmt: skip
            counts[year.year][status] = counts[year.year].get(status, 0) + 1
            if had_cover:
                covered.append((pk, person, premium, start, end))
            if claim:
                claims.append((claim_pk, pk, *claim, self.now, None))
                claim_pk += 1
            return pk

        def year_dates(year):
            return datetime.date(year.year, 1, 1), datetime.date(year.year, 12, 31)

        prev_start, prev_end = year_dates(previous)
        cur_start, cur_end = year_dates(current)
        # Last year: most of this year's participants (renewed), those who left this year,
        # and some who left last year.
        left_ids = {p.id for p in left}
        for person in active + left:
            if person.id in left_ids or rng.random() < RENEWED_SHARE:
                previous_ids[person.id] = add(
                    previous, person, "berakhir", start=prev_start, end=prev_end
                )
        for person in previous_only:
            reason = _weighted(rng, LEFT_REASONS, 1)[0]
            end = datetime.date(previous.year, rng.randint(2, 12), rng.randint(1, 28))
            claim = None
            if reason == "meninggal":
                person.death_date = end
                claim = ("jkm", end, True, "dibayar", 42_000_000, "")
            add(previous, person, "dihentikan", start=prev_start, end=end, reason=reason,
                claim=claim)  # fmt: skip
        # This year.
        for person in active:
            claim = None
            if rng.random() < 0.004:
                day = datetime.date(self.year, rng.randint(1, 4), rng.randint(1, 28))
                claim = (
                    "jkk",
                    day,
                    False,
                    "dibayar",
                    rng.randrange(500_000, 15_000_000, 50_000),
                    "",
                )
            add(current, person, "aktif", start=cur_start, end=cur_end,
                renewed=previous_ids.get(person.id), claim=claim)  # fmt: skip
        for person in left:
            reason = _weighted(rng, LEFT_REASONS, 1)[0]
            end = datetime.date(self.year, rng.randint(1, 4), rng.randint(1, 28))
            claim = None
            if reason == "meninggal":
                person.death_date = end
                claim = ("jkm", end, True, "diajukan", 42_000_000, "")
            add(current, person, "dihentikan", start=cur_start, end=end, reason=reason,
                renewed=previous_ids.get(person.id), claim=claim)  # fmt: skip
        expansion_start = datetime.date(self.year, 6, 1)
        for status, group in pipeline.items():
            for person in group:
                add(current, person, status, start=expansion_start, end=cur_end)

        # Write in dependency order; deaths go into the worker rows first.
        deaths = {p.id: p.death_date for p in people if p.death_date}
        worker_rows = (
            row if row[0] not in deaths else (*row[:22], deaths[row[0]], *row[23:])
            for row in self._people_rows
        )
        self.writer.write(Worker, self._worker_columns, worker_rows)
        self.writer.write(Heir, self._heir_columns, self._heir_rows)
        # Renewed enrollments point at last year's rows: last year's rows come first.
        rows.sort(key=lambda r: r[0])
        self.writer.write(
            Enrollment,
            [
                "id", "worker_id", "program_year_id", "worker_type", "risk_class",
                "declared_wage", "status", "monthly_premium", "monthly_premium_micro",
                "committed_amount", "committed_micro", "coverage_start", "coverage_end",
                "kpj_number", "termination_reason", "status_note", "status_changed_at",
                "quota_override", "quota_override_reason", "quota_override_by_id",
                "renewed_from_id", "created_at", "created_by_id", "segment_id", "kelurahan_id",
            ],
            rows,
        )  # fmt: skip
        # One history entry per seeded enrollment, written by the database from the rows
        # just loaded (no need to send 2 million rows through Python).
        table = connection.ops.quote_name(EnrollmentEvent._meta.db_table)
        source = connection.ops.quote_name(Enrollment._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (enrollment_id, from_status, to_status, at, reason) "
                f"SELECT id, '', status, status_changed_at, 'seed_demo' FROM {source} "
                "WHERE id >= %s ORDER BY id",
                [first_enrollment_pk],
            )
            self.writer.counts[EnrollmentEvent._meta.db_table] = cursor.rowcount
        self.writer.write(
            Claim,
            [
                "id", "enrollment_id", "claim_type", "event_date", "fatal", "status",
                "benefit_amount", "notes", "created_at", "created_by_id",
            ],
            claims,
        )  # fmt: skip
        self._write_invoices(previous, current, covered)
        report.year_counts = counts

    def _write_invoices(self, previous, current, covered) -> None:
        """Monthly BPJS bills: all of last year (paid), this year up to the as-of month (paid
        except the latest). The latest bill lists its participants, with a few differences
        (a terminated participant still billed, a covered one missing) for reconciliation."""
        rng = self.rng
        totals: dict[tuple[int, int], list[int]] = {}
        for _epk, _person, premium, start, end in covered:
            for month in range(start.month, end.month + 1):
                entry = totals.setdefault((start.year, month), [0, 0])
                entry[0] += 1
                entry[1] += premium
        invoices = []
        pk = _next_id(PremiumInvoice)
        latest_pk = None
        last_month = self.as_of.month - 1
        for year, months in ((previous, range(1, 13)), (current, range(1, last_month + 1))):
            for month in months:
                count, exact = totals.get((year.year, month), (0, 0))
                amount = round_rupiah(exact)  # BPJS rounds the bill's total
                paid = year == previous or month < last_month
                paid_on = (
                    datetime.date(year.year + (month == 12), month % 12 + 1, 10) if paid else None
                )
                invoices.append(
                    (pk, year.pk, month, count, amount, f"INV/{year.year}/{month:02d}",
                     paid_on, self.now)
                )  # fmt: skip
                latest_pk = pk
                pk += 1
        self.writer.write(
            PremiumInvoice,
            ["id", "program_year_id", "month", "participants_billed", "amount", "reference",
             "paid_on", "created_at"],
            invoices,
        )  # fmt: skip
        if latest_pk is None or last_month < 1:
            return
        first = datetime.date(current.year, last_month, 1)
        line_pk = _next_id(InvoiceLine)
        lines = []
        for epk, person, premium, start, end in covered:
            if start.year != current.year:
                continue
            billed = start <= first.replace(day=28) and end >= first
            # BPJS sometimes bills someone whose cover was stopped, or misses someone.
            if billed and rng.random() < 0.001:
                continue
            if not billed and not rng.random() < 0.05:
                continue
            lines.append(
                (line_pk, latest_pk, person.nik, f"{24_000_000_000 + person.id:011d}",
                 round_rupiah(premium), epk)
            )  # fmt: skip
            line_pk += 1
        self.writer.write(
            InvoiceLine,
            ["id", "invoice_id", "nik", "kpj_number", "amount", "enrollment_id"],
            lines,
        )
