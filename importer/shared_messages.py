"""Messages of other apps that the importer shows, so its catalog can translate them.

participants.validators raises these (English msgids) and the import report shows them to
staff; until the participants app ships its own Indonesian catalog, importer's carries the
translations. Django merges catalogs, and an app listed earlier in INSTALLED_APPS wins, so a
later participants translation takes over without conflict. django-import-export has no
Indonesian catalog either: its "Export" button sits next to the importer's.
"""

from django.utils.translation import gettext_noop

MESSAGES = [
    gettext_noop("%(label)s must be written as text of 16 digits, not as a number."),
    gettext_noop("%(label)s may only contain digits (0-9)."),
    gettext_noop("%(label)s must be exactly 16 digits; this one has %(length)d."),
    gettext_noop("%(label)s starts with %(code)s, which is not an Indonesian province code."),
    gettext_noop("%(label)s has regency/city code 00, which does not exist."),
    gettext_noop("%(label)s has district (kecamatan) code 00, which does not exist."),
    gettext_noop(
        "NIK digits 7-12 (%(digits)s) are not a real date of birth "
        "(DDMMYY, with 40 added to the day for women)."
    ),
    gettext_noop("NIK ends in serial number 0000, which is never issued."),
    gettext_noop("Phone number %(value)s is not an Indonesian number (+62)."),
    gettext_noop("Phone number %(value)s is not valid; write it as 08xx… or +628xx…."),
    gettext_noop("Phone number %(value)s has the wrong number of digits."),
    gettext_noop("Text may not start with %(char)s: a spreadsheet would run it as a formula."),
    gettext_noop("Export"),
]
