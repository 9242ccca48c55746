"""Messages of other packages that the importer's pages show, so its catalog translates them.

django-import-export has no Indonesian catalog: its "Export" button sits next to the importer's.
(The validators' messages are translated in the participants app's own catalog.)
"""

from django.utils.translation import gettext_noop

MESSAGES = [
    gettext_noop("Export"),
]
