"""Upload → the preview warns of a possible duplicate → tick "not the same person" → confirm,
in a real browser (issue 14, item 2)."""

import datetime

import pytest

from dedup.models import DuplicatePair, PairStatus
from participants.models import Kelurahan, Worker
from tests.factories import UserFactory, WorkerFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("reference_data")]

HEADER = "NIK,Nama,Tgl Lahir,JK,Kelurahan,Kecamatan,Jenis Pekerja,Kategori"


def test_tick_not_the_same_person_and_confirm(page, login, tmp_path, settings):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"
    siti = WorkerFactory(
        nik="3577015708750021", full_name="Siti Aminah", birth_date=datetime.date(1975, 8, 17),
        sex="P", kelurahan=Kelurahan.objects.get(name="Kartoharjo"),
    )  # fmt: skip
    path = tmp_path / "daftar.csv"
    path.write_text(
        f"{HEADER}\n"
        "3577015708750012,Hj. St. Aminah,17-08-1975,P,Kartoharjo,,BPU,PKL\n"
        "3577011204850001,Budi Santoso,12-04-1985,L,Kartoharjo,,BPU,PKL\n"
    )
    login(UserFactory(username="operator", is_superuser=True))
    page.goto("/admin/participants/worker/")
    page.click("a.import_link")
    page.set_input_files("input[type=file]", str(path))
    page.click("input[type=submit].default")

    warning = page.locator("#possible-duplicates .possible-duplicate")
    assert warning.count() == 1
    text = warning.inner_text()
    assert "skor 100" in text and "tanggal lahir sama" in text and "NIK beda satu digit" in text
    link = warning.locator("a")
    assert link.get_attribute("href") == f"/admin/participants/worker/{siti.pk}/change/"
    assert page.inner_text("#import-counts .count-duplicate") == "1"

    page.check("#not-duplicate-2")
    page.click("form.import-confirm input[type=submit].default")
    page.wait_for_selector(".messagelist")
    assert "bukan orang yang sama" in page.inner_text(".messagelist")
    assert Worker.objects.count() == 3  # both rows imported, nothing merged
    pair = DuplicatePair.objects.get()
    assert (pair.status, pair.decided_by.username) == (PairStatus.DISTINCT, "operator")
