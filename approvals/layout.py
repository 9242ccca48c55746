"""The shape every official document shares, and the Indonesian formal conventions.

A document is data (``Document``: letterhead, title, number, date, paragraphs, tables,
signature blocks); ``render.py`` turns the same data into PDF, xlsx and the HTML print view,
so the three never disagree.
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


@dataclass
class Column:
    label: str
    width: float  # points on an A4 page (515 usable)
    align: str = "left"  # left | right | center
    kind: str = "text"  # text | int | rupiah | date


@dataclass
class Table:
    columns: list[Column]
    rows: list[list]
    heading: str = ""
    total: list | None = None


@dataclass
class Signer:
    role: str  # e.g. "Kepala Bidang Hubungan Industrial" or "Yang menyetujui"
    name: str = ""
    rank: str = ""
    nip: str = ""


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
