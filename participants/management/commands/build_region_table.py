"""Regenerate participants/data/wilayah.csv.gz from the official Kepmendagri 2025 table."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from participants.regions import TABLE, shared_source, table_bytes, table_rows


class Command(BaseCommand):
    help = (
        "Rebuild the shipped region table (participants/data/wilayah.csv.gz) from "
        "../shared/data/wilayah_kepmendagri_2025.csv (columns kode,nama)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--source", type=Path, help="The official CSV (default: ../shared).")
        parser.add_argument(
            "--check", action="store_true", help="Only report whether the shipped file is current."
        )

    def handle(self, *args, source, check, **options):
        source = source or shared_source()
        if source is None or not source.is_file():
            raise CommandError(
                "Tabel wilayah_kepmendagri_2025.csv tidak ditemukan; pakai --source."
            )
        rows = table_rows(source)
        data = table_bytes(rows)
        current = TABLE.read_bytes() if TABLE.exists() else b""
        if check:
            if data != current:
                raise CommandError(f"{TABLE} tidak sesuai dengan {source}.")
            self.stdout.write(f"{TABLE.name} sesuai dengan {source} ({len(rows):,} kode).")
            return
        TABLE.write_bytes(data)
        self.stdout.write(f"{TABLE.name}: {len(rows):,} kode, {len(data):,} byte.")
