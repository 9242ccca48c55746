"""Enrollment factories. Program years reuse the 2024/2025 rows the data migration creates."""

from __future__ import annotations

import datetime

import factory

from enrollment.models import (
    MICRO,
    Enrollment,
    EnrollmentStatus,
    PremiumInvoice,
    ProgramYear,
    ProgramYearStatus,
    QuotaTarget,
)
from participants.models import WorkerType
from tests.factories import WorkerFactory


class ProgramYearFactory(factory.django.DjangoModelFactory):
    """A year with a budget; ``year`` 2024/2025 already exist (with rates) and are updated."""

    class Meta:
        model = ProgramYear
        django_get_or_create = ["year"]

    year = 2024
    budget = 1_000_000_000
    coverage_start = factory.LazyAttribute(lambda o: datetime.date(o.year, 1, 1))
    coverage_end = factory.LazyAttribute(lambda o: datetime.date(o.year, 12, 31))
    status = ProgramYearStatus.RUNNING

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        obj = super()._create(model_class, *args, **kwargs)
        # get_or_create keeps the migration's row: apply the requested values to it.
        changed = False
        for name, value in kwargs.items():
            if getattr(obj, name) != value:
                setattr(obj, name, value)
                changed = True
        if changed:
            obj.save()
        return obj


class QuotaTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QuotaTarget

    program_year = factory.SubFactory(ProgramYearFactory)
    worker_type = WorkerType.BPU
    target = 100


class EnrollmentFactory(factory.django.DjangoModelFactory):
    """A proposed BPU enrollment; use the services to move it on."""

    class Meta:
        model = Enrollment

    worker = factory.SubFactory(WorkerFactory)
    program_year = factory.SubFactory(ProgramYearFactory)
    worker_type = factory.LazyAttribute(lambda o: o.worker.worker_type)
    risk_class = factory.LazyAttribute(
        lambda o: "rendah" if o.worker.worker_type == WorkerType.PU else ""
    )
    declared_wage = factory.LazyAttribute(
        lambda o: o.worker.monthly_income if o.worker.worker_type == WorkerType.PU else 0
    )
    # The place is counted where the worker is when proposed (Enrollment.take_worker_place).
    segment = factory.LazyAttribute(lambda o: o.worker.segment)
    kelurahan = factory.LazyAttribute(lambda o: o.worker.kelurahan)
    status = EnrollmentStatus.PROPOSED
    coverage_start = factory.LazyAttribute(lambda o: o.program_year.coverage_start)
    coverage_end = factory.LazyAttribute(lambda o: o.program_year.coverage_end)
    # Rupiah given by a test are whole: the exact (micro) amounts follow from them.
    monthly_premium = None
    committed_amount = 0
    monthly_premium_micro = factory.LazyAttribute(
        lambda o: None if o.monthly_premium is None else o.monthly_premium * MICRO
    )
    committed_micro = factory.LazyAttribute(lambda o: o.committed_amount * MICRO)


class PremiumInvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PremiumInvoice

    program_year = factory.SubFactory(ProgramYearFactory)
    month = 1
    participants_billed = 0
    amount = 0
