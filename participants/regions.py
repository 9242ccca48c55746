"""The Kemendagri region table shipped with Siaga, and the deployment's region (SIAGA_REGION).

``participants/data/wilayah.csv.gz`` holds every code of Keputusan Menteri Dalam Negeri
No 300.2.2-2138 Tahun 2025 (provinces, kabupaten/kota, kecamatan, desa/kelurahan) with a
``jenis`` column; ``manage.py build_region_table`` regenerates it from
``../shared/data/wilayah_kepmendagri_2025.csv``. It is read here, never ``../shared``.

A village code's first digit tells its kind: ``1xxx`` kelurahan, ``2xxx`` desa (``3xxx``:
the *desa adat* of Papua, counted as desa).
"""

from __future__ import annotations

import csv
import functools
import gzip
import io
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

TABLE = Path(__file__).resolve().parent / "data" / "wilayah.csv.gz"
KELURAHAN, DESA = "kelurahan", "desa"


class RegionError(Exception):
    """A region code that cannot be used; the message is for staff (translated)."""


def village_kind(code: str) -> str:
    """``35.77.01.1001`` → kelurahan, ``64.09.01.2020`` → desa."""
    return KELURAHAN if code.rsplit(".", 1)[-1].startswith("1") else DESA


def level(code: str) -> str:
    """provinsi, kabupaten_kota, kecamatan, kelurahan or desa, from the shape of the code."""
    depth = code.count(".")
    return ("provinsi", "kabupaten_kota", "kecamatan")[depth] if depth < 3 else village_kind(code)


def shared_source() -> Path | None:
    """``../shared/data/wilayah_kepmendagri_2025.csv`` beside the project, if present."""
    base = Path(settings.BASE_DIR)
    for folder in (base.parent, base.parent.parent):
        candidate = folder / "shared" / "data" / "wilayah_kepmendagri_2025.csv"
        if candidate.is_file():
            return candidate
    return None


def table_rows(source: Path) -> list[tuple[str, str, str]]:
    """(kode, nama, jenis) of the official CSV (columns kode,nama), in file order."""
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if header[:2] != ["kode", "nama"]:
            raise ValueError(f"{source}: expected the columns kode,nama, found {header}")
        return [(code, name, level(code)) for code, name, *_ in reader]


def table_bytes(rows: list[tuple[str, str, str]]) -> bytes:
    """The shipped file for ``rows``: gzip without a timestamp, so it is reproducible."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["kode", "nama", "jenis"])
    writer.writerows(rows)
    return gzip.compress(text.getvalue().encode("utf-8"), compresslevel=9, mtime=0)


@functools.cache
def _all_rows() -> tuple[tuple[str, str, str], ...]:
    with gzip.open(TABLE, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        return tuple(tuple(row) for row in reader)


@dataclass(frozen=True)
class Village:
    code: str
    name: str
    kind: str


@dataclass(frozen=True)
class Region:
    """A kabupaten or kota with its kecamatan and villages."""

    code: str  # "35.77"
    name: str  # "Kota Madiun"
    province_name: str
    kecamatan: tuple[tuple[str, str], ...]  # (code, name)
    villages: tuple[Village, ...]

    @property
    def nik_prefix(self) -> str:
        """The first four digits of a NIK issued here: ``3577``."""
        return self.code.replace(".", "")

    @property
    def is_kota(self) -> bool:
        return self.name.startswith("Kota ")

    @property
    def short_name(self) -> str:
        """ "Madiun", "Penajam Paser Utara": the name without Kota/Kabupaten."""
        return self.name.split(" ", 1)[1] if " " in self.name else self.name

    @property
    def village_kinds(self) -> frozenset[str]:
        return frozenset(v.kind for v in self.villages)


def normalize_code(code: str) -> str:
    """``3577``, ``35.77`` and `` 35.77 `` → ``35.77``."""
    code = (code or "").strip()
    digits = code.replace(".", "")
    if len(digits) == 4 and digits.isdigit():
        return f"{digits[:2]}.{digits[2:]}"
    return code


@functools.cache
def region(code: str) -> Region:
    """The kabupaten/kota ``code`` (``35.77``) from the shipped table, or RegionError."""
    from django.utils.translation import gettext

    code = normalize_code(code)
    rows = _all_rows()
    names = {c: n for c, n, _kind in rows if c.count(".") <= 1}
    if code.count(".") != 1 or code not in names:
        raise RegionError(
            gettext(
                "SIAGA_REGION=%(code)s is not a kabupaten/kota code of Kepmendagri "
                "No 300.2.2-2138 Tahun 2025; use a code such as 35.77 (Kota Madiun) or "
                "64.09 (Kabupaten Penajam Paser Utara)."
            )
            % {"code": code}
        )
    prefix = code + "."
    kecamatan = tuple((c, n) for c, n, k in rows if k == "kecamatan" and c.startswith(prefix))
    villages = tuple(
        Village(c, n, k) for c, n, k in rows if k in (KELURAHAN, DESA) and c.startswith(prefix)
    )
    return Region(code, names[code], names.get(code[:2], ""), kecamatan, villages)


def regencies(province: str) -> list[tuple[str, str]]:
    """(code, name) of the kabupaten/kota of a province (``35``)."""
    return [(c, n) for c, n, k in _all_rows() if k == "kabupaten_kota" and c[:2] == province]


def current() -> Region:
    """The deployment's region: ``settings.SIAGA_REGION``."""
    return region(settings.SIAGA_REGION)


def government_name() -> str:
    """Letterhead's first line: ``Pemerintah Kota Madiun`` unless SIAGA_LETTERHEAD_GOVERNMENT."""
    return settings.SIAGA_LETTERHEAD_GOVERNMENT or f"Pemerintah {current().name}"


def office_name() -> str:
    """``Dinas Tenaga Kerja Kota Madiun`` unless SIAGA_OFFICE_NAME says otherwise."""
    return settings.SIAGA_OFFICE_NAME or f"Dinas Tenaga Kerja {current().name}"


def office_short_name() -> str:
    """The brand beside "Siaga Kita" in page headers: SIAGA_OFFICE_SHORT_NAME or ``Disnaker
    Kota Madiun``."""
    return settings.SIAGA_OFFICE_SHORT_NAME or f"Disnaker {current().name}"


def head_title() -> str:
    """The head of the region who signs the decree: ``Wali Kota Madiun``, ``Bupati Penajam
    Paser Utara`` (SIAGA_HEAD_TITLE overrides)."""
    override = getattr(settings, "SIAGA_HEAD_TITLE", "")
    if override:
        return override
    here = current()
    return f"{'Wali Kota' if here.is_kota else 'Bupati'} {here.short_name}"


def document_place() -> str:
    """Where documents are signed (``Madiun, 6 Mei 2024``): SIAGA_DOCUMENT_PLACE or the short
    name of the region."""
    return settings.SIAGA_DOCUMENT_PLACE or current().short_name


def village_label() -> str:
    """ "Kelurahan", "Desa" or "Kelurahan/Desa", as the region has them."""
    kinds = current().village_kinds
    if kinds == {KELURAHAN}:
        return "Kelurahan"
    if kinds == {DESA}:
        return "Desa"
    return "Kelurahan/Desa"


# Province code → time zone (WIB/WITA/WIT), for the TIME_ZONE default.
WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
WIT = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}


def time_zone(code: str) -> str:
    province = normalize_code(code)[:2]
    if province in WITA:
        return "Asia/Makassar"
    if province in WIT:
        return "Asia/Jayapura"
    return "Asia/Jakarta"


# --- loading a region into the database ------------------------------------------------------


@dataclass
class LoadResult:
    region: Region
    kecamatan_created: int = 0
    villages_created: int = 0
    villages_updated: int = 0
    removed: int = 0


def region_conflict(code: str, Kelurahan=None, Worker=None) -> str | None:
    """Why the database cannot take region ``code``: workers live in villages of another
    region. None when it can. Model classes may be migration-state ones."""
    from django.utils.translation import gettext

    if Kelurahan is None or Worker is None:
        from .models import Kelurahan, Worker
    code = normalize_code(code)
    others = (
        Kelurahan.objects.exclude(code__startswith=code + ".")
        .filter(pk__in=Worker.objects.values("kelurahan_id"))
        .order_by("code")
    )
    found = list(others.values_list("code", flat=True)[:1])
    if not found:
        return None
    old = found[0][:5]
    try:
        old_name = region(old).name
    except RegionError:
        old_name = old
    return gettext(
        "SIAGA_REGION is %(new)s but this database already holds workers of %(old_name)s "
        "(%(old)s). A database keeps the region it was filled for: set SIAGA_REGION=%(old)s "
        "again, or use a new, empty database for %(new)s."
    ) % {"new": code, "old": old, "old_name": old_name}


def load_region(code: str, *, Kecamatan=None, Kelurahan=None, Worker=None) -> LoadResult:
    """Make the kecamatan/desa/kelurahan tables hold region ``code`` (idempotent).

    Creates what is missing with the official code, name and kind; an existing row keeps the
    name staff may have edited (its kind is corrected). Rows of another region are removed
    when nothing refers to them; with workers living there the load is refused (RegionError).
    Called by the data migration (with migration-state models) and ``manage.py load_region``.
    """
    from django.db import connection, transaction
    from django.db.models import ProtectedError
    from django.utils.translation import gettext

    if Kecamatan is None:
        from .models import Kecamatan, Kelurahan, Worker
    wanted = region(code)
    problem = region_conflict(wanted.code, Kelurahan, Worker)
    if problem:
        raise RegionError(problem)
    result = LoadResult(wanted)
    prefix = wanted.code + "."
    with transaction.atomic():
        stale_villages = Kelurahan.objects.exclude(code__startswith=prefix)
        stale_kecamatan = Kecamatan.objects.exclude(code__startswith=prefix)
        if stale_villages.exists() or stale_kecamatan.exists():
            try:
                result.removed = stale_villages.delete()[0] + stale_kecamatan.delete()[0]
            except ProtectedError as error:
                raise RegionError(
                    gettext(
                        "SIAGA_REGION is %(new)s but the villages of another region are still "
                        "used (%(what)s); remove those records or keep the old SIAGA_REGION."
                    )
                    % {
                        "new": wanted.code,
                        "what": ", ".join(
                            sorted({o._meta.verbose_name for o in error.protected_objects})
                        ),
                    }
                ) from error
        have_kecamatan = dict(Kecamatan.objects.values_list("code", "pk"))
        missing = [
            Kecamatan(code=c, name=_unique_name(n, c, Kecamatan))
            for c, n in wanted.kecamatan
            if c not in have_kecamatan
        ]
        Kecamatan.objects.bulk_create(missing)
        result.kecamatan_created = len(missing)
        kecamatan_pk = dict(Kecamatan.objects.values_list("code", "pk"))
        have_villages = dict(Kelurahan.objects.values_list("code", "kind"))
        new = []
        for village in wanted.villages:
            if village.code not in have_villages:
                new.append(
                    Kelurahan(
                        code=village.code,
                        name=village.name,
                        kind=village.kind,
                        kecamatan_id=kecamatan_pk[village.code[:8]],
                    )
                )
            elif have_villages[village.code] != village.kind:
                Kelurahan.objects.filter(code=village.code).update(kind=village.kind)
                result.villages_updated += 1
        Kelurahan.objects.bulk_create(new, batch_size=500)
        result.villages_created = len(new)
        if connection.vendor == "postgresql":
            # Check the deferred foreign keys of these writes now, so that later statements of
            # the same transaction may ALTER the tables (seed_demo's bulk load does).
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return result


def _unique_name(name: str, code: str, Kecamatan) -> str:
    """Kecamatan names are unique; a name taken by an edited row gets its code appended."""
    if Kecamatan.objects.filter(name=name).exists():
        return f"{name} ({code})"
    return name
