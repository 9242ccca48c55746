"""Who may be covered in a program year: the one eligibility rule.

Proposal, verification, renewal, the priority list and the admin's enrollment page all ask
``enrollment_eligibility``; errors refuse, warnings only inform staff. The year's own
requirements per worker type (``EligibilityRequirement``: DTKS/DTSEN and desil, income
ceiling, accepted segments) are part of it; ``requirement_filter`` is their SQL twin for the
priority list, which ranks in the database.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from participants import regions
from participants.models import DtksStatus, Worker, WorkerType, shift_years
from participants.regions import normalize_code
from participants.validators import parse_nik
from siaga.formatting import rupiah

from .models import EligibilityRequirement, Enrollment, ProgramYear
from .premiums import default_coverage_start

# A DTKS/DTSEN answer is re-checked after a year: the register changes during the year (BPS
# re-ranks desil every 3 months).
DTKS_RECHECK_AFTER_YEARS = 1


@dataclass(frozen=True)
class Finding:
    """One eligibility result with a stable code (for tests and reports) and a message."""

    code: str
    message: str

    def __str__(self) -> str:
        return str(self.message)


# Other apps' warnings (e.g. dedup: "another payer already covers this NIK"), registered in
# their AppConfig.ready so eligibility does not depend on them. Each is called with
# ``worker`` and ``program_year`` and returns a list of ``Finding``.
WARNING_HOOKS: list = []


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
    """Village codes of the region (SIAGA_REGION ``35.77``) start with ``35.77.``."""
    return normalize_code(settings.SIAGA_REGION) + "."


def dtks_stale_before(today: datetime.date | None = None) -> datetime.date:
    """A DTKS check made before this day is older than 12 months."""
    return shift_years(today or timezone.localdate(), -DTKS_RECHECK_AFTER_YEARS)


def requirement_for(program_year: ProgramYear, worker_type: str) -> EligibilityRequirement | None:
    """The year's requirement for ``worker_type``, or None. Read once per year instance (with
    the accepted segment ids), so bulk callers that share the instance ask the database once."""
    cached = getattr(program_year, "_eligibility_requirements", None)
    if cached is None:
        cached = {}
        if program_year.pk is not None:
            for requirement in EligibilityRequirement.objects.filter(
                program_year=program_year
            ).prefetch_related("segments"):
                requirement.segment_ids = {s.pk for s in requirement.segments.all()}
                cached[requirement.worker_type] = requirement
        program_year._eligibility_requirements = cached
    return cached.get(worker_type)


def requirement_filter(program_year: ProgramYear) -> Q:
    """The year's requirements as one filter on workers (by their worker type): the SQL twin
    of ``_requirement_findings``, used by the priority list."""
    condition = Q()
    for worker_type in WorkerType.values:
        requirement = requirement_for(program_year, worker_type)
        if requirement is None:
            continue
        passes = Q()
        if requirement.dtks_required:
            passes &= Q(dtks_status=DtksStatus.REGISTERED)
            if requirement.max_desil is not None:
                passes &= Q(dtks_desil__lte=requirement.max_desil)
        if requirement.income_ceiling is not None:
            passes &= Q(monthly_income__lte=requirement.income_ceiling)
        if requirement.segment_ids:
            passes &= Q(segment_id__in=sorted(requirement.segment_ids))
        condition &= ~Q(worker_type=worker_type) | passes
    return condition


def _requirement_findings(
    worker: Worker, program_year: ProgramYear, worker_type: str
) -> list[Finding]:
    requirement = requirement_for(program_year, worker_type)
    if requirement is None:
        return []
    found = []
    params = {"year": program_year.year, "type": worker_type}
    if requirement.dtks_required and worker.dtks_status != DtksStatus.REGISTERED:
        found.append(
            Finding(
                "dtks_required",
                gettext(
                    "In %(year)s a %(type)s worker must be in DTKS/DTSEN; this worker is: "
                    "%(status)s."
                )
                % {**params, "status": DtksStatus(worker.dtks_status).label},
            )
        )
    elif requirement.dtks_required and requirement.max_desil is not None:
        if worker.dtks_desil is None:
            found.append(
                Finding(
                    "desil_unknown",
                    gettext(
                        "In %(year)s a %(type)s worker must be in desil %(max)d or lower; "
                        "this worker's desil is not known."
                    )
                    % {**params, "max": requirement.max_desil},
                )
            )
        elif worker.dtks_desil > requirement.max_desil:
            found.append(
                Finding(
                    "desil_too_high",
                    gettext(
                        "In %(year)s a %(type)s worker must be in desil %(max)d or lower; "
                        "this worker is in desil %(desil)d."
                    )
                    % {**params, "max": requirement.max_desil, "desil": worker.dtks_desil},
                )
            )
    if requirement.income_ceiling is not None:
        income = worker.monthly_income
        if income is None:
            found.append(
                Finding(
                    "income_unknown",
                    gettext(
                        "In %(year)s a %(type)s worker's income must be at most %(ceiling)s; "
                        "this worker's income is not known."
                    )
                    % {**params, "ceiling": rupiah(requirement.income_ceiling)},
                )
            )
        elif income > requirement.income_ceiling:
            found.append(
                Finding(
                    "income_above_ceiling",
                    gettext(
                        "In %(year)s a %(type)s worker's income must be at most %(ceiling)s; "
                        "this worker declared %(income)s."
                    )
                    % {
                        **params,
                        "ceiling": rupiah(requirement.income_ceiling),
                        "income": rupiah(income),
                    },
                )
            )
    if requirement.segment_ids and worker.segment_id not in requirement.segment_ids:
        found.append(
            Finding(
                "segment_not_accepted",
                gettext(
                    "In %(year)s the economic activity %(segment)s is not among those accepted "
                    "for %(type)s workers."
                )
                % {**params, "segment": worker.segment},
            )
        )
    return found


def _dtks_warnings(worker: Worker) -> list[Finding]:
    """A worker never checked against DTKS/DTSEN, or checked more than 12 months ago."""
    if worker.dtks_status == DtksStatus.UNCHECKED or worker.dtks_checked_on is None:
        return [
            Finding(
                "dtks_unchecked",
                gettext(
                    "The worker has not been checked against DTKS/DTSEN: ask Dinas Sosial "
                    "(Targeting → DTKS checks)."
                ),
            )
        ]
    if worker.dtks_checked_on < dtks_stale_before():
        return [
            Finding(
                "dtks_stale",
                gettext(
                    "The DTKS/DTSEN check of %(date)s is more than 12 months old: ask Dinas "
                    "Sosial again (Targeting → DTKS checks)."
                )
                % {"date": worker.dtks_checked_on.strftime("%d-%m-%Y")},
            )
        ]
    return []


def enrollment_eligibility(
    *,
    worker: Worker,
    program_year: ProgramYear,
    worker_type: str | None = None,
    coverage_start: datetime.date | None = None,
    exclude: Enrollment | None = None,
    enrolled: bool | None = None,
    has_heirs: bool | None = None,
    with_warnings: bool = True,
) -> Eligibility:
    """Whether ``worker`` may be covered in ``program_year``: errors refuse, warnings inform.

    The one eligibility rule, used by proposal, verification, renewal and the admin page.
    Age: completed years on the coverage start within the year's ``min_age``..``max_age``
    (defaults 18..65, see docs/enrollment.md "Age rule").
    ``enrolled`` (already has an enrollment in the year) and ``has_heirs`` may be passed by
    bulk callers that read them for many workers at once; otherwise they are queried here.
    Bulk callers that show no warnings (renewal) pass ``with_warnings=False``.
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
            Finding(
                "not_resident",
                gettext("The worker's kelurahan/desa is not in %(area)s.")
                % {"area": regions.current().name},
            )
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

    result.errors.extend(_requirement_findings(worker, program_year, worker_type))
    if not with_warnings:
        return result

    # NIK/birth-date/sex mismatches and a NIK issued outside 35.77: staff look, nothing refused.
    for warning in worker.warnings():
        result.warnings.append(Finding(warning.code, str(warning.message)))
    result.warnings.extend(_dtks_warnings(worker))
    for hook in WARNING_HOOKS:
        result.warnings.extend(hook(worker=worker, program_year=program_year))
    if has_heirs is None:
        has_heirs = worker.heirs.exists()
    if not has_heirs:
        result.warnings.append(
            Finding("no_heirs", gettext("No heirs are recorded: JKM benefits need an heir."))
        )
    return result
