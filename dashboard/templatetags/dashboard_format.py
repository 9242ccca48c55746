from django import template

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
    return formatting.rupiah(value)


@register.filter
def percent(value, decimals=1):
    return formatting.percent(value, int(decimals))


@register.filter
def get_item(mapping, key):
    return mapping.get(key, "")
