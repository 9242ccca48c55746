"""Limit a member of staff to an area or a partner group, or lift the limit (issue 16).

    python manage.py scope_user USERNAME --area 35.77.01.1001,35.77.01.1002
    python manage.py scope_user USERNAME --area 35.77.02          # a whole kecamatan
    python manage.py scope_user USERNAME --group ojol             # a segment's code
    python manage.py scope_user USERNAME --clear                  # the whole registry again
    python manage.py scope_user USERNAME                          # show the scope

Area codes are the official ones (Kepmendagri No 300.2.2-2138 Tahun 2025), with or without
dots. The same fields are on the user's page in the admin.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scoping import ScopeError, describe, parse_area_codes, set_user_scope
from participants.models import Segment


class Command(BaseCommand):
    help = (
        "Limit a user to kelurahan/kecamatan (--area) or a partner group (--group), or lift "
        "the limit (--clear)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        choice = parser.add_mutually_exclusive_group()
        choice.add_argument(
            "--area",
            metavar="CODE[,CODE…]",
            help=gettext_lazy(
                "Kelurahan (35.77.01.1001) or kecamatan (35.77.01) codes, comma-separated."
            ),
        )
        choice.add_argument(
            "--group", metavar="SEGMENT_CODE", help=gettext_lazy("A segment's code, e.g. ojol.")
        )
        choice.add_argument(
            "--clear", action="store_true", help=gettext_lazy("The whole registry again.")
        )

    def handle(self, *args, username: str, area, group, clear, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("No user is called %(user)s.") % {"user": username})
        if area is not None:
            try:
                kecamatan, kelurahan = parse_area_codes(area.split(","))
            except ScopeError as exc:
                raise CommandError(str(exc)) from exc
            set_user_scope(user=user, kecamatan=kecamatan, kelurahan=kelurahan)
        elif group is not None:
            segment = Segment.objects.filter(code=group.strip()).first()
            if segment is None:
                codes = ", ".join(Segment.objects.order_by("code").values_list("code", flat=True))
                raise CommandError(
                    _("No segment has the code %(code)s. Known codes: %(codes)s.")
                    % {"code": group, "codes": codes}
                )
            set_user_scope(user=user, segments=[segment])
        elif clear:
            set_user_scope(user=user)
        self.stdout.write(
            _("%(user)s sees: %(scope)s.") % {"user": username, "scope": describe(user)}
        )
