"""Every URL and every admin action, for each role and an anonymous visitor, against the rule
table in tests/project/access_rules.py (written from the README's role table).

A URL or an action without a rule fails with its name; a request refused to a role must leave
the database exactly as it was.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.contrib.sessions.models import Session
from django.db import transaction
from django.test import Client, RequestFactory
from simple_history.admin import SimpleHistoryAdmin

from accounts.roles import ADMINISTRATOR, OPERATOR, PIMPINAN, VERIFIKATOR
from accounts.roles import ROLES as ROLE_PERMISSIONS
from siaga.admin_base import SafeChangeListMixin, SiagaHistoryAdmin

from . import access_rules as rules
from .access_world import (
    ANONYMOUS,
    IMPORT_KINDS,
    ROLES,
    SUBJECTS,
    TODAY,
    Route,
    build_world,
    project_routes,
)

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def world(db):
    with time_machine.travel(TODAY, tick=False):
        yield build_world()


def client_for(world, subject: str) -> Client:
    client = Client()
    if subject != ANONYMOUS:
        client.force_login(world.users[subject])
    return client


def snapshot() -> dict[str, list]:
    """Every row of every table (sessions aside: each request renews its own)."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models()
        if model is not Session
    }


def changed_tables(before: dict, after: dict) -> list[str]:
    return [label for label in before if before[label] != after[label]]


# --- the rule table --------------------------------------------------------------------------


class MissingRule(AssertionError):
    pass


def rule_for(route: Route):
    """The declared rule of a URL: a Page, or an entry of OPEN_PAGES / DASHBOARD_PAGES."""
    if route.model is not None:
        label = route.model._meta.label
        if label not in rules.MODELS:
            raise MissingRule(f"model admin {label} has no row in access_rules.MODELS")
        model_admin = admin.site._registry[route.model]
        standard = rules.MODELS[label].pages(isinstance(model_admin, SimpleHistoryAdmin))
        if route.suffix in standard:
            return standard[route.suffix]
        custom = rules.CUSTOM_MODEL_PAGES.get(label, {})
        if route.suffix in custom:
            return custom[route.suffix]
        raise MissingRule(
            f"URL {route.key} ({route.route}) has no rule: add "
            f"CUSTOM_MODEL_PAGES[{label!r}][{route.suffix!r}] to tests/project/access_rules.py"
        )
    for table in (rules.SITE_PAGES, rules.OPEN_PAGES, rules.DASHBOARD_PAGES):
        if route.key in table:
            return table[route.key]
    raise MissingRule(
        f"URL {route.key!r} ({route.route}) has no rule: add it to SITE_PAGES, OPEN_PAGES or "
        "DASHBOARD_PAGES in tests/project/access_rules.py"
    )


def expected_status(route: Route, rule, subject: str, method: str) -> int:
    if isinstance(rule, rules.Page):
        access = rule.get if method == "GET" else rule.post
        if rule.admin and subject in (ANONYMOUS, PIMPINAN):
            return 302  # to the admin login: not staff
        if not rule.admin and subject == ANONYMOUS:
            return access.ok
        return access.ok if subject in access.row.roles else access.denied
    if route.key in rules.OPEN_PAGES:
        return rule[subject][0 if method == "GET" else 1]
    # Dashboard pages
    if subject == ANONYMOUS:
        return 302  # to the dashboard login
    if subject not in rules.DASHBOARD.roles:
        return 403
    return rule[0 if method == "GET" else 1]


def post_data(world, route: Route, subject: str) -> dict:
    if route.suffix == "delete":
        return {"post": "yes"}
    if route.suffix == "process_import":
        kind = IMPORT_KINDS[route.model._meta.label]
        return {"job": world.jobs[(subject, kind)]}
    return {}


def refused(route: Route, rule, subject: str, expected: int) -> bool:
    """Whether the declared answer refuses the request (then nothing may be written)."""
    if route.key in LOGOUTS:
        return False
    if expected in (403, 405):
        return True
    return expected == 302 and subject in (ANONYMOUS, PIMPINAN) and _is_admin(route)


LOGOUTS = ("admin:logout", "dashboard:logout")


def test_every_url_has_a_declared_rule():
    missing = []
    for route in project_routes():
        try:
            rule_for(route)
        except MissingRule as exc:
            missing.append(str(exc))
    assert not missing, "\n".join(missing)


def test_every_model_admin_and_action_has_a_rule_and_declares_its_permission():
    problems = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        if label not in rules.MODELS:
            problems.append(f"model admin {label}: no row in access_rules.MODELS")
        declared = rules.ACTIONS.get(label, {})
        for func, name, _description in model_admin._get_base_actions():
            if not getattr(func, "allowed_permissions", None):
                problems.append(f"action {label}.{name} declares no permissions=")
            if name not in declared:
                problems.append(f"action {label}.{name}: no rule in access_rules.ACTIONS")
        for name in declared:
            if name not in {n for _f, n, _d in model_admin._get_base_actions()}:
                problems.append(f"access_rules.ACTIONS names {label}.{name}, which is gone")
    assert not problems, "\n".join(problems)


def test_every_model_admin_is_built_on_the_shared_bases():
    """Filters that cannot 500 and read-only versions come from siaga.admin_base."""
    for model, model_admin in admin.site._registry.items():
        assert isinstance(model_admin, SafeChangeListMixin), model._meta.label
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert isinstance(model_admin, SiagaHistoryAdmin), model._meta.label


def test_readme_role_table_is_the_rule_table():
    """The README's table and access_rules.README_TABLE say the same, row by row."""
    text = README.read_text(encoding="utf-8")
    section = text.split("| what | Operator | Verifikator | Pimpinan | Administrator |", 1)[1]
    readme_rows = {}
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        what, marks = cells[0], cells[1:]
        readme_rows[what] = frozenset(
            role
            for role, mark in zip(
                [OPERATOR, VERIFIKATOR, PIMPINAN, ADMINISTRATOR], marks, strict=True
            )
            if mark == "✔"
        )
    assert readme_rows == {r.what: r.roles for r in rules.README_TABLE}


def test_roles_hold_the_permissions_of_their_rows():
    """accounts/roles.py gives each role what its README rows need, and no personal data to
    Pimpinan."""
    assert ROLE_PERMISSIONS[PIMPINAN] == ["dashboard.view_dashboard"]
    assert "participants.view_full_nik" in ROLE_PERMISSIONS[OPERATOR]
    assert "participants.view_full_nik" in ROLE_PERMISSIONS[VERIFIKATOR]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_every_url_answers_each_role_as_declared(world, subject):
    """GET and POST of every URL of the project; refused requests write nothing."""
    mismatches = []
    client = client_for(world, subject)
    with time_machine.travel(TODAY, tick=False):
        for route in project_routes():
            rule = rule_for(route)
            url = world.url(route, subject)
            for method in ("GET", "POST"):
                expected = expected_status(route, rule, subject, method)
                if route.key in LOGOUTS:
                    client = client_for(world, subject)  # logging out ends the session
                before = snapshot() if refused(route, rule, subject, expected) else None
                with transaction.atomic():
                    if method == "GET":
                        response = client.get(url)
                    else:
                        response = client.post(url, post_data(world, route, subject))
                    after = snapshot() if before is not None else None
                    transaction.set_rollback(True)
                if response.status_code != expected:
                    mismatches.append(
                        f"{method} {url} [{route.key}] as {subject}: "
                        f"{response.status_code}, declared {expected}"
                    )
                elif before is not None and (changed := changed_tables(before, after)):
                    mismatches.append(f"{method} {url} as {subject} refused but wrote {changed}")
                sent_to_login = subject in (ANONYMOUS, PIMPINAN) and _is_admin(route)
                if expected == 302 and sent_to_login and not _to_login(response):
                    mismatches.append(
                        f"{method} {url} as {subject}: sent to {response['Location']}, "
                        "not the login"
                    )
            if route.key in LOGOUTS:
                client = client_for(world, subject)
    assert not mismatches, "\n".join(mismatches)


def _is_admin(route: Route) -> bool:
    rule = rule_for(route)
    return isinstance(rule, rules.Page) and rule.admin


def _to_login(response) -> bool:
    return response.status_code == 302 and "/login/" in response.get("Location", "")


def _may(row: rules.Row, subject: str) -> bool:
    return subject in row.roles


@pytest.mark.parametrize("subject", SUBJECTS)
def test_every_admin_action_runs_only_for_the_roles_of_its_row(world, subject):
    """Each action POSTed on the list by each role: who has its row gets it done (or its
    intermediate page); anyone else is refused and nothing is written."""
    mismatches = []
    client = client_for(world, subject)
    with time_machine.travel(TODAY, tick=False):
        for model in admin.site._registry:
            label = model._meta.label
            model_rules = rules.MODELS[label]
            actions = rules.ACTIONS[label]
            url = world.url(
                next(r for r in project_routes() if r.model is model and r.suffix == "changelist"),
                subject,
            )
            pk = world.objects[model].pk
            for name, action in actions.items():
                allowed = _may(action.row, subject) and subject not in (ANONYMOUS, PIMPINAN)
                if subject in (ANONYMOUS, PIMPINAN):
                    expected = 302  # admin login
                elif allowed:
                    expected = action.ok
                elif not _may(model_rules.view, subject):
                    expected = 403
                elif any(_may(a.row, subject) for a in actions.values()):
                    expected = 302  # "No action selected": the action is not offered
                else:
                    expected = 200  # no action offered at all: the list again
                before = snapshot()
                with transaction.atomic():
                    response = client.post(url, {"action": name, "_selected_action": [pk]})
                    after = snapshot()
                    transaction.set_rollback(True)
                if response.status_code != expected:
                    mismatches.append(
                        f"action {label}.{name} as {subject}: {response.status_code}, "
                        f"declared {expected}"
                    )
                if not allowed and (changed := changed_tables(before, after)):
                    mismatches.append(f"action {label}.{name} as {subject} wrote {changed}")
    assert not mismatches, "\n".join(mismatches)


def test_the_actions_offered_to_each_role_are_those_of_its_rows(world):
    """What the action menu offers is exactly the actions whose row the role has."""
    for role in ROLES:
        request = RequestFactory().get("/")
        request.user = world.users[role]
        for model, model_admin in admin.site._registry.items():
            label = model._meta.label
            if not _may(rules.MODELS[label].view, role):
                continue
            offered = set(model_admin.get_actions(request))
            declared = {n for n, a in rules.ACTIONS[label].items() if _may(a.row, role)}
            assert offered == declared, (role, label)


def test_status_rules_are_exact_numbers():
    """No rule accepts "any of" several statuses."""
    for rule in [*rules.SITE_PAGES.values()]:
        assert isinstance(rule.get.ok, int) and isinstance(rule.post.ok, int)
    source = Path(rules.__file__).read_text(encoding="utf-8")
    assert not re.search(r"in \(\s*200\s*,\s*302", source)
