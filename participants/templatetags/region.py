"""Names that follow SIAGA_REGION, for templates (also the 500 page, which has no context
processors): ``{% load region %}{% office_short_name %}``."""

from django import template

from participants import regions

register = template.Library()


@register.simple_tag
def office_short_name() -> str:
    return regions.office_short_name()


@register.simple_tag
def region_name() -> str:
    return regions.current().name


@register.simple_tag
def village_label() -> str:
    return regions.village_label()
