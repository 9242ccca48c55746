"""Accounts limited to an area or a partner group (issue 16): the one place that decides
which workers a user may see and change.

A member of staff may be limited (``StaffProfile.scope_*``) to one or more kelurahan, to whole
kecamatan, or to partner groups (segments). Such a *scoped* user sees only the workers whose
current kelurahan and segment fall in the scope, and only the records that hang off those
workers (heirs, enrollments, claims, DTKS checks, …). Staff without a scope see everything.

The filter is applied in the query, never in a template:

- ``scope_queryset(user, qs, worker_path="worker")`` narrows any queryset, given the path from
  its model to ``participants.Worker`` (``""`` for workers themselves, ``"enrollment__worker"``
  for claims, a tuple of paths when every one must be in scope, ``None`` for personal data not
  tied to one worker: a scoped user then gets nothing);
- ``in_scope(user, obj, worker_path=...)`` answers the same for one object;
- ``scope_owned(user, qs, owner_field="created_by")`` keeps a scoped user's own rows (imports,
  export logs);
- ``scope_choices(user, qs)`` narrows kelurahan, kecamatan and segment choices, so a scoped
  user cannot move or create a worker outside the scope;
- ``siaga.admin_base.ScopedAdminMixin`` applies these in every ModelAdmin from its
  ``scope_worker_path`` declaration.

Whether a user is scoped is read once per request object and cached on the user.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Model, Q, QuerySet
from django.utils.translation import gettext_lazy as _

# ``scope_worker_path`` of admins whose rows name no worker (years, segments, users): scoped
# users see them like everyone else.
NOT_PERSONAL = "-not-personal-"
# Personal data that is not tied to one worker of the registry (other payers' lists, invoice
# reconciliations, frozen batch snapshots): scoped users see none of it.
CITY_WIDE = None

WorkerPath = str | tuple[str, ...] | None

_CACHE_ATTRIBUTE = "_siaga_scope"
_UNSCOPED = object()


@dataclass(frozen=True)
class Scope:
    """What a scoped user may see: worker kelurahan and segments (``None`` = no limit)."""

    kelurahan_ids: frozenset[int] | None
    segment_ids: frozenset[int] | None

    def worker_q(self, worker_path: str = "") -> Q:
        prefix = f"{worker_path}__" if worker_path else ""
        q = Q()
        if self.kelurahan_ids is not None:
            q &= Q(**{f"{prefix}kelurahan_id__in": sorted(self.kelurahan_ids)})
        if self.segment_ids is not None:
            q &= Q(**{f"{prefix}segment_id__in": sorted(self.segment_ids)})
        return q

    def allows(self, *, kelurahan_id: int | None, segment_id: int | None) -> bool:
        """Whether a worker living in ``kelurahan_id`` and in ``segment_id`` is in scope."""
        if self.kelurahan_ids is not None and kelurahan_id not in self.kelurahan_ids:
            return False
        return self.segment_ids is None or segment_id in self.segment_ids


def user_scope(user) -> Scope | None:
    """The user's scope, or None for staff who see the whole registry (and anonymous users,
    whom the views refuse anyway)."""
    if not getattr(user, "is_authenticated", False) or getattr(user, "pk", None) is None:
        return None
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return None if cached is _UNSCOPED else cached
    scope = _read_scope(user)
    setattr(user, _CACHE_ATTRIBUTE, _UNSCOPED if scope is None else scope)
    return scope


def forget_scope(user) -> None:
    """Drop the cached scope (after ``set_user_scope`` on the same user object)."""
    if hasattr(user, _CACHE_ATTRIBUTE):
        delattr(user, _CACHE_ATTRIBUTE)


def _read_scope(user) -> Scope | None:
    from participants.models import Kelurahan

    from .models import StaffProfile

    profile = StaffProfile.objects.filter(user=user).first()
    if profile is None:
        return None
    kecamatan = set(profile.scope_kecamatan.values_list("pk", flat=True))
    kelurahan = set(profile.scope_kelurahan.values_list("pk", flat=True))
    segments = set(profile.scope_segments.values_list("pk", flat=True))
    if not (kecamatan or kelurahan or segments):
        return None
    if kecamatan:
        kelurahan |= set(
            Kelurahan.objects.filter(kecamatan__in=kecamatan).values_list("pk", flat=True)
        )
    return Scope(
        kelurahan_ids=frozenset(kelurahan) if (kecamatan or kelurahan) else None,
        segment_ids=frozenset(segments) if segments else None,
    )


def is_scoped(user) -> bool:
    return user_scope(user) is not None


def _paths(worker_path: WorkerPath) -> tuple[str, ...]:
    return worker_path if isinstance(worker_path, tuple) else (worker_path,)


def scope_queryset(user, qs: QuerySet, worker_path: WorkerPath = "worker") -> QuerySet:
    """``qs`` narrowed to the rows whose worker(s) are in the user's scope; unchanged for
    unscoped staff.

    ``worker_path``: the lookup path from ``qs.model`` to the worker (``""`` when ``qs`` holds
    workers, ``"worker"``, ``"enrollment__worker"``), a tuple of paths that must all be in
    scope (a pair of possible duplicates), ``CITY_WIDE`` (``None``: personal data of no single
    worker, so nothing for a scoped user) or ``NOT_PERSONAL`` (never narrowed).
    """
    scope = user_scope(user)
    if scope is None or worker_path == NOT_PERSONAL:
        return qs
    if worker_path is CITY_WIDE:
        return qs.none()
    q = Q()
    for path in _paths(worker_path):
        q &= scope.worker_q(path)
    return qs.filter(q)


def scope_owned(user, qs: QuerySet, owner_field: str = "created_by") -> QuerySet:
    """For a scoped user only the rows they made themselves (their imports, their exports):
    such rows may name workers outside the scope that no query by worker could narrow."""
    if user_scope(user) is None:
        return qs
    return qs.filter(**{owner_field: user})


def in_scope(user, obj: Model, worker_path: WorkerPath = None) -> bool:
    """Whether the user may see ``obj``: a worker, or a record reached from a worker through
    ``worker_path`` (defaults: ``""`` for a worker, ``"worker"`` for anything else)."""
    from participants.models import Worker

    scope = user_scope(user)
    if scope is None:
        return True
    if worker_path is None:
        worker_path = "" if isinstance(obj, Worker) else "worker"
    if isinstance(obj, Worker) and worker_path == "":
        return scope.allows(kelurahan_id=obj.kelurahan_id, segment_id=obj.segment_id)
    model = type(obj)
    return scope_queryset(user, model._base_manager.filter(pk=obj.pk), worker_path).exists()


def scope_choices(user, qs: QuerySet) -> QuerySet:
    """Kelurahan, kecamatan or segment choices narrowed to the user's scope (a scoped user
    registers and moves workers only inside it); other querysets unchanged."""
    from participants.models import Kecamatan, Kelurahan, Segment

    scope = user_scope(user)
    if scope is None:
        return qs
    if qs.model is Kelurahan and scope.kelurahan_ids is not None:
        return qs.filter(pk__in=sorted(scope.kelurahan_ids))
    if qs.model is Kecamatan and scope.kelurahan_ids is not None:
        return qs.filter(kelurahan_set__in=sorted(scope.kelurahan_ids)).distinct()
    if qs.model is Segment and scope.segment_ids is not None:
        return qs.filter(pk__in=sorted(scope.segment_ids))
    return qs


def out_of_scope_reason(user, *, kelurahan_id: int | None, segment_id: int | None) -> str | None:
    """Why a row for a worker in ``kelurahan_id``/``segment_id`` is refused to this user
    (importers), or None when it is in scope."""
    scope = user_scope(user)
    if scope is None or scope.allows(kelurahan_id=kelurahan_id, segment_id=segment_id):
        return None
    if scope.kelurahan_ids is not None and kelurahan_id not in scope.kelurahan_ids:
        return str(
            _("This kelurahan is outside your area (%(scope)s).") % {"scope": describe(user)}
        )
    return str(_("This group is outside your scope (%(scope)s).") % {"scope": describe(user)})


def describe(user) -> str:
    """The user's scope in words, e.g. "Kelurahan Klegen, Kelun" or "Segmen Ojol"."""
    from participants.models import Kelurahan, Segment

    scope = user_scope(user)
    if scope is None:
        return str(_("the whole registry"))
    parts = []
    if scope.kelurahan_ids is not None:
        names = Kelurahan.objects.filter(pk__in=sorted(scope.kelurahan_ids)).order_by("code")
        parts.append(_("kelurahan %(names)s") % {"names": ", ".join(k.name for k in names)})
    if scope.segment_ids is not None:
        names = Segment.objects.filter(pk__in=sorted(scope.segment_ids)).order_by("name")
        parts.append(_("group %(names)s") % {"names": ", ".join(s.name for s in names)})
    return "; ".join(str(p) for p in parts)


# --- setting a scope (admin form, ``scope_user`` command) -------------------------------------

# Kemendagri codes: province.regency.district[.village]; which ones exist is the reference
# data's business (the region's table), not this pattern's.
AREA_CODE = re.compile(r"^([0-9]{2})\.?([0-9]{2})\.?([0-9]{2})(?:\.?([0-9]{4}))?$")


class ScopeError(ValueError):
    pass


def parse_area_codes(codes: Iterable[str]) -> tuple[list, list]:
    """(kecamatan, kelurahan) for official area codes: ``35.77.01`` (kecamatan) or
    ``35.77.01.1001`` (kelurahan), dots optional (``3577011001``)."""
    from participants.models import Kecamatan, Kelurahan

    kecamatan, kelurahan = [], []
    for raw in codes:
        code = raw.strip()
        if not code:
            continue
        match = AREA_CODE.match(code)
        if match is None:
            raise ScopeError(
                _(
                    "“%(code)s” is not an area code: write a kecamatan as 35.77.01 or a "
                    "kelurahan as 35.77.01.1001."
                )
                % {"code": code}
            )
        province, city, district, village = match.groups()
        dotted = f"{province}.{city}.{district}"
        if village:
            found = Kelurahan.objects.filter(code=f"{dotted}.{village}").first()
            if found is None:
                raise ScopeError(
                    _("No kelurahan has the code %(code)s.") % {"code": f"{dotted}.{village}"}
                )
            kelurahan.append(found)
        else:
            found = Kecamatan.objects.filter(code=dotted).first()
            if found is None:
                raise ScopeError(_("No kecamatan has the code %(code)s.") % {"code": dotted})
            kecamatan.append(found)
    if not (kecamatan or kelurahan):
        raise ScopeError(_("Give at least one area code."))
    return kecamatan, kelurahan


def set_user_scope(*, user, kecamatan=(), kelurahan=(), segments=()) -> None:
    """Replace the user's scope (all empty = the whole registry)."""
    from django.db import transaction

    from .models import StaffProfile

    with transaction.atomic():
        profile, _created = StaffProfile.objects.get_or_create(user=user)
        profile.scope_kecamatan.set(kecamatan)
        profile.scope_kelurahan.set(kelurahan)
        profile.scope_segments.set(segments)
    forget_scope(user)
