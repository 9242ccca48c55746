"""Strings of other packages that Siaga's pages show and their own catalogs leave in English.

Listed here so `make messages` keeps them in the project catalog (locale/), which Django
consults before the packages' own catalogs. tests/project/test_untranslated_pages.py finds
new ones when a page starts showing them.
"""

from django.utils.translation import gettext_noop

MESSAGES = [
    # django-simple-history: the "Riwayat" page's column of changed fields.
    gettext_noop("Changes"),
    # django-tasks-db and django-axes model names (permission lists on users and groups).
    gettext_noop("Task Result"),
    gettext_noop("Task Results"),
    gettext_noop("access attempt expiration"),
    gettext_noop("access attempt expirations"),
    # django-import-export's export form (the worker list's "Ekspor").
    gettext_noop("Format"),
    gettext_noop("Select all"),
    gettext_noop("Submit"),
    gettext_noop("This exporter will export the following fields: "),
    # django-axes and django-tasks-db admin pages (administrators only).
    gettext_noop("Clean up expired attempts"),
    gettext_noop("Locked Out"),
    gettext_noop("Ready"),
    gettext_noop("Failed"),
    gettext_noop("Successful"),
    gettext_noop("priority"),
    gettext_noop("queue name"),
    # django-simple-history's history list translates the column names it is given
    # (``history_list_display`` of the worker admin).
    gettext_noop("full_name"),
    gettext_noop("worker_type"),
    gettext_noop("kelurahan"),
    gettext_noop("dtks_status"),
]
