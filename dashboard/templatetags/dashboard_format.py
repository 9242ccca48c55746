from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.html import format_html

from dashboard.privacy import is_small
from siaga import formatting

register = template.Library()


@register.filter
def idn(value, decimals=0):
    """Indonesian number: {{ 14087|idn }} → 14.087; a suppressed count as "<3"."""
    if is_small(value):
        return str(value)
    return formatting.number(value, int(decimals))


@register.filter
def rupiah(value):
    if is_small(value):
        return str(value)  # an amount that would give away a small head count
    return formatting.rupiah(value)


@register.filter
def percent(value, decimals=1):
    return formatting.percent(value, int(decimals))


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "")


def _fixed(value, decimals: int) -> str:
    """``value`` with ``decimals`` places and a dot (CSS and ARIA), rounded half up; 0 for
    nothing."""
    try:
        number = Decimal(str(value)) if value not in (None, "") else Decimal(0)
    except InvalidOperation:
        number = Decimal(0)
    return str(number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


@register.simple_tag
def bar(width, label):
    """A progress bar of ``width`` percent: {% bar r.bar r.label %}. A tag rather than an
    included template because the page draws some three hundred of them."""
    return format_html(
        '<div class="meter" role="progressbar" aria-valuemin="0" aria-valuemax="100"'
        ' aria-valuenow="{}" aria-label="{}"><span style="width: {}%"></span></div>',
        _fixed(width, 0),
        label,
        _fixed(width, 1),
    )
