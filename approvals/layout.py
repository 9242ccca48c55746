"""The shape every official document shares, and the Indonesian formal conventions.

A document is data (``Document``: letterhead, title, number, date, paragraphs, tables,
signature blocks); ``render.py`` turns the same data into PDF, xlsx and the HTML print view,
so the three never disagree. Everything the three print as text comes from here: column
titles and table headings (``Column.label``, ``Table.heading``), every cell and total as
text (``cell_text``, ``Table.text_rows``, ``Table.total_texts``), and the fixed words of the
form (``number_line``, ``place_date``, ``Signer.name_line``/``nip_line``, ``page_line``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings

from participants import regions

MONTHS_ID = (
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
)


def tanggal(day: datetime.date | datetime.datetime | None) -> str:
    """A date as Indonesian letters write it: ``6 Mei 2024``."""
    if day is None:
        return ""
    return f"{day.day} {MONTHS_ID[day.month - 1]} {day.year}"


def rupiah(amount: int) -> str:
    """Whole rupiah with Indonesian thousands dots: ``1.234.500``."""
    return f"{int(amount):,}".replace(",", ".")


# The fixed words of the form, printed alike by the PDF, the xlsx and the print view.
NUMBER_LABEL = "Nomor: {number}"
NIP_LABEL = "NIP. {nip}"
NO_NAME = "(...............................)"
PAGE_LABEL = "Halaman {page}"


def page_line(page: int) -> str:
    return PAGE_LABEL.format(page=page)


@dataclass
class Column:
    label: str
    width: float  # points on an A4 page (515 usable)
    align: str = "left"  # left | right | center
    kind: str = "text"  # text | int | rupiah | date


def cell_text(value, column: Column) -> str:
    """A cell as every format shows it in text: thousands dots, dd-mm-yyyy dates."""
    if value is None or value == "":
        return ""
    if column.kind in ("rupiah", "int") and isinstance(value, int):
        return rupiah(value)  # thousands dots, for amounts and counts alike
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    return str(value)


@dataclass
class Table:
    columns: list[Column]
    rows: list[list]
    heading: str = ""
    total: list | None = None

    @property
    def labels(self) -> list[str]:
        return [column.label for column in self.columns]

    def text_rows(self):
        columns = self.columns
        for row in self.rows:
            yield [cell_text(v, c) for v, c in zip(row, columns, strict=False)]

    def total_texts(self) -> list[str] | None:
        if self.total is None:
            return None
        return [cell_text(v, c) for v, c in zip(self.total, self.columns, strict=False)]


@dataclass
class Signer:
    role: str  # e.g. "Kepala Bidang Hubungan Industrial" or "Yang menyetujui"
    name: str = ""
    rank: str = ""
    nip: str = ""

    @property
    def name_line(self) -> str:
        return self.name or NO_NAME

    @property
    def nip_line(self) -> str:
        return NIP_LABEL.format(nip=self.nip or "-")

    @property
    def role_lines(self) -> list[str]:
        return self.role.split("\n")


@dataclass
class Document:
    kind: str
    title: str
    number: str
    date: datetime.date
    place: str = ""
    subtitle: list[str] = field(default_factory=list)
    before: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    signers: list[Signer] = field(default_factory=list)
    filename: str = "dokumen"

    @property
    def letterhead(self) -> dict:
        return letterhead()

    @property
    def title_lines(self) -> list[str]:
        return [line.upper() for line in self.title.split("\n")]

    @property
    def number_line(self) -> str:
        return NUMBER_LABEL.format(number=self.number)

    @property
    def place_date(self) -> str:
        """The line above the last signature: ``Madiun, 6 Mei 2024``."""
        return f"{letterhead()['place']}, {tanggal(self.date)}"


def letterhead() -> dict:
    return {
        "government": regions.government_name(),
        "office": regions.office_name(),
        "address": getattr(settings, "SIAGA_OFFICE_ADDRESS", ""),
        "logo": str(getattr(settings, "SIAGA_OFFICE_LOGO", "") or ""),
        "place": regions.document_place(),
    }


def signer_for(user, role: str) -> Signer:
    """A signature block from the user's staff profile (name, rank, NIP)."""
    if user is None:
        return Signer(role=role)
    from accounts.models import StaffProfile

    profile = StaffProfile.objects.filter(user=user).first()
    name = (profile and profile.signature_name) or user.get_full_name() or user.get_username()
    if profile and profile.position:
        role = f"{role}\n{profile.position}"
    return Signer(
        role=role,
        name=name,
        rank=profile.rank if profile else "",
        nip=profile.nip if profile else "",
    )
