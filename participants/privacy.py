"""Personal-data minimisation (UU 27/2022): who may see full NIK/KK numbers, and masking."""

from __future__ import annotations

import re

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

FULL_NIK_PERMISSION = "participants.view_full_nik"


def can_view_full_nik(user: AbstractBaseUser | AnonymousUser | None) -> bool:
    return bool(user and user.is_authenticated and user.has_perm(FULL_NIK_PERMISSION))


def mask_identity_number(value: str) -> str:
    """Keep the region code (4) and the serial (4) so staff can still tell records apart:
    ``3577010101900001`` → ``3577********0001``."""
    if not value:
        return value
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def shown_nik(value: str, user) -> str:
    """The NIK (or KK number) as this user may see it."""
    return value if can_view_full_nik(user) else mask_identity_number(value)


_NIK_IN_TEXT = re.compile(r"\d{16}")


def mask_niks_in_text(text: str) -> str:
    """Mask every 16-digit number (a NIK search) in text that is logged or shown, e.g. filters."""
    return _NIK_IN_TEXT.sub(lambda m: mask_identity_number(m.group()), text)
