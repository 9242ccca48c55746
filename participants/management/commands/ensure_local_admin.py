"""Create a local administrator for development if the database has none.

`make run` calls this on every start: the first time it prints the username and a generated
password (once; they are not stored anywhere else), afterwards it does nothing.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a local superuser with a generated password if no superuser exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")
        parser.add_argument(
            "--url", default="http://127.0.0.1:8000/admin/", help="Where the admin will be served."
        )

    def handle(self, *args, username: str, url: str, **options):
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            self.stdout.write("A superuser already exists; nothing to do.")
            return
        password = secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(
            self.style.SUCCESS(
                "Local administrator created (shown only this once):\n"
                f"  username: {username}\n"
                f"  password: {password}\n"
                f"Log in at {url} and change the password."
            )
        )
