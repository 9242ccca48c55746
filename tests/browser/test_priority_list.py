"""The priority list at 1366×768 (issue 12): 20+ candidates in the first screen, one line each,
the score's parts expandable, help inside the page."""

import datetime
import os
from pathlib import Path

import pytest

from enrollment.models import ProgramYear
from participants.models import DtksStatus
from targeting.models import TargetingRule
from tests.factories import HeirFactory, UserFactory, WorkerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_a_1366x768_screen_shows_20_candidates_with_details_on_demand(page, login, tmp_path):
    year = ProgramYear.objects.get(year=2024)
    rule = TargetingRule.objects.create(program_year=year)
    for number in range(30):
        worker = WorkerFactory(
            full_name=f"Calon Penerima Nomor {number}",
            dtks_status=DtksStatus.REGISTERED,
            dtks_desil=1 + number % 10,
            dtks_checked_on=datetime.date(2024, 1, 2),
            has_disability=number % 4 == 0,
        )
        HeirFactory(worker=worker, birth_date=datetime.date(2014, 5, 1))
    login(UserFactory(username="admin-prioritas", is_superuser=True))
    page.set_viewport_size({"width": 1366, "height": 768})

    page.goto(f"/admin/targeting/targetingrule/{rule.pk}/priority/")

    rows = page.locator("#priority-list > tbody > tr")
    assert rows.count() == 30
    visible = [
        box
        for index in range(rows.count())
        if (box := rows.nth(index).bounding_box()) and box["y"] + box["height"] <= 768
    ]
    # Kept for a look: SIAGA_TEST_ARTIFACTS names a folder (CI keeps it), else pytest's tmp.
    artifacts = Path(os.environ.get("SIAGA_TEST_ARTIFACTS") or tmp_path)
    artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / "priority-list-1366x768.png"))
    assert len(visible) >= 20, len(visible)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1366  # no sideways scrolling

    first = rows.first
    assert not first.locator("details table").is_visible()
    first.locator("summary").click()
    assert first.locator("details table").is_visible()
    assert page.locator("#priority-help").count() == 1
    assert "docs/" not in page.content()
