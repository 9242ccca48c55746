"""The dashboard's filters in a real browser: choosing a kecamatan narrows the kelurahan
list and applies at once (static/dashboard/dashboard.js under the strict CSP)."""

import pytest
from django.contrib.auth.models import Group

from accounts.roles import PIMPINAN
from participants.models import Kecamatan
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_choosing_a_kecamatan_narrows_the_kelurahan_and_applies_at_once(page):
    official = UserFactory(username="pimpinan", is_staff=False)
    official.groups.add(Group.objects.get(name=PIMPINAN))
    console = []
    page.on("console", lambda message: console.append(message.text))
    page.goto("/dashboard/login/")
    page.fill("#id_username", "pimpinan")
    page.fill("#id_password", "rahasia-sekali-123")
    page.click("button[type=submit]")
    page.goto("/dashboard/?year=2024")
    page.wait_for_selector("select[name=kelurahan]")
    everything = page.locator("select[name=kelurahan] option").count()

    kecamatan = Kecamatan.objects.order_by("code").last()
    own = set(kecamatan.kelurahan_set.values_list("pk", flat=True))
    with page.expect_navigation():
        page.select_option("select[name=kecamatan]", str(kecamatan.pk))  # no button pressed
    assert f"kecamatan={kecamatan.pk}" in page.url
    values = page.eval_on_selector_all(
        "select[name=kelurahan] option", "options => options.map(o => o.value)"
    )
    assert {int(v) for v in values if v} == own
    assert len(values) < everything

    kelurahan = min(own)
    with page.expect_navigation():
        page.select_option("select[name=kelurahan]", str(kelurahan))
    assert f"kelurahan={kelurahan}" in page.url
    assert page.input_value("select[name=kecamatan]") == str(kecamatan.pk)
    assert not [text for text in console if "Content Security Policy" in text]
