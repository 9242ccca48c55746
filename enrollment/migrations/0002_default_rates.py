"""Default premium rates for program years 2024 and 2025 (DOMAIN.md).

Sources: PP 44/2015 on the JKK and JKM programmes as amended by PP 82/2019 (PU: JKK 0.24%,
0.54%, 0.89%, 1.27% or 1.74% of the monthly wage by risk class, JKM 0.30%; BPU: JKK 1% of the
declared income bracket, JKM Rp 6.800 a month) and Permenaker 5/2021 (procedures, BPU). The
lowest BPU bracket, Rp 1.000.000, gives JKK Rp 10.000, so the city's package is Rp 16.800.

The years are created in "planning" with a budget of 0: nothing can be verified until staff
enter the APBD figure. Existing rows (a year or rate already edited by staff) are left alone.
"""

import datetime
from decimal import Decimal

from django.db import migrations

BPU_BASIS = (
    "PP 44/2015 jo. PP 82/2019; Permenaker 5/2021. BPU: JKK 1% of the lowest declared income "
    "bracket (Rp 1.000.000) = Rp 10.000/month; JKM Rp 6.800/month."
)
PU_BASIS = (
    "PP 44/2015 jo. PP 82/2019. PU: JKK by work risk class (0.24/0.54/0.89/1.27/1.74% of the "
    "monthly wage); JKM 0.30% of the monthly wage."
)
PU_JKK = [
    ("sangat_rendah", Decimal("0.24")),
    ("rendah", Decimal("0.54")),
    ("sedang", Decimal("0.89")),
    ("tinggi", Decimal("1.27")),
    ("sangat_tinggi", Decimal("1.74")),
]
PU_JKM = Decimal("0.30")
YEARS = (2024, 2025)


def load(apps, schema_editor):
    ProgramYear = apps.get_model("enrollment", "ProgramYear")
    PremiumRate = apps.get_model("enrollment", "PremiumRate")
    for year in YEARS:
        program_year, _ = ProgramYear.objects.get_or_create(
            year=year,
            defaults={
                "budget": 0,
                "coverage_start": datetime.date(year, 1, 1),
                "coverage_end": datetime.date(year, 12, 31),
                "status": "perencanaan",
            },
        )
        PremiumRate.objects.get_or_create(
            program_year=program_year,
            worker_type="BPU",
            risk_class="",
            defaults={"jkk_amount": 10_000, "jkm_amount": 6_800, "legal_basis": BPU_BASIS},
        )
        for risk_class, jkk in PU_JKK:
            PremiumRate.objects.get_or_create(
                program_year=program_year,
                worker_type="PU",
                risk_class=risk_class,
                defaults={"jkk_percent": jkk, "jkm_percent": PU_JKM, "legal_basis": PU_BASIS},
            )


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
