"""Accounts limited to an area or a group (issue 16, item 1): every URL of the project and
every admin model walked as a kelurahan-scoped user, a group-scoped user and unscoped
Disnaker staff, with workers inside and outside the scope.

The scoped users hold every permission of the Administrator role (not superusers, so the
walk reaches every page and action an account can reach); the scope alone must keep the
outside workers away. The walk fails when any answer (HTML, JSON, xlsx/csv unzipped) names an
outside worker's NIK, family card number, heir's NIK or name, or when an outside record's id
answers 200 to a read, change or delete page, or a POST writes anything about it.
"""

from __future__ import annotations

import pytest
import time_machine
from django.contrib import admin
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.urls import reverse

from accounts.roles import ADMINISTRATOR
from accounts.scoping import NOT_PERSONAL, set_user_scope
from enrollment import services
from enrollment.models import Enrollment, ProgramYear
from participants.models import Heir, Kelurahan, Segment, Worker
from siaga.admin_base import UNDECLARED, ScopedAdminMixin
from tests.factories import HeirFactory, UserFactory, WorkerFactory

from .access_world import TODAY, build_world, project_routes
from .test_access import changed_tables, snapshot
from .test_nik_walk import body_text

pytestmark = pytest.mark.django_db

KELURAHAN_USER = "scoped-kelurahan"
GROUP_USER = "scoped-group"
DISNAKER = "disnaker"
SKIPPED = {"admin:logout", "dashboard:logout"}


class ScopeWorld:
    def __init__(self):
        self.world = build_world()
        # Everything build_world made lives in Kartoharjo, segment ojol: outside both scopes.
        # One more outside worker, not enrolled: a candidate on the priority list.
        WorkerFactory()
        outside = list(Worker.objects.order_by("pk"))
        for n, worker in enumerate(outside, start=1):
            worker.full_name = f"Orangluar Zqx{n:02d}"
            worker.save()
        self.outside_workers = outside
        self.outside_texts = sorted(
            {
                *self.world.niks,
                *(w.full_name for w in outside),
                *Heir.objects.values_list("name", flat=True),
            }
        )
        klegen = Kelurahan.objects.get(code="35.77.01.1003")
        pkl = Segment.objects.get(code="pkl")
        year = self.world.objects[ProgramYear]
        # Inside the kelurahan scope (Klegen) and inside the group scope (PKL).
        self.in_area = WorkerFactory(kelurahan=klegen, full_name="Orangdalam Klegen")
        HeirFactory(worker=self.in_area, name="Ahli Dalam Klegen")
        self.in_group = WorkerFactory(segment=pkl, full_name="Orangdalam Pkl")
        self.candidate = WorkerFactory(kelurahan=klegen, full_name="Calondalam Klegen")
        clerk = self.world.users["Operator"]
        services.enrollment_propose(worker=self.in_area, program_year=year, user=clerk)
        services.enrollment_propose(worker=self.in_group, program_year=year, user=clerk)

        self.users = {}
        for username in (KELURAHAN_USER, GROUP_USER, DISNAKER):
            user = UserFactory(username=username, is_staff=True)
            user.groups.add(Group.objects.get(name=ADMINISTRATOR))
            self.users[username] = user
        set_user_scope(user=self.users[KELURAHAN_USER], kelurahan=[klegen])
        set_user_scope(user=self.users[GROUP_USER], segments=[pkl])


@pytest.fixture
def scope_world(db):
    with time_machine.travel(TODAY, tick=False):
        yield ScopeWorld()


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def leaked(sw: ScopeWorld, response, typed: str = "") -> list[str]:
    """The outside workers' NIKs and names in the answer; ``typed`` is what the user searched
    for (echoed in the search box: not a leak, so it is left out of the check)."""
    text = body_text(response)
    if typed:
        text = text.replace(typed, "")
    return [t for t in sw.outside_texts if t in text]


def personal(model) -> bool:
    model_admin = admin.site._registry.get(model)
    return model_admin is not None and model_admin.scope_worker_path != NOT_PERSONAL


def extra_requests(sw: ScopeWorld, client: Client):
    """Searches, autocomplete, exports, actions and custom pages beyond plain GETs."""
    world = sw.world
    outside = world.objects[Worker]
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        for term in (outside.nik, outside.nik[:8], "Orangluar", outside.phone or "0812"):
            yield (
                f"{url}?q={term}",
                lambda url=url, term=term: client.get(url, {"q": term}),
                term,
            )
        yield f"{url}?all", lambda url=url: client.get(url, {"all": ""}), ""
    for app_label, model_name, field in (
        ("participants", "heir", "worker"),
        ("enrollment", "enrollment", "worker"),
    ):
        for term in ("", "Orangluar", outside.nik):
            yield (
                f"autocomplete {app_label} {model_name}.{field} {term!r}",
                lambda a=app_label, m=model_name, f=field, t=term: client.get(
                    reverse("admin:autocomplete"),
                    {"app_label": a, "model_name": m, "field_name": f, "term": t},
                ),
                term,
            )
    export = reverse("admin:participants_worker_export")

    def worker_export(file_format: str):
        form = client.get(export).context["form"]
        data = {"format": file_format, "resource": "0"}
        for name, field in form.fields.items():
            if name.startswith("workerresource_") or getattr(field, "is_selectable_field", False):
                data[name] = "on"
        return client.post(export, data)

    yield "worker export xlsx", lambda: worker_export("0")
    yield "worker export csv", lambda: worker_export("1")
    outside_pks = [w.pk for w in sw.outside_workers]
    for changelist in ("participants_worker", "targeting_dtkscheck"):
        url = reverse(f"admin:{changelist}_changelist")
        yield (
            f"DTKS list {changelist} (outside selected)",
            lambda url=url: client.post(
                url, {"action": "download_dtks_request_list", "_selected_action": outside_pks}
            ),
        )
    enrollments = list(Enrollment.objects.values_list("pk", flat=True))
    url = reverse("admin:enrollment_enrollment_changelist")
    for action in ("verify_beyond_quota", "terminate_selected", "reject_selected"):
        yield (
            f"action {action}",
            lambda action=action: client.post(
                url, {"action": action, "_selected_action": enrollments}
            ),
        )
    for model, obj in world.objects.items():
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        yield (
            f"delete_selected {opts.label}",
            lambda url=url, obj=obj: client.post(
                url, {"action": "delete_selected", "_selected_action": [obj.pk]}
            ),
        )
    add = reverse("admin:enrollment_enrollment_add")
    yield "propose form for an outside worker", lambda: client.get(add, {"worker": outside.pk})
    yield (
        "scholarship",
        lambda: client.get(reverse("admin:enrollment_claim_scholarship"), {"on": "2024-03-15"}),
    )
    yield (
        "priority list",
        lambda: client.get(reverse("admin:targeting_targetingrule_priority", args=[world.rule_pk])),
    )
    for name in ("dashboard:json", "dashboard:xlsx", "dashboard:report"):
        yield name, lambda name=name: client.get(reverse(name, args=[2024]))


def walk(sw: ScopeWorld, username: str) -> tuple[list[str], list[str], dict[str, int]]:
    """(leaks, outside ids answering 200, status per label)."""
    client = client_for(sw.users[username])
    leaks, opened, statuses = [], [], {}
    for route in project_routes():
        if route.key in SKIPPED:
            continue
        url = sw.world.url(route, ADMINISTRATOR)
        response = client.get(url)
        statuses[f"GET {url}"] = response.status_code
        assert response.status_code != 500, url
        if found := leaked(sw, response):
            leaks.append(f"GET {url} ({response.status_code}): {found}")
        object_page = "<path:object_id>" in route.route or "<int:pk>" in route.route
        if route.model is not None and object_page and personal(route.model):
            if response.status_code == 200:
                opened.append(f"GET {url}")
            with transaction.atomic():
                before = snapshot()
                post = client.post(url, {"post": "yes"})
                after = snapshot()
                transaction.set_rollback(True)
            if post.status_code == 200:
                opened.append(f"POST {url}")
            if changed := changed_tables(before, after):
                opened.append(f"POST {url} wrote {changed}")
            if found := leaked(sw, post):
                leaks.append(f"POST {url} ({post.status_code}): {found}")
    for label, request, *typed in extra_requests(sw, client):
        with transaction.atomic():
            response = request()
            transaction.set_rollback(True)
        statuses[label] = response.status_code
        assert response.status_code != 500, label
        if found := leaked(sw, response, *typed):
            leaks.append(f"{label} ({response.status_code}): {found}")
    return leaks, opened, statuses


@pytest.mark.parametrize("username", [KELURAHAN_USER, GROUP_USER])
def test_a_scoped_user_never_sees_or_opens_a_worker_outside_the_scope(scope_world, username):
    with time_machine.travel(TODAY, tick=False):
        leaks, opened, statuses = walk(scope_world, username)
    assert len(statuses) > 300
    assert not leaks, "\n".join(leaks)
    assert not opened, "\n".join(opened)


def test_unscoped_disnaker_staff_see_the_outside_workers(scope_world):
    """The walk can fail: without a scope the same requests show the outside workers."""
    with time_machine.travel(TODAY, tick=False):
        leaks, opened, _statuses = walk(scope_world, DISNAKER)
    outside = Worker.objects.get(pk=scope_world.world.objects[Worker].pk)
    shown = "\n".join(leaks)
    assert outside.nik in shown and outside.full_name in shown
    for label in ("worker export xlsx", "priority list", "autocomplete participants"):
        assert any(line.startswith(label) for line in leaks), (label, shown)
    assert any(line.startswith("GET /admin/participants/worker/") for line in opened)


@pytest.mark.parametrize(
    ("username", "inside"), [(KELURAHAN_USER, "in_area"), (GROUP_USER, "in_group")]
)
def test_a_scoped_user_sees_and_opens_the_workers_inside(scope_world, username, inside):
    worker = getattr(scope_world, inside)
    client = client_for(scope_world.users[username])
    with time_machine.travel(TODAY, tick=False):
        listing = client.get(reverse("admin:participants_worker_changelist"))
        page = client.get(reverse("admin:participants_worker_change", args=[worker.pk]))
        enrollments = client.get(reverse("admin:enrollment_enrollment_changelist"))
        search = client.get(reverse("admin:participants_worker_changelist"), {"q": worker.nik})
    assert worker.full_name in listing.content.decode()
    assert page.status_code == 200 and worker.nik in page.content.decode()
    assert worker.full_name in enrollments.content.decode()
    assert worker.full_name in search.content.decode()
    other = scope_world.in_group if inside == "in_area" else scope_world.in_area
    assert other.full_name not in listing.content.decode()


def test_the_priority_list_of_a_kelurahan_user_ranks_the_area_only(scope_world):
    client = client_for(scope_world.users[KELURAHAN_USER])
    url = reverse("admin:targeting_targetingrule_priority", args=[scope_world.world.rule_pk])
    with time_machine.travel(TODAY, tick=False):
        page = client.get(url)
        proposed = client.post(url, {"worker_type": "BPU", "count": 5})
    assert "Calondalam Klegen" in page.content.decode()
    assert "Orangluar" not in page.content.decode()
    assert proposed.status_code == 403  # "propose the top N" ranks the whole city


def test_every_model_admin_declares_its_scope():
    """A new ModelAdmin must say how its rows reach a worker (or that they name none);
    undeclared ones show scoped users nothing, and this test names them."""
    undeclared = [
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, ScopedAdminMixin)
        or model_admin.scope_worker_path is UNDECLARED
    ]
    assert not undeclared, undeclared


def test_a_scoped_user_cannot_attach_an_heir_to_an_outside_worker(scope_world):
    outside = scope_world.world.objects[Worker]
    client = client_for(scope_world.users[KELURAHAN_USER])
    before = Heir.objects.count()
    with time_machine.travel(TODAY, tick=False):
        response = client.post(
            reverse("admin:participants_heir_add"),
            {
                "worker": outside.pk,
                "name": "Ahli Baru",
                "relationship": "child",
                "birth_date": "2015-01-01",
            },
        )
    assert response.status_code == 200  # the form again, with the error
    assert Heir.objects.count() == before
    assert "worker" in response.context["adminform"].form.errors


def test_a_scoped_user_cannot_move_a_worker_out_of_the_area(scope_world):
    worker = scope_world.in_area
    client = client_for(scope_world.users[KELURAHAN_USER])
    url = reverse("admin:participants_worker_change", args=[worker.pk])
    with time_machine.travel(TODAY, tick=False):
        form = client.get(url).context["adminform"].form
    assert list(form.fields["kelurahan"].queryset) == [worker.kelurahan]
