from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from importer.admin import UploadForm
from participants.models import WorkerType

from .exports import dtks_requests


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
        help_text=_("Who answered, e.g. the Dinas Sosial of the kabupaten/kota (DTSEN)."),
    )
    answers = forms.ModelChoiceField(
        label=_("Check request it answers"),
        queryset=None,
        required=False,
        help_text=_(
            "For a list of only the NIKs found (IDDTKS, NOMOR_KK, NOMOR_NIK, NAMA; xlsx, csv or "
            "'|'-separated txt): the workers of this request missing from the list are recorded "
            "as not in DTKS/DTSEN. Leave empty for a file with a Status DTKS column."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["import_file"].widget.attrs["accept"] = ".xlsx,.xls,.ods,.csv,.txt"
        self.fields["import_file"].help_text = _("xlsx, xls, ods, csv or txt.")
        self.fields["answers"].queryset = dtks_requests()
        self.fields["answers"].label_from_instance = lambda log: (
            _("%(file)s, %(date)s, %(rows)d workers (%(user)s)")
            % {
                "file": log.file_name,
                "date": timezone.localtime(log.created_at).strftime("%d-%m-%Y %H:%M"),
                "rows": log.row_count,
                "user": log.created_by,
            }
        )


class ProposeForm(forms.Form):
    worker_type = forms.ChoiceField(label=_("Quota"), choices=WorkerType.choices)
    count = forms.IntegerField(
        label=_("Number of candidates to propose"), min_value=1, max_value=5000
    )
