"""Load the kecamatan and desa/kelurahan of SIAGA_REGION (idempotent; ``make run`` calls it)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from participants.regions import RegionError, load_region


class Command(BaseCommand):
    help = (
        "Load the kecamatan and desa/kelurahan of the region (SIAGA_REGION, e.g. 35.77) from "
        "the shipped Kepmendagri 2025 table. Safe to repeat; refuses a database that already "
        "holds workers of another region."
    )

    def handle(self, *args, **options):
        try:
            result = load_region(settings.SIAGA_REGION)
        except RegionError as error:
            raise CommandError(str(error)) from error
        loaded = result.region
        desa = sum(1 for v in loaded.villages if v.kind == "desa")
        self.stdout.write(
            f"{loaded.code} {loaded.name}: {len(loaded.kecamatan)} kecamatan, "
            f"{len(loaded.villages) - desa} kelurahan, {desa} desa "
            f"(baru: {result.kecamatan_created} kecamatan, {result.villages_created} "
            f"kelurahan/desa; dihapus: {result.removed})."
        )
