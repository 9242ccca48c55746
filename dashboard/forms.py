import copy

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.scoping import scope_choices
from participants.models import Kecamatan, Kelurahan, Segment, WorkerType

from .selectors import Filters


class KelurahanSelect(forms.Select):
    """Each kelurahan option carries its kecamatan (``data-kecamatan``), so that
    static/dashboard/dashboard.js can narrow the list when a kecamatan is chosen."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        instance = getattr(value, "instance", None)
        if instance is not None:
            option["attrs"]["data-kecamatan"] = str(instance.kecamatan_id)
        return option


class FilterForm(forms.Form):
    """The dashboard's filters; the same query parameters work for the page, JSON and xlsx.

    With a kecamatan chosen, the kelurahan list holds that kecamatan's kelurahan only (on the
    server, so it also works without JavaScript; the script narrows it at once).
    """

    kecamatan = forms.ModelChoiceField(
        Kecamatan.objects.order_by("code"), required=False, label=_("District (kecamatan)")
    )
    kelurahan = forms.ModelChoiceField(
        Kelurahan.objects.order_by("name"),
        required=False,
        label=_("Urban village (kelurahan)"),
        widget=KelurahanSelect,
    )
    segment = forms.ModelChoiceField(
        Segment.objects.order_by("sort_order", "name"), required=False, label=_("Segment")
    )
    worker_type = forms.ChoiceField(
        choices=[("", _("All worker types")), *WorkerType.choices],
        required=False,
        label=_("Worker type"),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        # An official limited to an area or group chooses only inside it (accounts/scoping).
        for name in ("kecamatan", "kelurahan", "segment"):
            field = self.fields[name]
            field.queryset = scope_choices(user, field.queryset)
        for name in ("kecamatan", "kelurahan", "segment"):
            self.fields[name].empty_label = {
                "kecamatan": _("All districts"),
                "kelurahan": _("All urban villages"),
                "segment": _("All segments"),
            }[name]
        for name in self.fields:
            # static/dashboard/dashboard.js submits the form when one of these changes.
            self.fields[name].widget.attrs["data-autosubmit"] = ""
        kecamatan = self.data.get("kecamatan") if self.is_bound else None
        # Narrow only for a kecamatan that exists (a few rows): a number too large for the
        # database must not reach a query (SQLite: OverflowError, a 500).
        known = {str(pk) for pk in self.fields["kecamatan"].queryset.values_list("pk", flat=True)}
        if kecamatan and str(kecamatan) in known:
            # Only the list shown narrows; validation keeps every kelurahan, so that one
            # outside the kecamatan gets clean()'s message rather than "invalid choice".
            field = self.fields["kelurahan"]
            shown = copy.deepcopy(field)
            shown.queryset = field.queryset.filter(kecamatan_id=int(kecamatan))
            field.widget.choices = shown.choices

    def clean(self):
        data = super().clean()
        kecamatan, kelurahan = data.get("kecamatan"), data.get("kelurahan")
        if kecamatan and kelurahan and kelurahan.kecamatan_id != kecamatan.pk:
            self.add_error(
                "kelurahan",
                _("%(kelurahan)s is not in %(kecamatan)s.")
                % {"kelurahan": kelurahan.name, "kecamatan": kecamatan.name},
            )
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            kecamatan=data.get("kecamatan"),
            kelurahan=data.get("kelurahan"),
            segment=data.get("segment"),
            worker_type=data.get("worker_type") or None,
        )
