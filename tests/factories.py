"""factory_boy factories shared by all tests. Data look like Kota Madiun's."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model

from participants.models import Heir, Kelurahan, Relationship, Segment, Sex, Worker, WorkerType


def make_nik(
    *,
    birth_date: datetime.date,
    sex: str,
    serial: int,
    region: str = "357701",
) -> str:
    """A structurally valid NIK: region (6) + DDMMYY (day + 40 for women) + serial (4)."""
    day = birth_date.day + (40 if sex == Sex.FEMALE else 0)
    return f"{region}{day:02d}{birth_date:%m%y}{serial % 9999 + 1:04d}"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"staf{n}")
    is_staff = True
    password = factory.django.Password("rahasia-sekali-123")


class WorkerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Worker

    full_name = factory.Sequence(lambda n: f"Pekerja Nomor {n}")
    birth_place = "Madiun"
    birth_date = factory.Sequence(
        lambda n: datetime.date(1970, 1, 1) + datetime.timedelta(n * 37 % 12000)
    )
    sex = factory.Iterator([Sex.MALE, Sex.FEMALE])
    nik = factory.LazyAttributeSequence(
        lambda o, n: make_nik(
            birth_date=o.birth_date,
            sex=o.sex,
            serial=n,
            region=f"35770{1 + n % 3}",
        )
    )
    kk_number = factory.Sequence(lambda n: f"357701{n:010d}")
    address = factory.Sequence(lambda n: f"Jl. Pahlawan No. {n}")
    rt = "001"
    rw = "002"
    kelurahan = factory.LazyFunction(lambda: Kelurahan.objects.get(name="Kartoharjo"))
    phone = "+6281234567890"
    worker_type = WorkerType.BPU
    segment = factory.LazyFunction(lambda: Segment.objects.get(code="ojol"))
    monthly_income = 1_000_000


class HeirFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Heir

    worker = factory.SubFactory(WorkerFactory)
    name = factory.Sequence(lambda n: f"Ahli Waris {n}")
    relationship = Relationship.CHILD
    birth_date = datetime.date(2015, 6, 1)


def worker_admin_form(**overrides):
    """POST data of the admin's worker add form with one heir (a valid worker)."""
    born = datetime.date(1985, 3, 12)
    data = {
        "nik": make_nik(birth_date=born, sex="P", serial=7),
        "kk_number": "3577010101010001",
        "full_name": "Siti Aminah",
        "birth_place": "Madiun",
        "birth_date": "12/03/1985",
        "sex": "P",
        "address": "Jl. Salak 3",
        "rt": "001",
        "rw": "002",
        "kelurahan": Kelurahan.objects.get(name="Kelun").pk,
        "phone": "0812 3456 7890",
        "worker_type": "BPU",
        "segment": Segment.objects.get(code="pkl").pk,
        "employer_name": "Paguyuban PKL Pahlawan",
        "monthly_income": "1500000",
        "dtks_status": "unchecked",
        "is_active": "on",
        "heirs-TOTAL_FORMS": "1",
        "heirs-INITIAL_FORMS": "0",
        "heirs-MIN_NUM_FORMS": "0",
        "heirs-MAX_NUM_FORMS": "1000",
        "heirs-0-name": "Andi",
        "heirs-0-relationship": "child",
        "heirs-0-birth_date": "01/06/2015",
        "heirs-0-school_level": "sd",
    }
    data.update(overrides)
    return data


def cli_user_args(args=()) -> tuple:
    """``--user`` for an import command that writes (the CLI requires a named user): a
    superuser made on first use, unless the test gives its own --user or only checks."""
    if "--user" in args or "--dry-run" in args:
        return tuple(args)
    UserFactory(username="cli-importir", is_superuser=True)
    return (*args, "--user", "cli-importir")
