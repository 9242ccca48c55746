import pytest

from participants.models import Kecamatan, Kelurahan, Segment

pytestmark = pytest.mark.django_db


def test_the_three_kecamatan_of_kota_madiun_with_kemendagri_codes():
    assert list(Kecamatan.objects.values_list("code", "name")) == [
        ("35.77.01", "Kartoharjo"),
        ("35.77.02", "Manguharjo"),
        ("35.77.03", "Taman"),
    ]


def test_the_27_kelurahan_each_under_its_kecamatan():
    assert Kelurahan.objects.count() == 27
    assert Kelurahan.objects.filter(kecamatan__name="Taman").count() == 9
    oro = Kelurahan.objects.get(code="35.77.01.1001")
    assert (oro.name, oro.kecamatan.name) == ("Oro-oro Ombo", "Kartoharjo")
    assert Kelurahan.objects.get(code="35.77.02.1009").name == "Nambangan Kidul"
    assert Kelurahan.objects.get(code="35.77.03.1009").name == "Taman"
    assert all(k.code.startswith(k.kecamatan.code + ".") for k in Kelurahan.objects.all())


def test_the_program_segments_are_loaded_and_editable():
    codes = set(Segment.objects.values_list("code", flat=True))
    assert {
        "ojol",
        "pkk",
        "karang-taruna",
        "pkl",
        "kim",
        "penyelenggara-pemilu",
        "lainnya",
    } <= codes
    assert len(codes) == 16
    segment = Segment.objects.get(code="pkl")
    segment.name = "PKL (pedagang kaki lima)"
    segment.save()
    assert Segment.objects.get(code="pkl").name == "PKL (pedagang kaki lima)"
