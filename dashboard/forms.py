from django import forms
from django.utils.translation import gettext_lazy as _

from participants.models import Kecamatan, Kelurahan, Segment, WorkerType

from .selectors import Filters


class FilterForm(forms.Form):
    """The dashboard's filters; the same query parameters work for the page, JSON and xlsx."""

    kecamatan = forms.ModelChoiceField(
        Kecamatan.objects.order_by("code"), required=False, label=_("District (kecamatan)")
    )
    kelurahan = forms.ModelChoiceField(
        Kelurahan.objects.order_by("name"), required=False, label=_("Urban village (kelurahan)")
    )
    segment = forms.ModelChoiceField(
        Segment.objects.order_by("sort_order", "name"), required=False, label=_("Segment")
    )
    worker_type = forms.ChoiceField(
        choices=[("", _("All worker types")), *WorkerType.choices],
        required=False,
        label=_("Worker type"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("kecamatan", "kelurahan", "segment"):
            self.fields[name].empty_label = {
                "kecamatan": _("All districts"),
                "kelurahan": _("All urban villages"),
                "segment": _("All segments"),
            }[name]

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            kecamatan=data.get("kecamatan"),
            kelurahan=data.get("kelurahan"),
            segment=data.get("segment"),
            worker_type=data.get("worker_type") or None,
        )
