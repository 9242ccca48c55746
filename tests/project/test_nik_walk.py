"""Without ``participants.view_full_nik`` no page, list, detail page, history page, action page
or export shows a full NIK or family card number: every URL of the project is walked, plus the
exports and the action pages, and every 16-digit number in the answer fails the test."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
import time_machine
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from accounts.roles import ADMINISTRATOR
from enrollment.models import Enrollment, EnrollmentStatus, PremiumInvoice, ProgramYear
from participants.models import Worker

from .access_world import TODAY, build_world, project_routes, user_without_full_nik

pytestmark = pytest.mark.django_db

SIXTEEN_DIGITS = re.compile(r"(?<!\d)\d{16}(?!\d)")
SKIPPED = {"admin:logout", "dashboard:logout"}


@pytest.fixture
def world(db):
    with time_machine.travel(TODAY, tick=False):
        yield build_world()


def body_text(response) -> str:
    """The answer as text; a spreadsheet (zip) as the text of all its XML parts."""
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    if content.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(
                archive.read(name).decode("utf-8", "replace") for name in archive.namelist()
            )
    return content.decode("utf-8-sig", "replace")


def leaks(world, text: str) -> list[str]:
    found = {n for n in world.niks if n in text}
    found |= set(SIXTEEN_DIGITS.findall(text))
    return sorted(found)


def requests_to_walk(world, client):
    """(label, callable) for every GET of the project, and the POSTs that answer with data."""
    for route in project_routes():
        if route.key in SKIPPED:
            continue
        url = world.url(route, ADMINISTRATOR)
        yield f"GET {url}", lambda url=url: client.get(url)
    worker = world.objects[Worker]
    # Autocomplete (the raw-id and select widgets), a NIK-prefix search, the lists filtered.
    yield (
        "autocomplete",
        lambda: client.get(
            reverse("admin:autocomplete"),
            {"app_label": "participants", "model_name": "heir", "field_name": "worker", "term": ""},
        ),
    )
    for model in admin.site._registry:
        opts = model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        yield f"GET {url}?q=3577", lambda url=url: client.get(url, {"q": "3577"})
        yield f"GET {url}?all", lambda url=url: client.get(url, {"all": ""})
    # Exports.
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
    for changelist in ("participants_worker", "targeting_dtkscheck"):
        url = reverse(f"admin:{changelist}_changelist")
        yield (
            f"DTKS list from {changelist}",
            lambda url=url: client.post(
                url, {"action": "download_dtks_request_list", "_selected_action": [worker.pk]}
            ),
        )
    # Action pages listing the selection, delete confirmations listing related records.
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
    year = world.objects[ProgramYear]
    yield (
        "bpjs export",
        lambda: client.get(reverse("admin:enrollment_programyear_bpjs_export", args=[year.pk])),
    )
    invoice = world.objects[PremiumInvoice]
    yield (
        "reconciliation",
        lambda: client.get(
            reverse("admin:enrollment_premiuminvoice_reconciliation", args=[invoice.pk])
        ),
    )
    yield (
        "scholarship",
        lambda: client.get(reverse("admin:enrollment_claim_scholarship"), {"on": "2024-03-15"}),
    )
    yield (
        "priority list",
        lambda: client.get(reverse("admin:targeting_targetingrule_priority", args=[world.rule_pk])),
    )


def test_no_full_nik_anywhere_without_the_permission(world):
    assert Enrollment.objects.filter(status=EnrollmentStatus.ACTIVE).exists()
    user = user_without_full_nik()
    client = Client()
    client.force_login(user)
    found = []
    walked = 0
    with time_machine.travel(TODAY, tick=False):
        for label, request in requests_to_walk(world, client):
            response = request()
            assert response.status_code != 500, label
            walked += 1
            if leaked := leaks(world, body_text(response)):
                found.append(f"{label} ({response.status_code}): {leaked}")
    assert walked > 250
    assert not found, "\n".join(found)


def test_the_walk_sees_full_niks_with_the_permission(world):
    """The walk can fail: with the permission the same pages do show the NIKs."""
    client = Client()
    client.force_login(world.users[ADMINISTRATOR])
    worker = world.objects[Worker]
    shown = []
    for name in (
        "admin:participants_worker_changelist",
        "admin:enrollment_enrollment_changelist",
        "admin:enrollment_invoiceline_changelist",
        "admin:targeting_heirfollowup_changelist",
    ):
        shown.append(leaks(world, body_text(client.get(reverse(name)))))
    assert all(shown), shown
    assert worker.nik in shown[0]


def test_enrollment_invoice_line_and_heirs_follow_up_lists_mask_like_the_worker_list(world):
    from enrollment.models import InvoiceLine
    from participants.privacy import mask_identity_number
    from targeting.models import HeirFollowUp

    client = Client()
    client.force_login(user_without_full_nik())
    worker = world.objects[Worker]
    lonely = world.objects[HeirFollowUp]
    line = world.objects[InvoiceLine]
    for name, nik in [
        ("admin:participants_worker_changelist", worker.nik),
        ("admin:enrollment_enrollment_changelist", worker.nik),
        ("admin:enrollment_invoiceline_changelist", line.nik),
        ("admin:targeting_heirfollowup_changelist", lonely.nik),
    ]:
        body = client.get(reverse(name)).content.decode()
        assert nik not in body, name
        assert mask_identity_number(nik) in body, name
