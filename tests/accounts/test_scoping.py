"""accounts/scoping.py: reading and setting a user's scope, narrowing querysets, the
scope_user command, imports by a scoped user and the dashboard over a scope."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.roles import ADMINISTRATOR, OPERATOR, PIMPINAN
from accounts.scoping import (
    CITY_WIDE,
    NOT_PERSONAL,
    ScopeError,
    describe,
    in_scope,
    is_scoped,
    parse_area_codes,
    scope_choices,
    scope_queryset,
    set_user_scope,
    user_scope,
)
from participants.models import Heir, Kecamatan, Kelurahan, Segment, Worker
from tests.factories import HeirFactory, UserFactory, WorkerFactory

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent.parent / "fixtures" / "spreadsheets"


def kel(code: str) -> Kelurahan:
    return Kelurahan.objects.get(code=code)


@pytest.fixture
def places():
    klegen = kel("35.77.01.1003")
    kelun = kel("35.77.01.1009")
    winongo = kel("35.77.02.1005")
    return {
        "klegen": WorkerFactory(kelurahan=klegen, full_name="Di Klegen"),
        "kelun": WorkerFactory(kelurahan=kelun, full_name="Di Kelun"),
        "winongo": WorkerFactory(kelurahan=winongo, full_name="Di Winongo"),
        "pkl": WorkerFactory(
            kelurahan=winongo, segment=Segment.objects.get(code="pkl"), full_name="PKL Winongo"
        ),
    }


def staff(username: str, role: str = OPERATOR):
    user = UserFactory(username=username, is_staff=role != PIMPINAN)
    user.groups.add(Group.objects.get(name=role))
    return user


def names(qs) -> set[str]:
    return set(qs.values_list("full_name", flat=True))


def test_unscoped_staff_see_everything(places):
    user = staff("semua")
    assert user_scope(user) is None and not is_scoped(user)
    assert scope_queryset(user, Worker.objects.all(), "").count() == 4
    assert scope_queryset(user, Heir.objects.all()).model is Heir
    assert describe(user) == "seluruh registri"


def test_a_kelurahan_scope_keeps_the_workers_living_there(places):
    user = staff("lurah")
    set_user_scope(user=user, kelurahan=[kel("35.77.01.1003"), kel("35.77.01.1009")])
    assert names(scope_queryset(user, Worker.objects.all(), "")) == {"Di Klegen", "Di Kelun"}
    HeirFactory(worker=places["klegen"])
    HeirFactory(worker=places["winongo"])
    assert set(scope_queryset(user, Heir.objects.all()).values_list("worker", flat=True)) == {
        places["klegen"].pk
    }
    assert in_scope(user, places["klegen"]) and not in_scope(user, places["winongo"])
    assert "Klegen" in describe(user) and "Kelun" in describe(user)


def test_a_kecamatan_scope_covers_its_kelurahan(places):
    user = staff("camat")
    set_user_scope(user=user, kecamatan=[Kecamatan.objects.get(code="35.77.01")])
    assert names(scope_queryset(user, Worker.objects.all(), "")) == {"Di Klegen", "Di Kelun"}
    assert len(user_scope(user).kelurahan_ids) == 9


def test_a_group_scope_keeps_the_segment_wherever_they_live(places):
    user = staff("paguyuban")
    set_user_scope(user=user, segments=[Segment.objects.get(code="pkl")])
    assert names(scope_queryset(user, Worker.objects.all(), "")) == {"PKL Winongo"}
    assert list(scope_choices(user, Segment.objects.all())) == [Segment.objects.get(code="pkl")]
    # The area is not limited for a group user.
    assert scope_choices(user, Kelurahan.objects.all()).count() == 27


def test_paths_city_wide_and_not_personal(places):
    user = staff("lurah")
    set_user_scope(user=user, kelurahan=[kel("35.77.01.1003")])
    assert not scope_queryset(user, Worker.objects.all(), CITY_WIDE).exists()
    assert scope_queryset(user, Kelurahan.objects.all(), NOT_PERSONAL).count() == 27
    assert list(scope_choices(user, Kelurahan.objects.all())) == [kel("35.77.01.1003")]
    assert list(scope_choices(user, Kecamatan.objects.all())) == [
        Kecamatan.objects.get(code="35.77.01")
    ]


def test_an_empty_scope_is_the_whole_registry_again(places):
    user = staff("lurah")
    set_user_scope(user=user, kelurahan=[kel("35.77.01.1003")])
    assert is_scoped(user)
    set_user_scope(user=user)
    assert not is_scoped(user)


@pytest.mark.parametrize(
    ("codes", "kecamatan", "kelurahan"),
    [
        (["35.77.01.1001"], [], ["Oro-oro Ombo"]),
        (["3577011001", " 35.77.02.1005 "], [], ["Oro-oro Ombo", "Winongo"]),
        (["35.77.03"], ["Taman"], []),
        (["357702", "35.77.01.1009"], ["Manguharjo"], ["Kelun"]),
    ],
)
def test_area_codes_with_or_without_dots(codes, kecamatan, kelurahan):
    found_kec, found_kel = parse_area_codes(codes)
    assert [k.name for k in found_kec] == kecamatan
    assert [k.name for k in found_kel] == kelurahan


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        (["35.77.04"], "Tidak ada kecamatan dengan kode 35.77.04."),
        (["35.77.01.1010"], "Tidak ada kelurahan dengan kode 35.77.01.1010."),
        (["Klegen"], "“Klegen” bukan kode wilayah"),
        ([""], "Sebutkan paling sedikit satu kode wilayah."),
    ],
)
def test_unknown_area_codes_are_refused_with_a_reason(codes, message):
    with pytest.raises(ScopeError) as error:
        parse_area_codes(codes)
    assert message in str(error.value)


def test_the_scope_user_command(places, capsys):
    user = staff("lurah")
    call_command("scope_user", "lurah", "--area", "35.77.01.1003,35.77.01.1009")
    assert "Klegen" in capsys.readouterr().out
    assert user_scope(user).kelurahan_ids == {kel("35.77.01.1003").pk, kel("35.77.01.1009").pk}
    call_command("scope_user", "lurah", "--group", "pkl")
    user = type(user).objects.get(pk=user.pk)
    assert user_scope(user).kelurahan_ids is None
    assert user_scope(user).segment_ids == {Segment.objects.get(code="pkl").pk}
    call_command("scope_user", "lurah", "--clear")
    assert "seluruh registri" in capsys.readouterr().out.splitlines()[-1]
    assert not is_scoped(type(user).objects.get(pk=user.pk))
    with pytest.raises(CommandError, match="Tidak ada kelurahan dengan kode 35.77.01.1099"):
        call_command("scope_user", "lurah", "--area", "35.77.01.1099")
    with pytest.raises(CommandError, match="Tidak ada segmen dengan kode gojek"):
        call_command("scope_user", "lurah", "--group", "gojek")
    with pytest.raises(CommandError, match="Tidak ada pengguna bernama siapa"):
        call_command("scope_user", "siapa", "--clear")


def test_the_scope_is_set_on_the_user_page(client):
    admin_user = UserFactory(username="admin", is_staff=True, is_superuser=True)
    user = staff("lurah")
    client.force_login(admin_user)
    page = client.get(reverse("admin:auth_user_change", args=[user.pk]))
    body = page.content.decode()
    assert "scope_kelurahan" in body and "scope_segments" in body


# --- imports by a scoped user --------------------------------------------------------------


def run_import(capsys, username: str) -> tuple[int, dict]:
    code = 0
    try:
        call_command("import_workers", str(FILES / "bom_utf8.csv"), "--json", "--user", username)
    except SystemExit as exit_:
        code = exit_.code
    return code, json.loads(capsys.readouterr().out)


def test_a_scoped_import_refuses_rows_outside_the_area_with_row_column_and_why(capsys):
    user = staff("lurah")
    set_user_scope(user=user, kelurahan=[kel("35.77.01.1001")])  # Oro-oro Ombo
    code, report = run_import(capsys, "lurah")
    assert code == 1
    assert not Worker.objects.exists()  # nothing half-written
    outside = [e for e in report["errors"] if e["code"] == "outside_scope"]
    # Row 2 (Oro-oro Ombo) is inside; Madiun Lor, Taman and Nambangan Kidul are not.
    assert [(e["row"], e["column"]) for e in outside] == [
        (3, "Desa/Kelurahan"),
        (4, "Desa/Kelurahan"),
        (5, "Desa/Kelurahan"),
    ]
    assert outside[0]["message"] == ("Kelurahan ini di luar wilayah Anda (kelurahan Oro-oro Ombo).")


def test_a_scoped_import_may_not_touch_a_worker_registered_outside(capsys):
    WorkerFactory(nik="3577011204850001", kelurahan=kel("35.77.02.1005"), full_name="Rahasia")
    user = staff("lurah")
    set_user_scope(user=user, kelurahan=[kel("35.77.01.1001")])
    code, report = run_import(capsys, "lurah")
    assert code == 1
    refused = next(e for e in report["errors"] if e["code"] == "nik_outside_scope")
    assert (refused["row"], refused["column"]) == (2, "NIK")
    assert "Rahasia" not in json.dumps(report)
    assert Worker.objects.get(nik="3577011204850001").kelurahan.code == "35.77.02.1005"


def test_an_unscoped_import_is_unchanged(capsys):
    staff("dinas")
    code, report = run_import(capsys, "dinas")
    assert code == 0 and report["new"] == 4


def test_scoped_users_may_not_run_city_wide_imports(client):
    user = staff("lurah", ADMINISTRATOR)
    set_user_scope(user=user, kelurahan=[kel("35.77.01.1001")])
    client.force_login(user)
    assert client.get(reverse("admin:participants_worker_import")).status_code == 200
    for name in (
        "admin:enrollment_enrollment_import",
        "admin:enrollment_premiuminvoice_import",
        "admin:dedup_othercover_import",
        "admin:targeting_dtkscheck_import",
        "admin:targeting_heirfollowup_import",
    ):
        assert client.get(reverse(name)).status_code == 403, name


def test_the_dtks_import_command_refuses_a_scoped_user(tmp_path):
    user = staff("lurah", ADMINISTRATOR)
    set_user_scope(user=user, kelurahan=[kel("35.77.01.1001")])
    answer = tmp_path / "dtks.csv"
    answer.write_text("NIK,Status\n3577011204850001,Terdaftar\n", encoding="utf-8")
    with pytest.raises(CommandError, match="dibatasi pada wilayah atau kelompok"):
        call_command(
            "import_dtks",
            str(answer),
            "--source",
            "Dinas Sosial",
            "--checked-on",
            "2024-03-01",
            "--user",
            "lurah",
        )
