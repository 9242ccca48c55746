"""Create a local administrator for development if the database has none.

`make run` calls this on every start: the first time it prints the username and a generated
password (once; they are not stored anywhere else), afterwards it does nothing.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


class Command(BaseCommand):
    help = gettext_lazy(
        "Create a local superuser with a generated password if no superuser exists."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--url",
            default="http://127.0.0.1:8000/admin/",
            help=_("Where the admin will be served."),
        )

    def handle(self, *args, username: str, url: str, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write(_("A superuser already exists; nothing to do."))
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Local administrator created (shown only this once):\n"
                    "  username: %(username)s\n"
                    "  password: %(password)s\n"
                    "Log in at %(url)s and change the password."
                )
                % {"username": username, "password": password, "url": url}
            )
        )
