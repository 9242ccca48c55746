"""Who may be covered in a program year: the one eligibility rule.

Proposal, verification, renewal, the priority list and the admin's enrollment page all ask
``enrollment_eligibility``; errors refuse, warnings only inform staff.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from participants.models import Worker, WorkerType
from participants.validators import parse_nik

from .models import Enrollment, ProgramYear
from .premiums import default_coverage_start


@dataclass(frozen=True)
class Finding:
    """One eligibility result with a stable code (for tests and reports) and a message."""

    code: str
    message: str

    def __str__(self) -> str:
        return str(self.message)


@dataclass
class Eligibility:
    errors: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def is_eligible(self) -> bool:
        return not self.errors

    def as_validation_error(self) -> ValidationError:
        return ValidationError([ValidationError(f.message, code=f.code) for f in self.errors])


def _city_kelurahan_prefix() -> str:
    code = settings.SIAGA_CITY_REGION_CODE
    return f"{code[:2]}.{code[2:4]}."


def enrollment_eligibility(
    *,
    worker: Worker,
    program_year: ProgramYear,
    worker_type: str | None = None,
    coverage_start: datetime.date | None = None,
    exclude: Enrollment | None = None,
    enrolled: bool | None = None,
    has_heirs: bool | None = None,
) -> Eligibility:
    """Whether ``worker`` may be covered in ``program_year``: errors refuse, warnings inform.

    The one eligibility rule, used by proposal, verification, renewal and the admin page.
    Age: completed years on the coverage start within the year's ``min_age``..``max_age``
    (defaults 18..65, see docs/enrollment.md "Age rule").
    ``enrolled`` (already has an enrollment in the year) and ``has_heirs`` may be passed by
    bulk callers that read them for many workers at once; otherwise they are queried here.
    """
    result = Eligibility()
    worker_type = worker_type or worker.worker_type
    # Without a start: the day a proposal made today would start (premiums.default_coverage_start).
    start = coverage_start or default_coverage_start(
        program_year=program_year, today=timezone.localdate()
    )

    try:
        parse_nik(worker.nik)
    except ValidationError as exc:
        result.errors.append(Finding("nik_invalid", "; ".join(exc.messages)))

    if worker.death_date is not None:
        result.errors.append(
            Finding(
                "deceased",
                gettext("The worker died on %(date)s.")
                % {"date": worker.death_date.strftime("%d-%m-%Y")},
            )
        )

    if not worker.is_active:
        result.errors.append(
            Finding(
                "deactivated",
                gettext("The worker's record is deactivated: %(reason)s")
                % {"reason": worker.deactivation_reason},
            )
        )

    age = worker.age_on(start)
    if not program_year.min_age <= age <= program_year.max_age:
        result.errors.append(
            Finding(
                "age_out_of_range",
                gettext("Age %(age)d on %(date)s is outside the program's range %(min)d-%(max)d.")
                % {
                    "age": age,
                    "date": start.strftime("%d-%m-%Y"),
                    "min": program_year.min_age,
                    "max": program_year.max_age,
                },
            )
        )

    if not worker.kelurahan.code.startswith(_city_kelurahan_prefix()):
        result.errors.append(
            Finding("not_resident", gettext("The worker's kelurahan is not in Kota Madiun."))
        )

    if enrolled is None:
        others = Enrollment.objects.filter(worker=worker, program_year=program_year)
        if exclude is not None and exclude.pk:
            others = others.exclude(pk=exclude.pk)
        enrolled = others.exists()
    if enrolled:
        result.errors.append(
            Finding(
                "already_enrolled",
                gettext("The worker already has an enrollment in %(year)s.")
                % {"year": program_year.year},
            )
        )

    if worker_type == WorkerType.BPU and worker.employer_covered:
        result.errors.append(
            Finding(
                "employer_covered",
                gettext(
                    "An employer already covers this worker, so the city cannot pay BPU cover."
                ),
            )
        )

    # NIK/birth-date/sex mismatches and a NIK issued outside 35.77: staff look, nothing refused.
    for warning in worker.warnings():
        result.warnings.append(Finding(warning.code, str(warning.message)))
    if has_heirs is None:
        has_heirs = worker.heirs.exists()
    if not has_heirs:
        result.warnings.append(
            Finding("no_heirs", gettext("No heirs are recorded: JKM benefits need an heir."))
        )
    return result
