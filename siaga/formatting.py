"""Indonesian number formatting for staff and officials: 14.087, Rp 3.308.361.600, 85,9%.

Written out rather than left to ``USE_THOUSAND_SEPARATOR`` so the page, the printable report
and the xlsx export show identical figures whatever the active language.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def number(value: int | float | Decimal | None, decimals: int = 0) -> str:
    """``14087`` → ``14.087``; ``85.94, 1`` → ``85,9``; None → ``–``."""
    if value is None:
        return "–"
    quantum = Decimal(1).scaleb(-decimals)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    groups = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = ".".join(groups)
    return f"{sign}{text},{fraction}" if fraction else f"{sign}{text}"


def rupiah(value: int | None) -> str:
    """``3308361600`` → ``Rp 3.308.361.600``; negative amounts as ``-Rp 5.000``."""
    if value is None:
        return "–"
    if value < 0:
        return f"-Rp {number(-value)}"
    return f"Rp {number(value)}"


def percent(value: float | None, decimals: int = 1) -> str:
    """``85.94`` → ``85,9%``; None → ``–``."""
    if value is None:
        return "–"
    return f"{number(value, decimals)}%"
