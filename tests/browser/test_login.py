import pytest

from tests.factories import UserFactory, WorkerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]


def test_staff_log_in_and_find_a_worker_by_nik(page, login):
    staff = UserFactory(username="operator", is_superuser=True)
    worker = WorkerFactory(full_name="Siti Aminah")
    WorkerFactory.create_batch(3)

    login(staff)
    page.wait_for_selector("#site-name")
    assert "Siaga Kita" in page.inner_text("#site-name")

    page.goto("/admin/participants/worker/")
    page.fill("#searchbar", worker.nik)
    page.press("#searchbar", "Enter")
    page.wait_for_selector("#result_list")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 1
    assert "Siti Aminah" in rows.first.inner_text()


def test_a_wrong_password_is_refused_in_indonesian(page):
    UserFactory(username="operator")
    page.goto("/admin/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "salah")
    page.click("input[type=submit]")
    assert "benar" in page.inner_text(".errornote")
