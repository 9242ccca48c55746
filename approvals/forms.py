from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enrollment.models import ProgramYear

from .models import DocumentFormat, DocumentKind


class PrepareBatchForm(forms.Form):
    program_year = forms.ModelChoiceField(
        label=_("Program year"), queryset=ProgramYear.objects.open(), empty_label=None
    )
    title = forms.CharField(label=_("Title"), max_length=200, required=False)


class DecideForm(forms.Form):
    note = forms.CharField(
        label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    rejections = forms.CharField(
        label=_("Rejected rows"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        help_text=_(
            "Returning only: one row per line, the enrollment ID or NIK, a semicolon, and the "
            "reason. Example: 1042; KTP tidak terbaca"
        ),
    )

    def __init__(self, *args, batch=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.batch = batch

    def clean_rejections(self) -> dict[int, str]:
        text = self.cleaned_data["rejections"]
        items = {}
        for item in self.batch.items.select_related("enrollment__worker"):
            items[str(item.enrollment_id)] = item.enrollment_id
            items[item.enrollment.worker.nik] = item.enrollment_id
        result: dict[int, str] = {}
        errors = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, reason = line.partition(";")
            key = key.strip()
            if not sep or not reason.strip():
                errors.append(
                    _("Line %(line)s: write the ID or NIK, a semicolon, then the reason.")
                    % {"line": number}
                )
            elif key not in items:
                errors.append(
                    _("Line %(line)s: %(key)s is not a row of this batch.")
                    % {"line": number, "key": key}
                )
            else:
                result[items[key]] = reason.strip()
        if errors:
            raise ValidationError(errors)
        return result


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(choices=DocumentKind.choices)
    year = forms.IntegerField()
    batch = forms.IntegerField(required=False)
    invoice = forms.IntegerField(required=False)
    format = forms.ChoiceField(choices=[*DocumentFormat.choices, ("html", "HTML")], required=False)
    start = forms.DateField(required=False)
    end = forms.DateField(required=False)
