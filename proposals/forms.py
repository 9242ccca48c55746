from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enrollment.models import ProgramYear
from importer.admin import UploadForm
from participants.models import Kelurahan

from .models import SourceKind


def open_years():
    return ProgramYear.objects.order_by("-year")


class ProposalUploadForm(UploadForm):
    """The candidate list plus what the file does not say: the year and who gathered it."""

    program_year = forms.ModelChoiceField(label=_("Program year"), queryset=open_years())
    source_kind = forms.ChoiceField(label=_("Kind of source"), choices=SourceKind.choices)
    source_name = forms.CharField(
        label=_("Source"),
        max_length=150,
        help_text=_("e.g. Kelurahan Kelun, Dinas Perhubungan, Komunitas Ojol Madiun."),
    )


class UpdateUploadForm(UploadForm):
    program_year = forms.ModelChoiceField(label=_("Program year"), queryset=open_years())
    kelurahan = forms.ModelChoiceField(
        label=_("Kelurahan"), queryset=Kelurahan.objects.order_by("code")
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (the proposer sees it)"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class AcceptForm(forms.Form):
    allow_similar = forms.BooleanField(
        label=_("Not the same person: also accept candidates that look like a registered worker"),
        required=False,
    )
