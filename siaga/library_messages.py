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
]
