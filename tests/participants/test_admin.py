import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participants.models import Heir, Kelurahan, Worker
from tests.factories import HeirFactory, WorkerFactory, worker_admin_form

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:participants_worker_changelist")


def test_it_lists_workers_in_indonesian(admin_client):
    WorkerFactory(full_name="Siti Aminah")
    response = admin_client.get(CHANGELIST)
    assert response.status_code == 200
    content = response.content.decode()
    assert "Siti Aminah" in content
    assert "Jenis pekerja" in content or "jenis pekerja" in content.lower()


def test_changelist_queries_do_not_grow_with_rows(admin_client):
    WorkerFactory.create_batch(3)
    admin_client.get(CHANGELIST)  # the session's first page also loads the user's language
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    WorkerFactory.create_batch(30)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(CHANGELIST)
    assert len(many) == len(few)


def test_changelist_does_not_count_the_whole_table(admin_client):
    WorkerFactory()
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(CHANGELIST, {"q": "Nomor"})
    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    # Only the filtered count for the page, not a second one over the whole table.
    assert len(counts) == 1 and "WHERE" in counts[0].upper()


def test_search_by_exact_nik_finds_one_worker(admin_client):
    target = WorkerFactory()
    WorkerFactory.create_batch(3)
    response = admin_client.get(CHANGELIST, {"q": target.nik})
    assert list(response.context["cl"].result_list) == [target]


def test_search_by_nik_prefix_and_by_name(admin_client):
    target = WorkerFactory(full_name="Bambang Sugeng")
    WorkerFactory(full_name="Sri Rahayu")
    response = admin_client.get(CHANGELIST, {"q": "sugeng"})
    assert list(response.context["cl"].result_list) == [target]
    response = admin_client.get(CHANGELIST, {"q": target.nik[:10]})
    assert target in response.context["cl"].result_list


def test_exact_nik_search_uses_an_equality_lookup(admin_client):
    target = WorkerFactory()
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(CHANGELIST, {"q": target.nik})
    selects = [
        q["sql"] for q in queries if "participants_worker" in q["sql"] and "LIKE" not in q["sql"]
    ]
    assert any(
        f"= '{target.nik}'" in sql or f"= {target.nik}" in sql or '"nik" = ' in sql
        for sql in selects
    )


@pytest.mark.parametrize(
    "params",
    [
        {"worker_type__exact": "PU"},
        {"has_heirs": "yes"},
        {"has_heirs": "no"},
        {"alive": "no"},
        {"dtks_status__exact": "registered"},
    ],
)
def test_filters_narrow_the_list(admin_client, params):
    pu_with_heir = HeirFactory(worker__worker_type="PU").worker
    dead = WorkerFactory(death_date=datetime.date(2024, 1, 1))
    response = admin_client.get(CHANGELIST, params)
    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    expected = {
        "worker_type__exact": {pu_with_heir},
        "has_heirs": {pu_with_heir} if params.get("has_heirs") == "yes" else {dead},
        "alive": {dead},
        "dtks_status__exact": set(),
    }[next(iter(params))]
    assert shown == expected


def test_filter_by_kecamatan(admin_client):
    in_taman = WorkerFactory(kelurahan=Kelurahan.objects.get(name="Josenan"))
    WorkerFactory(kelurahan=Kelurahan.objects.get(name="Kelun"))
    kecamatan = in_taman.kelurahan.kecamatan
    response = admin_client.get(CHANGELIST, {"kelurahan__kecamatan__id__exact": kecamatan.pk})
    assert list(response.context["cl"].result_list) == [in_taman]


def test_staff_add_a_worker_with_an_heir(admin_client, superuser):
    response = admin_client.post(reverse("admin:participants_worker_add"), worker_admin_form())
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    worker = Worker.objects.get()
    assert worker.phone == "+6281234567890"
    assert worker.created_by == superuser
    assert Heir.objects.get().worker == worker


def test_adding_a_bad_nik_shows_an_indonesian_error(admin_client):
    response = admin_client.post(
        reverse("admin:participants_worker_add"), worker_admin_form(nik="3577")
    )
    assert response.status_code == 200
    assert "harus tepat 16 digit" in response.content.decode()
    assert not Worker.objects.exists()


def test_adding_a_duplicate_nik_is_refused_in_the_form(admin_client):
    existing = WorkerFactory()
    response = admin_client.post(
        reverse("admin:participants_worker_add"), worker_admin_form(nik=existing.nik)
    )
    assert response.status_code == 200
    assert Worker.objects.count() == 1


def test_nik_mismatch_is_a_warning_not_an_error(admin_client):
    # Female NIK for a worker recorded as male: saved, with a warning.
    response = admin_client.post(
        reverse("admin:participants_worker_add"), worker_admin_form(sex="L"), follow=True
    )
    assert Worker.objects.count() == 1
    messages = [str(m) for m in response.context["messages"]]
    assert any("jenis kelamin" in m for m in messages)


def test_change_page_shows_heirs_school_age_on_a_chosen_date(admin_client):
    heir = HeirFactory(birth_date=datetime.date(2020, 1, 1), name="Rina")
    url = reverse("admin:participants_worker_change", args=[heir.worker.pk])
    content = admin_client.get(url, {"school_age_on": "2023-01-01"}).content.decode()
    assert "Tidak (usia 3 pada 01-01-2023)" in content
    content = admin_client.get(url, {"school_age_on": "2024-06-01"}).content.decode()
    assert "Ya (usia 4 pada 01-06-2024)" in content


def test_heir_list_filters_school_age_on_a_date(admin_client):
    young = HeirFactory(birth_date=datetime.date(2021, 1, 1))
    school = HeirFactory(birth_date=datetime.date(2012, 1, 1))
    response = admin_client.get(
        reverse("admin:participants_heir_changelist"), {"school_age_on": "2024-01-01"}
    )
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [school]
    assert young not in response.context["cl"].result_list


def test_reference_data_pages_open(admin_client):
    for name in ["kecamatan", "kelurahan", "segment", "heir"]:
        assert admin_client.get(reverse(f"admin:participants_{name}_changelist")).status_code == 200
    worker = WorkerFactory()
    assert (
        admin_client.get(reverse("admin:participants_worker_change", args=[worker.pk])).status_code
        == 200
    )


# --- search by NIK with separators, by phone in any accepted form, by name (issue 12) -------


@pytest.mark.parametrize(
    "typed",
    [
        "{nik}",
        "{a} {b} {c} {d}",
        "{a}-{b}-{c}-{d}",
        "{a}.{b}.{c}.{d}",
        " {nik} ",
    ],
)
def test_search_finds_a_nik_typed_with_separators(admin_client, typed):
    target = WorkerFactory()
    WorkerFactory.create_batch(2)
    nik = target.nik
    term = typed.format(nik=nik, a=nik[:4], b=nik[4:8], c=nik[8:12], d=nik[12:])
    response = admin_client.get(CHANGELIST, {"q": term})
    assert list(response.context["cl"].result_list) == [target]


def test_search_finds_a_nik_prefix_typed_with_separators(admin_client):
    target = WorkerFactory()
    response = admin_client.get(CHANGELIST, {"q": f"{target.nik[:4]}-{target.nik[4:8]}"})
    assert target in response.context["cl"].result_list


@pytest.mark.parametrize(
    "typed",
    [
        "081234567890",
        "0812-3456-7890",
        "0812 3456 7890",
        "6281234567890",
        "62 812 3456 7890",
        "+6281234567890",
        "+62 812-3456-7890",
        "(0812) 3456 7890",
    ],
)
def test_search_finds_a_phone_in_any_accepted_form(admin_client, typed):
    # Stored as every path saves it (Worker.clean normalises): +62…
    target = WorkerFactory(phone="+6281234567890")
    WorkerFactory(phone="+6281234567891")
    WorkerFactory(phone="")
    response = admin_client.get(CHANGELIST, {"q": typed})
    assert list(response.context["cl"].result_list) == [target]


def test_a_phone_like_number_that_is_no_ones_finds_nothing(admin_client):
    WorkerFactory(phone="+6281234567890")
    response = admin_client.get(CHANGELIST, {"q": "0899-0000-0000"})
    assert list(response.context["cl"].result_list) == []


def test_search_by_name_still_works_beside_numbers(admin_client):
    target = WorkerFactory(full_name="Dewi Lestari", phone="+6281234567890")
    WorkerFactory(full_name="Agus Salim")
    response = admin_client.get(CHANGELIST, {"q": "lestari"})
    assert list(response.context["cl"].result_list) == [target]


def test_phone_search_is_an_equality_lookup_on_the_stored_form(admin_client):
    WorkerFactory(phone="+6281234567890")
    with CaptureQueriesContext(connection) as queries:
        admin_client.get(CHANGELIST, {"q": "0812-3456-7890"})
    selects = [q["sql"] for q in queries if '"phone"' in q["sql"]]
    assert selects and all("LIKE" not in sql.upper() for sql in selects)
    assert any("+6281234567890" in sql for sql in selects)


def test_the_phone_search_has_an_index():
    indexed = {tuple(index.fields) for index in Worker._meta.indexes}
    assert ("phone",) in indexed


def test_heirs_search_finds_a_workers_nik_typed_with_dashes(admin_client):
    heir = HeirFactory()
    HeirFactory()
    nik = heir.worker.nik
    response = admin_client.get(
        reverse("admin:participants_heir_changelist"), {"q": f"{nik[:6]}-{nik[6:12]}-{nik[12:]}"}
    )
    assert list(response.context["cl"].result_list) == [heir]
