"""``manage.py find_duplicates``: possible duplicate workers of the whole registry."""

import json as _json
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from dedup.matching import DEFAULT_MIN_SCORE
from dedup.scan import find_duplicates
from dedup.services import pairs_refresh
from participants.privacy import mask_identity_number


class Command(BaseCommand):
    help = _(
        "List pairs of workers that may be the same person, best first (pairs already decided "
        "are left out unless a compared field changed)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--min-score",
            type=int,
            default=DEFAULT_MIN_SCORE,
            help=_("Lowest score to list (0-100, default %(default)s)."),
        )
        parser.add_argument("--json", action="store_true", help=_("Print JSON."))
        parser.add_argument(
            "--save",
            action="store_true",
            help=_("Also store the pairs as the review queue in the admin."),
        )
        parser.add_argument(
            "--mask", action="store_true", help=_("Mask NIKs in the output (for sharing).")
        )

    def handle(self, *args, min_score, json: bool, save: bool, mask: bool, **options):
        if not 0 <= min_score <= 100:
            raise CommandError(_("--min-score must be between 0 and 100."))
        started = time.monotonic()
        pairs = find_duplicates(min_score=min_score)
        if save:
            pairs_refresh(pairs, full_scan=min_score <= DEFAULT_MIN_SCORE)
        show = mask_identity_number if mask else str
        if json:
            self.stdout.write(
                _json.dumps(
                    {
                        "pairs": [
                            {**p.as_json(), "a": show(p.a.nik), "b": show(p.b.nik)} for p in pairs
                        ]
                    },
                    ensure_ascii=False,
                )
            )
            return
        for p in pairs:
            self.stdout.write(
                f"{p.score:3d}  {show(p.a.nik)} {p.a.full_name}  ~  {show(p.b.nik)} "
                f"{p.b.full_name}: {', '.join(p.reasons)}"
            )
        self.stdout.write(
            _("%(count)d possible duplicate pairs (score ≥ %(min)d) in %(seconds).1f s.")
            % {"count": len(pairs), "min": min_score, "seconds": time.monotonic() - started}
        )
