"""Translated labels of the dashboard's breakdown values, in display order."""

from django.utils.translation import gettext_lazy as _

from participants.models import DtksStatus, SchoolLevel, Sex

DTKS_LABELS = [(s.value, s.label) for s in DtksStatus]
# "Desil" is the DTSEN term in both languages.
DESIL_LABELS = [(str(d), f"Desil {d}") for d in range(1, 11)] + [("0", _("No desil recorded"))]
SEX_LABELS = [(s.value, s.label) for s in Sex]
AGE_LABELS = [
    ("<25", _("Under 25")),
    ("25-34", _("25-34")),
    ("35-44", _("35-44")),
    ("45-54", _("45-54")),
    ("55+", _("55 and over")),
]
YES_NO_HEIRS = [("yes", _("With heirs recorded")), ("no", _("No heirs recorded"))]
YES_NO_SCHOOL = [("yes", _("With school-age heirs")), ("no", _("Without school-age heirs"))]
SCHOOL_LEVEL_LABELS = [(level.value, level.label) for level in SchoolLevel] + [
    ("unknown", _("School level not recorded"))
]
MONTH_LABELS = [
    _("Jan"),
    _("Feb"),
    _("Mar"),
    _("Apr"),
    _("May"),
    _("Jun"),
    _("Jul"),
    _("Aug"),
    _("Sep"),
    _("Oct"),
    _("Nov"),
    _("Dec"),
]
