"""The staff header shared by the admin and the custom pages (dashboard, priority list, imports).

Each link is shown only to a user who can open it: the same checks the target view makes
(the admin's ``has_permission`` — active staff — plus the model or view permission; the
dashboard's ``dashboard.view_dashboard``). ``templates/siaga/_staff_nav.html`` renders it; the
context processor ``staff_nav`` makes it available, computed only when a template uses it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavLink:
    key: str
    label: str
    url: str
    active: bool = False


def can_open_admin(user: AbstractBaseUser | AnonymousUser) -> bool:
    """What ``AdminSite.has_permission`` requires before any admin page opens."""
    return bool(user.is_active and user.is_staff)


def can_open_admin_list(user: AbstractBaseUser | AnonymousUser, perm: str) -> bool:
    """An admin list opens for active staff with the model's view (or change) permission."""
    if not can_open_admin(user):
        return False
    app_label, codename = perm.split(".")
    change = f"{app_label}.{codename.replace('view_', 'change_', 1)}"
    return user.has_perm(perm) or user.has_perm(change)


def priority_list_url() -> str:
    """The priority list of the latest program year still open, else the rules' list."""
    TargetingRule = apps.get_model("targeting", "TargetingRule")
    rule = (
        TargetingRule.objects.exclude(program_year__status="ditutup")
        .order_by("-program_year__year")
        .only("pk")
        .first()
    )
    if rule is None:
        return reverse("admin:targeting_targetingrule_changelist")
    return reverse("admin:targeting_targetingrule_priority", args=[rule.pk])


def staff_links(user: AbstractBaseUser | AnonymousUser, path: str = "") -> list[NavLink]:
    """The header's links for ``user``, in the order of the office's day."""
    if not user.is_authenticated or not user.is_active:
        return []
    candidates: list[tuple[str, str, object]] = []
    if can_open_admin(user):
        candidates.append(("admin", _("Admin home"), lambda: reverse("admin:index")))
    if can_open_admin_list(user, "participants.view_worker"):
        candidates.append(
            ("workers", _("Workers"), lambda: reverse("admin:participants_worker_changelist"))
        )
    if can_open_admin(user) and user.has_perm("importer.import_workers"):
        candidates.append(
            ("imports", _("Import workers"), lambda: reverse("admin:participants_worker_import"))
        )
    elif can_open_admin_list(user, "importer.view_importjob"):
        candidates.append(
            ("imports", _("Imports"), lambda: reverse("admin:importer_importjob_changelist"))
        )
    if can_open_admin_list(user, "enrollment.view_enrollment"):
        candidates.append(
            (
                "enrollments",
                _("Enrollments"),
                lambda: reverse("admin:enrollment_enrollment_changelist"),
            )
        )
    if can_open_admin_list(user, "targeting.view_targetingrule"):
        candidates.append(("priority", _("Priority list"), priority_list_url))
    if can_open_admin_list(user, "complaints.view_ticket"):
        candidates.append(
            ("complaints", _("Complaints"), lambda: reverse("admin:complaints_ticket_changelist"))
        )
    if user.has_perm("dashboard.view_dashboard"):
        candidates.append(("dashboard", _("Dashboard"), lambda: reverse("dashboard:index")))
    links = [NavLink(key, str(label), url()) for key, label, url in candidates]
    return _mark_active(links, path)


def _mark_active(links: list[NavLink], path: str) -> list[NavLink]:
    """The link whose address is the longest prefix of the current path is the current one."""
    best = None
    for link in links:
        base = link.url.split("?")[0]
        if path.startswith(base) and (best is None or len(base) > len(best.url.split("?")[0])):
            best = link
    return [NavLink(lk.key, lk.label, lk.url, active=lk is best) for lk in links]


def staff_nav(request: HttpRequest) -> dict[str, object]:
    """Context processor: ``staff_nav`` (the header's links), computed on first use."""
    return {
        "staff_nav": SimpleLazyObject(
            lambda: staff_links(getattr(request, "user", AnonymousUser()), request.path)
        )
    }
