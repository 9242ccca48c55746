"""Give the admins that Django and the libraries register (users, groups, login attempts,
background tasks) Siaga's shared admin behaviour: odd query strings never answer 500, and
every action declares its permission (siaga.admin_base)."""

from __future__ import annotations

from django.contrib import admin
from django.utils import timezone

from accounts.scoping import NOT_PERSONAL
from siaga.admin_base import ActionPermissionsMixin, SafeChangeListMixin, ScopedAdminMixin


def _with_declared_action_permissions(admin_class: type) -> dict:
    """Library actions that declare no permission get the model's delete permission: the only
    one such action (axes' "clean up expired attempts") deletes rows."""
    overrides = {}
    for name in admin_class.actions or []:
        if not isinstance(name, str):
            continue
        func = getattr(admin_class, name)
        if getattr(func, "allowed_permissions", None):
            continue

        def declared(self, request, queryset, _func=func):
            # axes' handler reads the attempt time its middleware sets on login requests only.
            if not hasattr(request, "axes_attempt_time"):
                request.axes_attempt_time = timezone.now()
            return _func(self, request, queryset)

        declared.short_description = getattr(func, "short_description", name)
        declared.allowed_permissions = ("delete",)
        overrides[name] = declared
    return overrides


def adopt_library_admins(site: admin.AdminSite = admin.site) -> None:
    """Re-register every ModelAdmin not built on Siaga's bases with those bases mixed in."""
    for model, model_admin in list(site._registry.items()):
        admin_class = type(model_admin)
        if isinstance(model_admin, SafeChangeListMixin):
            continue
        adopted = type(
            admin_class.__name__,
            (ScopedAdminMixin, SafeChangeListMixin, ActionPermissionsMixin, admin_class),
            {
                "__module__": __name__,
                # Users, groups, login records, background tasks: no worker's data.
                "scope_worker_path": NOT_PERSONAL,
                **_with_declared_action_permissions(admin_class),
            },
        )
        site.unregister(model)
        site.register(model, adopted)
