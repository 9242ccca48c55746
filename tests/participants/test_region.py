"""SIAGA_REGION: the shipped Kemendagri table, loading a region, and the main flows for Kota
Madiun (35.77, 27 kelurahan) and Kabupaten Penajam Paser Utara (64.09, desa and kelurahan)."""

from __future__ import annotations

import contextlib
import csv
import datetime
import gzip
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from approvals.layout import letterhead
from enrollment.demo import default_workers, neighbour_districts
from enrollment.eligibility import enrollment_eligibility
from participants import regions
from participants.checks import region_matches_database
from participants.models import Kecamatan, Kelurahan, Worker
from participants.regions import RegionError, load_region
from tests.enrollment.factories import ProgramYearFactory
from tests.factories import UserFactory, WorkerFactory, make_nik

pytestmark = pytest.mark.django_db

PPU = "64.09"


@pytest.fixture
def ppu():
    """The test database switched to Kabupaten Penajam Paser Utara (no workers yet)."""
    with override_settings(SIAGA_REGION=PPU):
        load_region(PPU)
        yield regions.region(PPU)


# --- the shipped table ---------------------------------------------------------------------


def test_shipped_table_matches_the_official_csv_when_shared_is_present():
    source = regions.shared_source()
    if source is None:
        pytest.skip("../shared/data/wilayah_kepmendagri_2025.csv is not beside the project")
    assert regions.table_bytes(regions.table_rows(source)) == regions.TABLE.read_bytes()
    call_command("build_region_table", "--check", stdout=StringIO())


def test_shipped_table_has_every_level_and_marks_desa_and_kelurahan():
    with gzip.open(regions.TABLE, "rt", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    kinds: dict[str, int] = {}
    for _code, _name, kind in rows:
        kinds[kind] = kinds.get(kind, 0) + 1
    # Kepmendagri 300.2.2-2138/2025 (shared/data/README.md): 38 + 514 + 7,285 + 83,762.
    assert kinds["provinsi"] == 38
    assert kinds["kabupaten_kota"] == 514
    assert kinds["kecamatan"] == 7_285
    assert kinds["kelurahan"] + kinds["desa"] == 83_762
    assert regions.village_kind("35.77.01.1001") == "kelurahan"
    assert regions.village_kind("64.09.01.2020") == "desa"
    assert regions.village_kind("91.03.01.3007") == "desa"  # Papua's desa adat


def test_region_lookup_and_derived_names():
    madiun, ppu = regions.region("3577"), regions.region(PPU)
    assert (madiun.code, madiun.name, madiun.nik_prefix, madiun.short_name) == (
        "35.77", "Kota Madiun", "3577", "Madiun",
    )  # fmt: skip
    assert (len(madiun.kecamatan), len(madiun.villages), madiun.village_kinds) == (
        3, 27, {"kelurahan"},
    )  # fmt: skip
    assert ppu.name == "Kabupaten Penajam Paser Utara"
    assert [name for _code, name in ppu.kecamatan] == ["Penajam", "Waru", "Babulu", "Sepaku"]
    assert ppu.village_kinds == {"kelurahan", "desa"}
    assert regions.time_zone("35.77") == "Asia/Jakarta"
    assert regions.time_zone(PPU) == "Asia/Makassar"  # WITA
    with pytest.raises(RegionError, match="99.99"):
        regions.region("99.99")
    with pytest.raises(RegionError):
        regions.region("35.77.01")  # a kecamatan, not a kabupaten/kota


def test_names_follow_the_setting_and_can_be_overridden():
    assert regions.government_name() == "Pemerintah Kota Madiun"
    assert regions.office_name() == "Dinas Tenaga Kerja Kota Madiun"
    assert regions.head_title() == "Wali Kota Madiun"
    assert regions.document_place() == "Madiun"
    assert regions.village_label() == "Kelurahan"
    with override_settings(SIAGA_REGION=PPU):
        assert regions.government_name() == "Pemerintah Kabupaten Penajam Paser Utara"
        assert regions.office_name() == "Dinas Tenaga Kerja Kabupaten Penajam Paser Utara"
        assert regions.head_title() == "Bupati Penajam Paser Utara"
        assert regions.village_label() == "Kelurahan/Desa"
    with override_settings(
        SIAGA_REGION=PPU,
        SIAGA_OFFICE_NAME="Dinas Tenaga Kerja dan Transmigrasi",
        SIAGA_DOCUMENT_PLACE="Penajam",
    ):
        head = letterhead()
        assert head["government"] == "Pemerintah Kabupaten Penajam Paser Utara"
        assert head["office"] == "Dinas Tenaga Kerja dan Transmigrasi"
        assert head["place"] == "Penajam"


# --- loading ---------------------------------------------------------------------------------


def test_migrations_loaded_kota_madiun_and_loading_again_changes_nothing():
    assert Kelurahan.objects.count() == 27
    assert set(Kelurahan.objects.values_list("kind", flat=True)) == {"kelurahan"}
    out = StringIO()
    call_command("load_region", stdout=out)
    assert "35.77 Kota Madiun: 3 kecamatan, 27 kelurahan, 0 desa" in out.getvalue()
    assert "baru: 0 kecamatan, 0 kelurahan/desa; dihapus: 0" in out.getvalue()
    # Staff's spelling variants of migration 0002 are kept.
    assert "Oro Oro Ombo" in Kelurahan.objects.get(code="35.77.01.1001").aliases


def test_loading_penajam_paser_utara_replaces_an_empty_registry_s_region(ppu):
    assert list(Kecamatan.objects.values_list("code", "name")) == [
        ("64.09.01", "Penajam"), ("64.09.02", "Waru"), ("64.09.03", "Babulu"),
        ("64.09.04", "Sepaku"),
    ]  # fmt: skip
    villages = Kelurahan.objects.all()
    assert villages.count() == 54
    assert villages.filter(kind="desa").count() == 30
    assert villages.filter(kind="kelurahan").count() == 24
    assert not villages.filter(code__startswith="35.77.").exists()
    giri = Kelurahan.objects.get(code="64.09.01.2020")
    assert (giri.name, giri.kind, giri.kecamatan.name) == ("Giri Mukti", "desa", "Penajam")
    assert Kelurahan.objects.get(code="64.09.01.1011").kind == "kelurahan"
    again = load_region(PPU)
    assert (again.kecamatan_created, again.villages_created, again.removed) == (0, 0, 0)


def test_changing_region_with_workers_is_refused_everywhere():
    WorkerFactory()
    with override_settings(SIAGA_REGION=PPU):
        with pytest.raises(CommandError) as refused:
            call_command("load_region", stdout=StringIO())
        message = str(refused.value)
        assert "sudah memuat pekerja Kota Madiun (35.77)" in message
        assert "SIAGA_REGION=35.77" in message
        errors = region_matches_database(databases=["default"])
        assert [e.id for e in errors] == ["siaga.E102"]
        assert errors[0].msg == message
        with pytest.raises(RegionError):
            load_region(PPU)  # what the data migration calls
    assert Kelurahan.objects.filter(code__startswith="35.77.").count() == 27
    assert region_matches_database(databases=["default"]) == []


def test_unknown_region_is_a_system_check_error():
    from participants.checks import region_is_known

    with override_settings(SIAGA_REGION="35.99"):
        errors = region_is_known()
    assert [e.id for e in errors] == ["siaga.E101"]
    assert "bukan kode kabupaten/kota" in errors[0].msg


# --- NIK checks ------------------------------------------------------------------------------


def _codes(worker) -> set[str]:
    return {w.code for w in worker.warnings()}


def test_nik_warnings_for_kota_madiun():
    born = datetime.date(1985, 4, 12)
    home = WorkerFactory.build(nik=make_nik(birth_date=born, sex="L", serial=1), birth_date=born,
                               sex="L")  # fmt: skip
    assert _codes(home) == set()
    away = WorkerFactory.build(
        nik=make_nik(birth_date=born, sex="L", serial=1, region="640901"), birth_date=born, sex="L"
    )
    assert _codes(away) == {"nik_outside_city"}
    assert "di luar Kota Madiun (wilayah 64.09)" in str(away.warnings()[0])
    wrong = WorkerFactory.build(
        nik=make_nik(birth_date=born, sex="L", serial=1, region="357704"), birth_date=born, sex="L"
    )
    assert _codes(wrong) == {"nik_district_unknown"}
    assert "tidak ada di Kota Madiun (01, 02, 03)" in str(wrong.warnings()[0])


def test_nik_warnings_for_penajam_paser_utara(ppu):
    born = datetime.date(1990, 3, 12)
    village = Kelurahan.objects.get(code="64.09.03.2001")  # Babulu Darat, a desa

    def worker(region: str):
        nik = make_nik(birth_date=born, sex="P", serial=3, region=region)
        return WorkerFactory.build(nik=nik, birth_date=born, sex="P", kelurahan=village)

    assert _codes(worker("640903")) == set()
    madiun = worker("357701")
    assert _codes(madiun) == {"nik_outside_city"}
    assert "di luar Kabupaten Penajam Paser Utara (wilayah 35.77)" in str(madiun.warnings()[0])
    nowhere = worker("640905")
    assert _codes(nowhere) == {"nik_district_unknown"}
    assert "Kabupaten Penajam Paser Utara (01, 02, 03, 04)" in str(nowhere.warnings()[0])


# --- import with a village name --------------------------------------------------------------

HEADER = "NIK,Nama,Tanggal Lahir,Jenis Kelamin,Desa/Kelurahan,Kecamatan,Jenis Pekerja,Kategori"


def _import(tmp_path, capsys, lines: list[str]) -> dict:
    if not UserFactory._meta.model.objects.filter(username="importir").exists():
        UserFactory(username="importir", is_superuser=True)
    path = tmp_path / "daftar.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    with contextlib.suppress(SystemExit):
        call_command("import_workers", str(path), "--json", "--skip-invalid", "--user", "importir")
    return json.loads(capsys.readouterr().out)


def test_import_matches_madiun_kelurahan_with_generic_spelling_variants(tmp_path, capsys):
    report = _import(
        tmp_path,
        capsys,
        [
            "3577011204850001,Budi,12-04-1985,L,Oro2 Ombo,,BPU,PKL",
            "3577021204850002,Agus,12-04-1985,L,kel. madiunlor,Manguharjo,BPU,PKL",
            "3577031204850003,Joko,12-04-1985,L,Banjar Rrejo,,BPU,PKL",
            "3577031204850004,Eko,12-04-1985,L,Atlantis,,BPU,PKL",
        ],
    )
    assert (report["new"], report["invalid"]) == (3, 1)
    names = dict(Worker.objects.values_list("nik", "kelurahan__name"))
    assert names["3577011204850001"] == "Oro-oro Ombo"
    assert names["3577021204850002"] == "Madiun Lor"
    assert names["3577031204850003"] == "Banjarejo"
    assert "Atlantis tidak ada di Kota Madiun" in json.dumps(report["errors"], ensure_ascii=False)


def test_import_into_penajam_paser_utara_by_desa_and_kelurahan_name(ppu, tmp_path, capsys):
    # A second "Sidorejo" (in Waru) makes the name ambiguous without a Kecamatan.
    Kelurahan.objects.create(
        code="64.09.02.2099", name="Sidorejo", kind="desa",
        kecamatan=Kecamatan.objects.get(code="64.09.02"),
    )  # fmt: skip
    report = _import(
        tmp_path,
        capsys,
        [
            "6409011204850001,Budi,12-04-1985,L,Giri Mukti,Penajam,BPU,PKL",
            "6409011204850002,Agus,12-04-1985,L,Nipah Nipah,,BPU,PKL",
            "6409011204850003,Joko,12-04-1985,L,Ds. Sidorejo,Penajam,BPU,PKL",
            "6409011204850004,Eko,12-04-1985,L,Sidorejo,,BPU,PKL",
            "6409011204850005,Heru,12-04-1985,L,Kelun,,BPU,PKL",
            "6409041204850006,Dedi,12-04-1985,L,64.09.04.2015,,BPU,PKL",
        ],
    )
    assert (report["new"], report["invalid"]) == (4, 2)
    found = {w.nik: w.kelurahan for w in Worker.objects.select_related("kelurahan")}
    assert (found["6409011204850001"].name, found["6409011204850001"].kind) == (
        "Giri Mukti", "desa",
    )  # fmt: skip
    assert found["6409011204850002"].code == "64.09.01.1009"  # Nipah-Nipah, a kelurahan
    assert found["6409011204850003"].code == "64.09.01.2022"
    assert found["6409041204850006"].name == "Telemow"
    errors = json.dumps(report["errors"], ensure_ascii=False)
    assert "beberapa kelurahan/desa bernama Sidorejo" in errors
    assert "64.09.02.2099 Sidorejo, Kec. Waru" in errors
    assert "Kelun tidak ada di Kabupaten Penajam Paser Utara" in errors


# --- eligibility -----------------------------------------------------------------------------


def test_eligibility_area_rule_follows_the_region(ppu):
    year = ProgramYearFactory(year=2024)
    home = WorkerFactory(
        nik=make_nik(birth_date=datetime.date(1980, 1, 5), sex="L", serial=1, region="640903"),
        birth_date=datetime.date(1980, 1, 5),
        sex="L",
        kelurahan=Kelurahan.objects.get(code="64.09.03.2001"),
    )
    result = enrollment_eligibility(worker=home, program_year=year)
    assert "not_resident" not in {f.code for f in result.errors}
    # A village typed in by hand with another region's code is outside the area.
    stray = Kelurahan.objects.create(
        code="35.77.01.1009", name="Kelun", kecamatan=Kecamatan.objects.get(code="64.09.01")
    )
    away = WorkerFactory(
        nik=make_nik(birth_date=datetime.date(1980, 1, 5), sex="L", serial=2, region="640903"),
        birth_date=datetime.date(1980, 1, 5),
        sex="L",
        kelurahan=stray,
    )
    result = enrollment_eligibility(worker=away, program_year=year)
    finding = next(f for f in result.errors if f.code == "not_resident")
    assert (
        finding.message == "Kelurahan/desa pekerja tidak berada di Kabupaten Penajam Paser Utara."
    )


def test_eligibility_area_rule_for_kota_madiun():
    year = ProgramYearFactory(year=2024)
    result = enrollment_eligibility(worker=WorkerFactory(), program_year=year)
    assert "not_resident" not in {f.code for f in result.errors}


# --- seed_demo -------------------------------------------------------------------------------


def test_default_demo_size_scales_with_the_villages():
    assert default_workers(regions.region("35.77")) == 15_000
    assert default_workers(regions.region(PPU)) == 19_200  # 24 kelurahan + 30 desa × 0.35
    assert default_workers(regions.region("31.01")) == 3_300  # Kepulauan Seribu: 6 kelurahan
    assert default_workers(regions.region("11.08")) == 100_000  # Aceh Utara, 852 desa: capped
    assert neighbour_districts(regions.region("35.77")) == [
        ("351901", "Kab. Madiun"), ("351905", "Kab. Madiun"), ("352002", "Kab. Magetan"),
    ]  # fmt: skip


def test_seed_demo_for_penajam_paser_utara(ppu):
    out = StringIO()
    call_command("seed_demo", "--workers", "600", "--year", "2024", stdout=out)
    assert "Seeded 600 workers" in out.getvalue()
    workers = Worker.objects.select_related("kelurahan")
    assert workers.count() == 600
    assert all(w.kelurahan.code.startswith("64.09.") for w in workers)
    own = [w for w in workers if w.nik.startswith("6409")]
    assert 0.9 * 600 < len(own) < 600  # about 4% hold a NIK of a neighbouring regency
    assert all(w.nik[4:6] == w.kelurahan.code[6:8] for w in own)
    assert all(w.kk_number.startswith("6409") for w in workers)
    assert {w.birth_place for w in own} == {"Penajam Paser Utara"}
    kinds = [w.kelurahan.kind for w in workers]
    # Kelurahan weigh about three times a desa: 24 × 1 against 30 × 0.35.
    assert 0.55 < kinds.count("kelurahan") / 600 < 0.8
    assert kinds.count("desa") > 100
    sources = set(workers.exclude(dtks_source="").values_list("dtks_source", flat=True))
    assert sources == {"Dinas Sosial Kabupaten Penajam Paser Utara"}


def test_seed_demo_for_kota_madiun_keeps_its_places():
    call_command("seed_demo", "--workers", "300", "--year", "2024", stdout=StringIO())
    workers = list(Worker.objects.select_related("kelurahan"))
    assert {w.nik[:4] for w in workers} <= {"3577", "3519", "3520"}
    assert {w.birth_place for w in workers if w.nik.startswith("3577")} == {"Madiun"}
    assert {w.birth_place for w in workers if not w.nik.startswith("3577")} <= {
        "Kab. Madiun", "Kab. Magetan",
    }  # fmt: skip


# --- pages and documents ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "brand"),
    [("35.77", "Disnaker Kota Madiun"), (PPU, "Disnaker Kabupaten Penajam Paser Utara")],
)
def test_page_titles_follow_the_region(admin_client, code, brand):
    from django.test import Client

    with override_settings(SIAGA_REGION=code):
        assert brand in Client().get("/dashboard/login/").content.decode()
        assert f"Siaga Kita — {brand}" in admin_client.get("/admin/").content.decode()
        from django.template.loader import render_to_string

        assert brand in render_to_string("500.html")
