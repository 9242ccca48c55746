"""Spreadsheet import and export of workers (django-import-export + Siaga's importer engine).

``WorkerImporter`` declares the columns of a candidate list and how a row becomes a worker
(and an heir); the generic reading, header matching, staging and audit live in ``importer``.
Validation runs in memory against prefetched lookups (kelurahan, segments, existing workers by
NIK in chunks of one query each) and the write is a handful of bulk statements.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Iterator
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from import_export import fields, resources
from import_export.results import Error, Result, RowResult

from accounts.scoping import out_of_scope_reason, user_scope
from importer.bulk import filter_in, insert_rows
from importer.columns import Column, ColumnSpec, Layout, Record
from importer.engine import (
    CONFLICT,
    INVALID,
    NEW,
    UNCHANGED,
    UPDATED,
    PlannedRow,
    SpreadsheetImporter,
    invalid_row,
    shown,
)
from importer.errors import CellError, FileRejected
from importer.exports import safe_cell
from importer.parsers import (
    choice_parser,
    parse_birth_date,
    parse_date,
    parse_kk,
    parse_nik,
    parse_phone,
    parse_rt_rw,
    parse_rupiah,
    safe_text_parser,
    text_parser,
)
from importer.reading import sheet_from_rows
from participants.privacy import mask_identity_number
from siaga.formatting import rupiah

from . import regions
from .models import (
    Heir,
    Kelurahan,
    Relationship,
    Segment,
    Sex,
    Worker,
    WorkerType,
    city_district_codes,
    region_nik_prefix,
)
from .services import history_record_bulk, workers_departed
from .validators import FEMALE_DAY_OFFSET, nik_district_warning, nik_warnings

TEMPLATE_SHEET = "Data Pekerja"

SEX_LABELS = {
    "L": Sex.MALE, "Laki-laki": Sex.MALE, "Laki": Sex.MALE, "Lk": Sex.MALE, "Pria": Sex.MALE,
    "P": Sex.FEMALE, "Perempuan": Sex.FEMALE, "Pr": Sex.FEMALE, "Wanita": Sex.FEMALE,
}  # fmt: skip
WORKER_TYPE_LABELS = {
    "PU": WorkerType.PU, "Penerima Upah": WorkerType.PU,
    "BPU": WorkerType.BPU, "Bukan Penerima Upah": WorkerType.BPU, "Non PU": WorkerType.BPU,
}  # fmt: skip
RELATIONSHIP_LABELS = {
    "Suami": Relationship.SPOUSE, "Istri": Relationship.SPOUSE, "Isteri": Relationship.SPOUSE,
    "Pasangan": Relationship.SPOUSE, "Suami/Istri": Relationship.SPOUSE,
    "Anak": Relationship.CHILD, "Anak Kandung": Relationship.CHILD,
    "Anak Angkat": Relationship.CHILD, "Anak Tiri": Relationship.CHILD,
    "Ayah": Relationship.PARENT, "Bapak": Relationship.PARENT, "Ibu": Relationship.PARENT,
    "Orang Tua": Relationship.PARENT, "Orangtua": Relationship.PARENT,
    "Saudara": Relationship.SIBLING, "Saudara Kandung": Relationship.SIBLING,
    "Kakak": Relationship.SIBLING, "Adik": Relationship.SIBLING,
    "Lainnya": Relationship.OTHER, "Lain-lain": Relationship.OTHER,
}  # fmt: skip


def parse_death_date(value: Any) -> Any:
    """A date of death (yearly updates mark deaths): a date, not in the future."""
    day = parse_date(value)
    if day > timezone.localdate():
        raise CellError(
            _("Date of death %(date)s is in the future.") % {"date": day.strftime("%d-%m-%Y")},
            code="death_date_future",
        )
    return day


WORKER_COLUMNS = ColumnSpec(
    [
        Column("nik", "NIK", ("No KTP", "Nomor KTP", "Nomor Induk Kependudukan", "No NIK"),
               required=True, parser=parse_nik),
        Column("full_name", "Nama", ("Nama Lengkap", "Nama Peserta", "Nama Pekerja"),
               required=True, parser=safe_text_parser(150)),
        Column("birth_place", "Tempat Lahir", parser=safe_text_parser(100)),
        Column("birth_date", "Tanggal Lahir", ("Tgl Lahir", "Tgl. Lahir", "Tanggal Lahir Peserta"),
               required=True, parser=parse_birth_date),
        Column("sex", "Jenis Kelamin", ("L/P", "JK"), required=True,
               parser=choice_parser(SEX_LABELS, code="sex_invalid", expected=["L", "P"])),
        Column("address", "Alamat", ("Alamat Lengkap",), parser=safe_text_parser(255)),
        Column("rt", "RT", parser=parse_rt_rw),
        Column("rw", "RW", parser=parse_rt_rw),
        Column("kelurahan", "Kelurahan", ("Desa/Kelurahan", "Kel", "Desa"), required=True,
               parser=text_parser(100)),
        Column("kecamatan", "Kecamatan", ("Kec",), parser=text_parser(100)),
        Column("phone", "No HP", ("No. Telp", "No Telp", "Telepon", "HP", "No Telepon",
                                  "Nomor HP", "No WA", "No HP/WA"), parser=parse_phone),
        Column("worker_type", "Jenis Pekerja", ("Status Pekerja",), required=True,
               parser=choice_parser(WORKER_TYPE_LABELS, code="worker_type_invalid",
                                    expected=["PU", "BPU"])),
        Column("segment", "Kategori", ("Segmen", "Pekerjaan", "Segmen Pekerja"), required=True,
               parser=text_parser(100)),
        Column("employer_name", "Nama Kelompok/Pemberi Kerja",
               ("Nama Kelompok", "Kelompok", "Pemberi Kerja", "Nama Perusahaan"),
               parser=safe_text_parser(150)),
        Column("monthly_income", "Penghasilan", ("Penghasilan per Bulan", "Pendapatan"),
               parser=parse_rupiah),
        Column("kk_number", "No KK", ("Nomor KK", "No Kartu Keluarga", "No. KK"),
               parser=parse_kk),
        Column("heir_name", "Nama Ahli Waris", parser=safe_text_parser(150)),
        Column("heir_relationship", "Hubungan Ahli Waris",
               parser=choice_parser(RELATIONSHIP_LABELS, code="relationship_invalid",
                                    expected=["Suami", "Istri", "Anak", "Ayah", "Ibu",
                                              "Saudara", "Lainnya"])),
        Column("heir_birth_date", "Tgl Lahir Ahli Waris", ("Tanggal Lahir Ahli Waris",),
               parser=parse_birth_date),
        Column("heir_nik", "NIK Ahli Waris", parser=parse_nik),
        # A death recorded in a (yearly) update ends the worker's cover after the write.
        Column("death_date", "Tanggal Meninggal", ("Tgl Meninggal", "Tanggal Wafat"),
               parser=parse_death_date),
    ]
)  # fmt: skip

# Fields copied straight onto Worker; kelurahan/segment are looked up, heirs are separate rows.
WORKER_FIELDS = (
    "nik", "full_name", "birth_place", "birth_date", "sex", "address", "rt", "rw", "phone",
    "worker_type", "employer_name", "monthly_income", "kk_number", "death_date",
)  # fmt: skip
HEIR_FIELDS = ("heir_name", "heir_relationship", "heir_birth_date", "heir_nik")
COMPARED_FIELDS = (*WORKER_FIELDS, "kelurahan_id", "segment_id")
IMPORT_TYPES = {
    NEW: RowResult.IMPORT_TYPE_NEW,
    UPDATED: RowResult.IMPORT_TYPE_UPDATE,
    UNCHANGED: RowResult.IMPORT_TYPE_SKIP,
    INVALID: RowResult.IMPORT_TYPE_INVALID,
    # Never written through the Resource API: nobody can accept the row there.
    CONFLICT: RowResult.IMPORT_TYPE_INVALID,
}
# The order the preview shows a row's fields in (new rows: all given; updates: the changed).
PREVIEW_FIELDS = (
    "full_name", "birth_place", "birth_date", "sex", "address", "rt", "rw", "kelurahan_id",
    "phone", "worker_type", "segment_id", "employer_name", "monthly_income", "kk_number",
    "heir",
)  # fmt: skip
# Key of an identity conflict's ``changes`` holding the registered record it would replace.
REGISTERED = "registered"


_NAME_JUNK = re.compile(r"[\W_]+")


def same_name(first: str, second: str) -> bool:
    """Names match ignoring case, spacing and punctuation ("BUDI  SANTOSO" = "Budi Santoso")."""
    return _NAME_JUNK.sub("", first.casefold()) == _NAME_JUNK.sub("", second.casefold())


@functools.lru_cache(maxsize=4096)
def name_key(text: str) -> str:
    """Place/segment names match ignoring case, spaces, dashes, dots and a "Kel." prefix."""
    text = re.sub(r"^\s*(kelurahan|kel\.|desa)\s+", "", text.lower())
    return re.sub(r"[\s\-._'’]+", "", text)


def _lookup(objects: Any) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for obj in objects:
        names = [obj.name, getattr(obj, "code", ""), *obj.aliases.splitlines()]
        for name in names:
            if name.strip():
                table.setdefault(name_key(name), obj)
    return table


# Generic spelling variants of place names in hand-typed lists: reduplication written "2"
# ("Oro2 Ombo"), the pre-1972 spelling (oe/dj/tj/nj/sj/ch) and doubled letters
# ("Banjarrejo" for Banjarejo). Spaces, dashes and case are already ignored by name_key.
_OLD_SPELLING = (("oe", "u"), ("dj", "j"), ("tj", "c"), ("nj", "ny"), ("sj", "sy"), ("ch", "kh"))


@functools.lru_cache(maxsize=8192)
def loose_key(text: str) -> str:
    """A place name in a spelling-neutral form, for names that name_key does not match."""
    text = re.sub(r"^\s*(ds\.?|desa|kel\.?|kelurahan)\s+", "", text.lower())
    text = re.sub(r"([a-z]+)[\s\-]*2", r"\1\1", text)
    text = name_key(text)
    for old, new in _OLD_SPELLING:
        text = text.replace(old, new)
    return re.sub(r"(.)\1+", r"\1", text)


class VillageLookup:
    """Villages by name, code, staff-entered variant or generic variant. Names repeat within
    a kabupaten: ``find`` returns every candidate, and the kecamatan typed picks one."""

    def __init__(self, villages: Iterable[Any]):
        self.exact: dict[str, list[Any]] = {}
        self.loose: dict[str, list[Any]] = {}
        for village in villages:
            for name in [village.name, village.code, *village.aliases.splitlines()]:
                if name.strip():
                    self._add(self.exact, name_key(name), village)
                    self._add(self.loose, loose_key(name), village)

    @staticmethod
    def _add(table: dict[str, list[Any]], key: str, village: Any) -> None:
        found = table.setdefault(key, [])
        if village not in found:
            found.append(village)

    def values(self) -> list[Any]:
        return list({v.pk: v for found in self.exact.values() for v in found}.values())

    def find(self, text: str) -> list[Any]:
        return self.exact.get(name_key(text)) or self.loose.get(loose_key(text)) or []


def conflict_message(row: PlannedRow) -> str:
    """Why an identity-conflict row is held back, naming the record it would replace."""
    old_name, new_name = row.changes["full_name"]
    old_born, new_born = row.changes["birth_date"]
    return _(
        "Identity conflict: this NIK belongs to %(old_name)s (born %(old_born)s), not "
        "%(new_name)s (born %(new_born)s). The row is written only if accepted one by one."
    ) % {"old_name": old_name, "old_born": old_born, "new_name": new_name, "new_born": new_born}


def _deduplicating() -> bool:
    """Whether the duplicates app is installed (it flags possible duplicates at import)."""
    from django.apps import apps

    return apps.is_installed("dedup")


def _merging() -> bool:
    """Whether the duplicates app (and its NIK aliases) is installed."""
    return any(rel.get_accessor_name() == "aliases" for rel in Worker._meta.related_objects)


class WorkerImporter(SpreadsheetImporter):
    kind = "workers"
    title = gettext_lazy("worker candidate list")
    spec = WORKER_COLUMNS
    preferred_sheet = TEMPLATE_SHEET
    permission = "importer.import_workers"

    def __init__(self, scope_user_id: int | None = None, *, check_duplicates: bool = True) -> None:
        # A user limited to an area or group (accounts/scoping.py) imports only rows inside
        # it; kept in the job's options so a background run applies the same scope.
        self.scope_user_id = scope_user_id
        # Flag rows that may be the same person as another row or a worker (dedup.importing).
        # Off only for measuring its cost (benchmarks/bench_import.py --dedup off).
        self.check_duplicates = check_duplicates

    def options(self) -> dict[str, Any]:
        options: dict[str, Any] = {}
        if self.scope_user_id:
            options["scope_user_id"] = self.scope_user_id
        if not self.check_duplicates:
            options["check_duplicates"] = False
        return options

    # --- planning: everything in memory, one query per chunk of NIKs ---------------------
    def plan_rows(self, layout: Layout, records: Iterator[Record]) -> list[PlannedRow]:
        records = list(records)
        self._scope_user = (
            get_user_model().objects.filter(pk=self.scope_user_id).first()
            if self.scope_user_id
            else None
        )
        kelurahan = VillageLookup(Kelurahan.objects.select_related("kecamatan"))
        segments = _lookup(Segment.objects.all())
        self._names = {
            "kelurahan_id": {k.pk: k.name for k in kelurahan.values()},
            "segment_id": {s.pk: s.name for s in segments.values()},
        }
        self._districts = city_district_codes()
        existing = self._existing_workers(records)
        self._merged = self._merged_niks(records, existing)
        has_heirs = any(f in layout.positions for f in HEIR_FIELDS)
        heirs = self._existing_heirs([w["id"] for w in existing.values()]) if has_heirs else {}
        first_row: dict[str, int] = {}
        planned = []
        for record in records:
            self._check_references(record, layout, kelurahan, segments)
            self._check_scope(record, layout, existing)
            self._check_death(record, layout)
            self._check_duplicate(record, layout, first_row)
            heir = self._heir(record, layout) if has_heirs else None
            if record.errors:
                planned.append(invalid_row(record))
                continue
            row = self._classify(record, existing, heirs, heir)
            if row.status != UNCHANGED:
                row.warnings = self._warnings(record.values)
            planned.append(row)
        if self.check_duplicates and _deduplicating():
            self._flag_duplicates(planned, records, existing)
        return planned

    def _flag_duplicates(
        self, planned: list[PlannedRow], records: list[Record], existing: dict[str, Any]
    ) -> None:
        """Rows that will be written and may be the same person as another such row or a
        worker get ``duplicates`` (never merged; the preview shows them)."""
        from dedup.importing import check_rows, no_cyclic_gc
        from dedup.matching import Person

        written = {r.row: r for r in planned if r.status in (NEW, UPDATED, CONFLICT)}
        people = []
        with no_cyclic_gc():
            for record in records:
                if record.row not in written:
                    continue
                # What the registry will hold: an empty cell keeps the registered value.
                values = {**existing.get(record.values["nik"], {}), **record.values}
                person = Person(
                    nik=values["nik"],
                    full_name=values.get("full_name") or "",
                    birth_date=values.get("birth_date"),
                    kk_number=values.get("kk_number") or "",
                    phone=values.get("phone") or "",
                    kelurahan_id=values.get("kelurahan_id"),
                    address=values.get("address") or "",
                )
                people.append((record.row, person))
            for number, flags in check_rows(people).items():
                written[number].duplicates = [f.as_dict() for f in flags]

    def _warnings(self, values: dict[str, Any]) -> list[str]:
        """What staff should check but that does not block the row: a birth date or sex the
        NIK's digits disagree with, a NIK of the region naming a kecamatan the region lacks."""
        nik = values["nik"]
        born, sex = values.get("birth_date"), values.get("sex")
        found = []
        # The NIK was validated by its parser: compare its digits directly and build the
        # messages only on a mismatch (this runs for every row of 100,000-row files).
        day = int(nik[6:8])
        nik_sex = "P" if day > FEMALE_DAY_OFFSET else "L"
        if (sex and sex != nik_sex) or (
            born
            and (
                born.day != day - (FEMALE_DAY_OFFSET if nik_sex == "P" else 0)
                or born.month != int(nik[8:10])
                or born.year % 100 != int(nik[10:12])
            )
        ):
            found = [str(w) for w in nik_warnings(nik, birth_date=born, sex=sex)]
        city = region_nik_prefix()
        if nik.startswith(city) and nik[4:6] not in self._districts:
            district = nik_district_warning(nik, city, self._districts)
            if district:
                found.append(str(district))
        return found

    def _existing_workers(self, records: list[Record]) -> dict[str, dict[str, Any]]:
        niks = [r.values["nik"] for r in records if "nik" in r.values]
        found: dict[str, dict[str, Any]] = {}
        for queryset in filter_in(Worker.objects.all(), "nik", niks):
            for row in queryset.values("id", *COMPARED_FIELDS):
                found[row["nik"]] = row
        return found

    def _existing_heirs(self, worker_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
        found: dict[int, list[dict[str, Any]]] = {}
        for queryset in filter_in(Heir.objects.all(), "worker_id", worker_ids):
            for heir in queryset.values("worker_id", "name", "nik", "birth_date", "relationship"):
                found.setdefault(heir["worker_id"], []).append(heir)
        return found

    def _check_references(
        self, record: Record, layout: Layout, kelurahan: dict, segments: dict
    ) -> None:
        values = record.values
        if "kelurahan" in values:
            found = kelurahan.find(values["kelurahan"])
            header = layout.header_of("kelurahan")
            typed = values.get("kecamatan")
            if typed and len(found) > 1:
                found = [
                    v
                    for v in found
                    if name_key(typed) in (name_key(v.kecamatan.name), name_key(v.kecamatan.code))
                ] or found
            match = found[0] if len(found) == 1 else None
            if not found:
                record.add_error(
                    header,
                    "kelurahan_unknown",
                    _("Kelurahan/desa %(value)s is not in %(area)s.")
                    % {"value": values["kelurahan"], "area": regions.current().name},
                )
            elif match is None:
                record.add_error(
                    header,
                    "kelurahan_ambiguous",
                    _(
                        "There are several villages named %(value)s (%(places)s); fill in the "
                        "Kecamatan column or write the village code."
                    )
                    % {
                        "value": values["kelurahan"],
                        "places": "; ".join(
                            f"{v.code} {v.name}, Kec. {v.kecamatan.name}" for v in found
                        ),
                    },
                )
            else:
                values["kelurahan_id"] = match.pk
                if typed and name_key(typed) not in (
                    name_key(match.kecamatan.name),
                    name_key(match.kecamatan.code),
                ):
                    record.add_error(
                        layout.header_of("kecamatan"),
                        "kecamatan_mismatch",
                        _("Kelurahan %(kelurahan)s is in kecamatan %(right)s, not %(typed)s.")
                        % {"kelurahan": match.name, "right": match.kecamatan.name, "typed": typed},
                    )
        if "segment" in values:
            match = segments.get(name_key(values["segment"]))
            if match is None:
                record.add_error(
                    layout.header_of("segment"),
                    "segment_unknown",
                    _("Category %(value)s is not known; use a segment name such as %(examples)s.")
                    % {"value": values["segment"], "examples": "PKL, Ojol, PKK"},
                )
            else:
                values["segment_id"] = match.pk

    def _check_scope(self, record: Record, layout: Layout, existing: dict) -> None:
        """A scoped user's row must place the worker inside their area/group, and may not
        touch a worker registered outside it (nor show that worker's data in the preview)."""
        user = self._scope_user
        if user is None or record.errors:
            return
        values = record.values
        current = existing.get(values.get("nik"))
        if current is not None:
            reason = out_of_scope_reason(
                user, kelurahan_id=current["kelurahan_id"], segment_id=current["segment_id"]
            )
            if reason:
                record.add_error(
                    layout.header_of("nik"),
                    "nik_outside_scope",
                    _(
                        "This NIK is already registered for a worker outside your area or "
                        "group; ask Disnaker to move the worker. %(reason)s"
                    )
                    % {"reason": reason},
                )
                return
        kelurahan_id = values.get("kelurahan_id", current and current["kelurahan_id"])
        segment_id = values.get("segment_id", current and current["segment_id"])
        reason = out_of_scope_reason(user, kelurahan_id=kelurahan_id, segment_id=segment_id)
        if reason:
            scope = user_scope(user)
            in_area = scope.kelurahan_ids is None or kelurahan_id in scope.kelurahan_ids
            field = "segment" if in_area else "kelurahan"
            record.add_error(
                layout.header_of(field) if field in layout.positions else field.title(),
                "outside_scope",
                reason,
            )

    def _check_death(self, record: Record, layout: Layout) -> None:
        death, birth = record.values.get("death_date"), record.values.get("birth_date")
        if death and birth and death < birth:
            record.add_error(
                layout.header_of("death_date"),
                "death_before_birth",
                _("Date of death is before the date of birth."),
            )

    def _merged_niks(self, records: list[Record], existing: dict[str, Any]) -> dict[str, str]:
        """NIKs of records merged into another worker (dedup's aliases): alias → kept NIK."""
        unknown = [r.values.get("nik") for r in records if r.values.get("nik") not in existing]
        aliases = Worker._meta.get_field("aliases").related_model if _merging() else None
        if aliases is None or not unknown:
            return {}
        found = {}
        for queryset in filter_in(aliases.objects.all(), "nik", [n for n in unknown if n]):
            found.update(dict(queryset.values_list("nik", "worker__nik")))
        return found

    def _check_duplicate(self, record: Record, layout: Layout, first_row: dict[str, int]) -> None:
        nik = record.values.get("nik")
        if not nik:
            return
        kept = getattr(self, "_merged", {}).get(nik)
        if kept:
            record.add_error(
                layout.header_of("nik"),
                "nik_merged",
                _(
                    "NIK %(nik)s belongs to a record merged into the worker with NIK %(kept)s "
                    "(a duplicate); write this row with that NIK, or ask the verifier to undo "
                    "the merge."
                )
                % {"nik": nik, "kept": kept},
            )
        if nik in first_row:
            record.add_error(
                layout.header_of("nik"),
                "duplicate_in_file",
                _("NIK %(nik)s already appears in row %(row)d of this file.")
                % {"nik": nik, "row": first_row[nik]},
            )
        else:
            first_row[nik] = record.row

    def _heir(self, record: Record, layout: Layout) -> dict[str, Any] | None:
        values = record.values
        given = [f for f in HEIR_FIELDS if f in values]
        if not given:
            return None
        if not all(f in layout.positions for f in ("heir_name", "heir_relationship")):
            record.add_error(
                "",
                "heir_incomplete",
                _("An heir needs both Nama Ahli Waris and Hubungan Ahli Waris columns."),
            )
        else:
            refused = {e.column for e in record.errors}
            for required in ("heir_name", "heir_relationship"):
                header = layout.header_of(required)
                # A cell its parser refused (too long, a formula) is filled in: say that once.
                if required not in values and header not in refused:
                    record.add_error(
                        header,
                        "heir_incomplete",
                        _("%(column)s must be filled in.") % {"column": header},
                    )
        nik = values.get("heir_nik", "")
        if nik and nik == values.get("nik"):
            record.add_error(
                layout.header_of("heir_nik"),
                "heir_own_nik",
                _("An heir cannot have the worker's own NIK."),
            )
        return {
            "name": values.get("heir_name", ""),
            "relationship": values.get("heir_relationship", ""),
            "birth_date": values.get("heir_birth_date"),
            "nik": nik,
        }

    def _classify(
        self,
        record: Record,
        existing: dict[str, dict[str, Any]],
        heirs: dict[int, list[dict[str, Any]]],
        heir: dict[str, Any] | None,
    ) -> PlannedRow:
        values = record.values
        data = {f: values[f] for f in COMPARED_FIELDS if f in values}
        current = existing.get(values["nik"])
        if current is None:
            if heir:
                data["heir"] = heir
            return PlannedRow(record.row, NEW, values["nik"], data=data)
        # An empty cell never erases what the registry already holds.
        changes = {
            f: [self._shown(f, current[f]), self._shown(f, v)]
            for f, v in data.items()
            if current[f] != v
        }
        update = {f: data[f] for f in changes}
        known = heirs.get(current["id"], [])
        if heir and not self._heir_known(heir, known):
            update["heir"] = heir
            before = ", ".join(self._heir_text(h) for h in known) or None
            after = ", ".join(self._heir_text(h) for h in [*known, heir])
            changes["heir"] = [before, after]
        if not update:
            return PlannedRow(record.row, UNCHANGED, values["nik"])
        update["id"] = current["id"]
        status = UPDATED
        if (
            "full_name" in changes
            and "birth_date" in changes
            and not same_name(current["full_name"], data["full_name"])
        ):
            # Same NIK, another name and another birth date: most likely another person (a
            # mistyped NIK), so never an ordinary update. Shown apart, written only if ticked.
            status = CONFLICT
            changes[REGISTERED] = self._registered_summary(current)
        return PlannedRow(record.row, status, values["nik"], data=update, changes=changes)

    def _registered_summary(self, current: dict[str, Any]) -> str:
        """The registered person a conflicting row would overwrite, in one line."""
        parts = [
            current["full_name"],
            shown(current["birth_date"]),
            self._shown("kelurahan_id", current["kelurahan_id"]),
            self._shown("segment_id", current["segment_id"]),
            current["phone"],
        ]
        return ", ".join(str(p) for p in parts if p)

    def _shown(self, field: str, value: Any) -> Any:
        """A value as the preview shows it: names for kelurahan/segment, rupiah, dates."""
        if value is None or value == "":
            return None
        if field in self._names:
            return self._names[field].get(value, value)
        if field == "monthly_income":
            return rupiah(value)
        return shown(value)

    @staticmethod
    def _heir_text(heir: dict[str, Any]) -> str:
        parts = [heir["name"]]
        relationship = heir.get("relationship")
        if relationship:
            parts.append(str(Relationship(relationship).label))
        if heir.get("birth_date"):
            parts.append(shown(heir["birth_date"]))
        return f"{parts[0]} ({', '.join(parts[1:])})" if len(parts) > 1 else parts[0]

    # --- the preview ---------------------------------------------------------------------
    def preview_changes(self, planned: PlannedRow) -> list[tuple[str, Any, Any]] | None:
        """Every given field of a new row (kelurahan, segment and heir included) and old →
        new of every changed field of an update or identity conflict."""
        labels = {c.field: c.label for c in self.spec.columns}
        labels.update(
            kelurahan_id=labels["kelurahan"], segment_id=labels["segment"], heir=_("Heir")
        )
        if planned.status == NEW:
            if not hasattr(self, "_names"):
                self._names = {
                    "kelurahan_id": dict(Kelurahan.objects.values_list("pk", "name")),
                    "segment_id": dict(Segment.objects.values_list("pk", "name")),
                }
            data = planned.data
            shown_values = {
                f: self._heir_text(v) if f == "heir" else self._shown(f, v) for f, v in data.items()
            }
            return [
                (labels[f], None, shown_values[f])
                for f in PREVIEW_FIELDS
                if shown_values.get(f) is not None
            ]
        if planned.status in (UPDATED, CONFLICT):
            return [
                (labels.get(f, f), *planned.changes[f])
                for f in PREVIEW_FIELDS
                if f in planned.changes
            ]
        return []

    @staticmethod
    def _heir_known(heir: dict[str, Any], known: list[dict[str, Any]]) -> bool:
        for other in known:
            if heir["nik"] and other["nik"] == heir["nik"]:
                return True
            if other["name"].casefold() == heir["name"].casefold() and (
                other["birth_date"] == heir["birth_date"] or not heir["birth_date"]
            ):
                return True
        return False

    # --- writing: bulk statements inside the caller's transaction -------------------------
    def write(self, rows: list[PlannedRow], *, user: Any) -> dict[str, int]:
        now = timezone.now()
        user_id = getattr(user, "pk", None)
        new_workers: list[dict[str, Any]] = []
        heirs_by_nik: dict[str, dict[str, Any]] = {}
        heirs: list[dict[str, Any]] = []
        updates: dict[tuple[str, ...], list[Worker]] = {}
        for planned in rows:
            data = dict(planned.data)
            heir = data.pop("heir", None)
            if planned.status == NEW:
                data["created_by_id"] = data["updated_by_id"] = user_id
                new_workers.append(data)
                if heir:
                    heirs_by_nik[planned.key] = heir
            elif planned.status == UPDATED:
                worker_id = data.pop("id")
                if data:
                    fields_changed = tuple(sorted(data))
                    worker = Worker(pk=worker_id, updated_by_id=user_id, updated_at=now, **data)
                    updates.setdefault(fields_changed, []).append(worker)
                if heir:
                    heirs.append({"worker_id": worker_id, **heir})
        created = insert_rows(Worker, new_workers)
        if heirs_by_nik:
            for queryset in filter_in(Worker.objects.all(), "nik", list(heirs_by_nik)):
                for nik, worker_id in queryset.values_list("nik", "id"):
                    heirs.append({"worker_id": worker_id, **heirs_by_nik[nik]})
        for fields_changed, workers in updates.items():
            Worker.objects.bulk_update(
                workers, [*fields_changed, "updated_by", "updated_at"], batch_size=1000
            )
        last_heir = Heir.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        insert_rows(Heir, [{**h, "nik": h["nik"] or ""} for h in heirs])
        # The audit trail: one history row per created or changed worker (set-based).
        reason = _("Spreadsheet import")
        history_record_bulk(
            Worker, lookup="nik", values=[w["nik"] for w in new_workers], history_type="+",
            user=user, reason=reason,
        )  # fmt: skip
        changed_ids = [w.pk for group in updates.values() for w in group]
        history_record_bulk(
            Worker, lookup="id", values=changed_ids, history_type="~", user=user, reason=reason
        )
        # Heirs too: the rows just inserted for these workers (ids above the last one before).
        history_record_bulk(
            Heir, lookup="worker_id", values={h["worker_id"] for h in heirs}, history_type="+",
            user=user, reason=reason, min_pk=last_heir,
        )  # fmt: skip
        # Deaths the file recorded end those workers' cover, in this same transaction.
        workers_departed(
            worker_ids=[w.pk for fields_changed, group in updates.items()
                        if "death_date" in fields_changed for w in group],
            user=user, reason=reason,
        )  # fmt: skip
        counts = {
            "new": created,
            "updated": len({r.key for r in rows if r.status == UPDATED}),
            "heirs": len(heirs),
        }
        if _deduplicating():
            # Flagged rows: pairs marked "not the same person" are decided, the others queued
            # for review; never merged. Same transaction: a failed import records nothing.
            from dedup.importing import import_pairs_record

            counts.update(import_pairs_record(rows, user=user))
        return counts

    # --- the official template ---------------------------------------------------------
    def template_bytes(self) -> bytes:
        return build_template()


class WorkerResource(resources.ModelResource):
    """Export of workers with the same headers the importer reads back."""

    nik = fields.Field(attribute="nik", column_name="NIK")
    full_name = fields.Field(attribute="full_name", column_name="Nama")
    birth_place = fields.Field(attribute="birth_place", column_name="Tempat Lahir")
    birth_date = fields.Field(attribute="birth_date", column_name="Tanggal Lahir")
    sex = fields.Field(attribute="sex", column_name="Jenis Kelamin")
    address = fields.Field(attribute="address", column_name="Alamat")
    rt = fields.Field(attribute="rt", column_name="RT")
    rw = fields.Field(attribute="rw", column_name="RW")
    kelurahan = fields.Field(attribute="kelurahan__name", column_name="Kelurahan")
    kecamatan = fields.Field(attribute="kelurahan__kecamatan__name", column_name="Kecamatan")
    phone = fields.Field(attribute="phone", column_name="No HP")
    worker_type = fields.Field(attribute="worker_type", column_name="Jenis Pekerja")
    segment = fields.Field(attribute="segment__name", column_name="Kategori")
    employer_name = fields.Field(
        attribute="employer_name", column_name="Nama Kelompok/Pemberi Kerja"
    )
    monthly_income = fields.Field(attribute="monthly_income", column_name="Penghasilan")
    kk_number = fields.Field(attribute="kk_number", column_name="No KK")

    class Meta:
        model = Worker
        fields = (
            "nik", "full_name", "birth_place", "birth_date", "sex", "address", "rt", "rw",
            "kelurahan", "kecamatan", "phone", "worker_type", "segment", "employer_name",
            "monthly_income", "kk_number",
        )  # fmt: skip
        import_id_fields = ("nik",)

    def import_data(
        self,
        dataset: Any,
        dry_run: bool = False,
        raise_errors: bool = False,
        use_transactions: bool | None = None,
        collect_failed_rows: bool = False,
        rollback_on_validation_errors: bool = False,
        **kwargs: Any,
    ) -> Result:
        """Import a tablib Dataset through Siaga's engine: the admin's and command's rules.

        Rows are checked in memory; unless this is a dry run, the valid rows are written in one
        transaction (nothing at all with ``rollback_on_validation_errors`` and invalid rows).
        """
        importer = WorkerImporter()
        sheet = sheet_from_rows(dataset.title or "", [list(dataset.headers or []), *dataset])
        result = self.get_result_class()()
        try:
            layout, records = importer.spec.parse_rows(sheet)
        except FileRejected as exc:
            if raise_errors:
                raise
            result.append_base_error(Error(exc))
            return result
        planned = importer.plan_rows(layout, records)
        result.diff_headers = list(layout.headers)
        result.total_rows = len(planned)
        for row in planned:
            row_result = self.get_row_result_class()()
            row_result.import_type = IMPORT_TYPES[row.status]
            if row.status == CONFLICT:
                row_result.validation_error = ValidationError(
                    {"nik": [conflict_message(row)]}, code="identity_conflict"
                )
                values = dict(zip(layout.headers, row.cells or [], strict=False))
                result.append_invalid_row(row.row, values, row_result.validation_error)
            elif row.status == INVALID:
                messages: dict[str, list[str]] = {}
                for error in row.errors:
                    messages.setdefault(error.column or NON_FIELD_ERRORS, []).append(error.message)
                row_result.validation_error = ValidationError(messages)
                values = dict(zip(layout.headers, row.cells or [], strict=False))
                result.append_invalid_row(row.row, values, row_result.validation_error)
            result.append_row_result(row_result)
            result.increment_row_result_total(row_result)
        if dry_run or (rollback_on_validation_errors and result.has_validation_errors()):
            return result
        if kwargs.get("user") is None:
            # Every row written gets an audit-trail entry naming who imported it.
            raise ValueError("WorkerResource.import_data writes only with user=<the importer>.")
        with transaction.atomic():
            importer.write(
                [r for r in planned if r.status in (NEW, UPDATED)], user=kwargs.get("user")
            )
        return result

    def filter_export(self, queryset, **kwargs):
        return queryset.select_related("kelurahan__kecamatan", "segment")

    def dehydrate_birth_date(self, worker: Worker) -> str:
        return worker.birth_date.strftime("%d-%m-%Y")

    def __init__(self, *, mask_identity_numbers: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Masked unless the exporting user may see full NIK/KK numbers (participants.privacy).
        self.mask_identity_numbers = mask_identity_numbers

    def export_field(self, field, instance, **kwargs):
        value = super().export_field(field, instance, **kwargs)
        if self.mask_identity_numbers and field.attribute in ("nik", "kk_number"):
            value = mask_identity_number(value)
        return safe_cell(value)


TEXT_TEMPLATE_FIELDS = {"nik", "kk_number", "phone", "heir_nik", "rt", "rw"}
TEMPLATE_ROWS = 2000


def build_template() -> bytes:
    """The official template: a data sheet whose NIK/KK/phone columns are Text, plus help."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TEMPLATE_SHEET
    required_fill = PatternFill("solid", fgColor="FFF2CC")
    for index, column in enumerate(WORKER_COLUMNS.columns, start=1):
        cell = sheet.cell(row=1, column=index, value=column.label)
        cell.font = Font(bold=True)
        if column.required:
            cell.fill = required_fill
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.label) + 4)
        if column.field in TEXT_TEMPLATE_FIELDS:
            sheet.column_dimensions[letter].number_format = "@"
            for row in range(2, TEMPLATE_ROWS + 2):
                sheet.cell(row=row, column=index).number_format = "@"
        choices = {"sex": '"L,P"', "worker_type": '"PU,BPU"'}.get(column.field)
        if choices:
            validation = DataValidation(type="list", formula1=choices, allow_blank=True)
            sheet.add_data_validation(validation)
            validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    sheet.freeze_panes = "A2"

    help_sheet = workbook.create_sheet(_("Instructions"))
    lines = [
        _("How to fill in the Siaga Kita candidate list"),
        "",
        _("Fill one worker per row on the sheet %(sheet)s. Yellow headers are required.")
        % {"sheet": TEMPLATE_SHEET},
        _(
            "NIK, No KK and NIK Ahli Waris: 16 digits typed as text. Never paste them as numbers:"
            " spreadsheets keep only 15 digits."
        ),
        _("Dates: DD-MM-YYYY (e.g. 04-03-1990) or 4 Maret 1990."),
        _("Jenis Kelamin: L or P. Jenis Pekerja: PU or BPU."),
        _("No HP: 08…, +62… or 62…."),
        _("Kategori: one of the segment names below."),
        _("Hubungan Ahli Waris: Suami, Istri, Anak, Ayah, Ibu, Saudara or Lainnya."),
        _("Names and addresses may not start with =, +, - or @."),
        "",
        _("Kelurahan (kecamatan):"),
        *(
            f"  {k.name} ({k.kecamatan.name})"
            for k in Kelurahan.objects.select_related("kecamatan")
        ),
        "",
        _("Kategori:"),
        *(f"  {s.name}" for s in Segment.objects.filter(is_active=True)),
    ]
    for number, line in enumerate(lines, start=1):
        help_sheet.cell(row=number, column=1, value=safe_cell(str(line)))
    help_sheet["A1"].font = Font(bold=True)
    help_sheet.column_dimensions["A"].width = 100
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
