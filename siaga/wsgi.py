"""WSGI entry point, e.g. `gunicorn siaga.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")

application = get_wsgi_application()
