from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from importer.admin import UploadForm
from participants.models import WorkerType


class DtksUploadForm(UploadForm):
    """The result file plus what the file itself does not say: when and by whom it was checked."""

    checked_on = forms.DateField(
        label=_("Checked on"),
        help_text=_("Date of Dinas Sosial's answer (DD-MM-YYYY)."),
        input_formats=["%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y"],
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=150,
        help_text=_("Who answered, e.g. Dinas Sosial Kota Madiun (DTSEN)."),
    )


class ProposeForm(forms.Form):
    worker_type = forms.ChoiceField(label=_("Quota"), choices=WorkerType.choices)
    count = forms.IntegerField(
        label=_("Number of candidates to propose"), min_value=1, max_value=5000
    )
