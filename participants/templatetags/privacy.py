"""``{{ worker.nik|nik_for:request.user }}``: a NIK or KK number as the viewer may see it."""

from django import template

from participants.privacy import shown_nik

register = template.Library()


@register.filter
def nik_for(value: str, user) -> str:
    return shown_nik(value or "", user)
