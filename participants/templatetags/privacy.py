"""``{{ worker.nik|nik_for:request.user }}``: a NIK or KK number as the viewer may see it."""

from django import template

from participants.privacy import can_view_full_nik, mask_niks_in_text, shown_nik

register = template.Library()


@register.filter
def nik_for(value: str, user) -> str:
    return shown_nik(value or "", user)


@register.filter
def niks_in_text_for(text: str, user) -> str:
    """Text (e.g. an import message) with every NIK masked unless the viewer may see them."""
    return text if can_view_full_nik(user) else mask_niks_in_text(str(text))
