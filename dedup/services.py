"""Deciding possible duplicates: "different people" (remembered) or "same person" (merge)."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from participants.models import Worker

from .models import DuplicatePair, PairStatus, WorkerAlias, fingerprint
from .scan import Candidate


def _ordered(worker_1: Worker, worker_2: Worker) -> tuple[Worker, Worker]:
    return (worker_1, worker_2) if worker_1.nik < worker_2.nik else (worker_2, worker_1)


@transaction.atomic
def pairs_refresh(candidates: list[Candidate], *, full_scan: bool = True) -> dict[str, int]:
    """Store a scan's pairs as the review queue: new pairs open, decided pairs whose records
    changed in a compared field open again; open pairs the scan no longer finds go (a full
    scan only). Returns counts."""
    existing = {(p.nik_a, p.nik_b): p for p in DuplicatePair.objects.all()}
    seen = set()
    created = reopened = 0
    new_pairs = []
    for candidate in candidates:
        key = (candidate.a.nik, candidate.b.nik)
        seen.add(key)
        pair = existing.get(key)
        current = fingerprint(candidate.a, candidate.b)
        if pair is None:
            new_pairs.append(
                DuplicatePair(
                    worker_a_id=candidate.a.pk,
                    worker_b_id=candidate.b.pk,
                    nik_a=candidate.a.nik,
                    nik_b=candidate.b.nik,
                    score=candidate.score,
                    reasons=candidate.reasons,
                    fingerprint=current,
                )
            )
            created += 1
        elif pair.status == PairStatus.OPEN:
            if (pair.score, pair.reasons) != (candidate.score, candidate.reasons):
                pair.score, pair.reasons, pair.fingerprint = (
                    candidate.score,
                    candidate.reasons,
                    current,
                )
                pair.save(update_fields=["score", "reasons", "fingerprint"])
        elif pair.fingerprint != current:
            pair.status, pair.score, pair.reasons = (
                PairStatus.OPEN,
                candidate.score,
                candidate.reasons,
            )
            pair.fingerprint, pair.decided_at, pair.decided_by = current, None, None
            pair._change_reason = _("A compared field changed after the decision.")
            pair.save()
            reopened += 1
    DuplicatePair.objects.bulk_create(new_pairs, batch_size=1_000)
    gone = 0
    if full_scan:
        stale = [
            pk
            for key, pair in existing.items()
            if pair.status == PairStatus.OPEN and key not in seen
            for pk in [pair.pk]
        ]
        gone = DuplicatePair.objects.filter(pk__in=stale).delete()[0] if stale else 0
    return {"created": created, "reopened": reopened, "removed": gone}


@transaction.atomic
def pair_mark_distinct(
    *, pair: DuplicatePair, user: AbstractBaseUser, note: str = ""
) -> DuplicatePair:
    """Different people: the pair stays out of the queue until a compared field changes."""
    pair = DuplicatePair.objects.select_for_update().get(pk=pair.pk)
    if pair.status == PairStatus.MERGED:
        raise ValidationError(_("These records were already merged."), code="already_merged")
    if pair.worker_a is None or pair.worker_b is None:
        raise ValidationError(_("One of the two records no longer exists."), code="gone")
    pair.status = PairStatus.DISTINCT
    pair.fingerprint = fingerprint(pair.worker_a, pair.worker_b)
    pair.decided_at, pair.decided_by, pair.note = timezone.now(), user, note.strip()
    pair.save()
    return pair


def _references_to_worker() -> list[tuple[type[models.Model], str]]:
    """Every foreign key to Worker in every installed model (history tables included)."""
    found = []
    for model in apps.get_models():
        if model._meta.app_label == "dedup":
            continue
        for field in model._meta.concrete_fields:
            if isinstance(field, models.ForeignKey) and field.related_model is Worker:
                found.append((model, field.name))
    return found


FILLED_FROM_REMOVED = ("kk_number", "phone", "birth_place", "address", "rt", "rw", "employer_name",
                       "monthly_income")  # fmt: skip
DTKS_FIELDS = ("dtks_status", "dtks_desil", "dtks_checked_on", "dtks_source")


def _carry_over(keep: Worker, remove: Worker) -> None:
    """What the kept record lacks comes from the removed one: blanks, and the later DTKS check."""
    for name in FILLED_FROM_REMOVED:
        if getattr(keep, name) in ("", None) and getattr(remove, name) not in ("", None):
            setattr(keep, name, getattr(remove, name))
    if remove.dtks_checked_on and (
        keep.dtks_checked_on is None or remove.dtks_checked_on > keep.dtks_checked_on
    ):
        for name in DTKS_FIELDS:
            setattr(keep, name, getattr(remove, name))


@transaction.atomic
def workers_merge(
    *, keep: Worker, remove: Worker, user: AbstractBaseUser, note: str = ""
) -> Worker:
    """Same person: keep ``keep``; move everything of ``remove`` to it; ``remove``'s NIK
    becomes an alias of ``keep``. The removed record stays in the audit trail (its history,
    the deletion entry and the alias), so the merge can be read back and undone by hand."""
    if keep.pk == remove.pk:
        raise ValidationError(_("Choose two different records."), code="same_record")
    locked = {
        w.pk: w
        for w in Worker.objects.select_for_update()
        .filter(pk__in=[keep.pk, remove.pk])
        .order_by("pk")
    }
    if len(locked) != 2:
        raise ValidationError(_("One of the two records no longer exists."), code="gone")
    keep, remove = locked[keep.pk], locked[remove.pk]

    from enrollment.models import Enrollment

    years = sorted(
        set(Enrollment.objects.filter(worker=keep).values_list("program_year__year", flat=True))
        & set(Enrollment.objects.filter(worker=remove).values_list("program_year__year", flat=True))
    )
    if years:
        raise ValidationError(
            _(
                "Both records hold an enrollment in program year %(years)s. End or reject one "
                "of them first: one person is covered once a year."
            ),
            code="double_cover",
            params={"years": ", ".join(str(y) for y in years)},
        )
    for model, field_name in _references_to_worker():
        if model is Worker:
            continue
        field = model._meta.get_field(field_name)
        if field.one_to_one and model._default_manager.filter(**{field_name: keep}).exists():
            raise ValidationError(
                _("Both records have a %(what)s; it cannot be merged automatically.")
                % {"what": model._meta.verbose_name},
                code="one_to_one",
            )
        model._base_manager.filter(**{field_name: remove}).update(**{field_name: keep})

    # The removed record's own history moves to the kept worker's page.
    history = Worker.history.model
    WorkerAlias.objects.filter(worker=remove).update(worker=keep)
    WorkerAlias.objects.create(
        nik=remove.nik, worker=keep, full_name=remove.full_name, merged_by=user
    )
    pair_key = tuple(sorted([keep.nik, remove.nik]))
    DuplicatePair.objects.filter(status=PairStatus.OPEN).filter(
        models.Q(worker_a=remove) | models.Q(worker_b=remove)
    ).exclude(nik_a=pair_key[0], nik_b=pair_key[1]).delete()
    pair, _created = DuplicatePair.objects.get_or_create(
        nik_a=pair_key[0],
        nik_b=pair_key[1],
        defaults={"worker_a": keep, "worker_b": remove, "score": 0, "fingerprint": ""},
    )
    pair.status, pair.decided_at, pair.decided_by = PairStatus.MERGED, timezone.now(), user
    pair.note = note.strip()
    pair.fingerprint = fingerprint(*_ordered(keep, remove))
    pair.save()

    _carry_over(keep, remove)
    remove._change_reason = _("Merged into NIK %(nik)s") % {"nik": keep.nik}
    removed_pk = remove.pk
    remove.delete()
    history.objects.filter(id=removed_pk).update(id=keep.pk)
    keep._change_reason = _("Merged with NIK %(nik)s (%(name)s)") % {
        "nik": remove.nik,
        "name": remove.full_name,
    }
    keep.updated_by = user
    keep.save()
    return keep
