"""Reference data: Kota Madiun's kecamatan and kelurahan, and the program's segments.

Region codes and names follow Keputusan Menteri Dalam Negeri No 300.2.2-2138 Tahun 2025
tentang Pemberian dan Pemutakhiran Kode, Data Wilayah Administrasi Pemerintahan, dan Pulau.
Segments follow the groups Pemkot Madiun named for Siaga Kita (ANTARA, 6 May 2024).
Staff may edit both afterwards in the admin; re-running this migration never overwrites edits.
"""

from django.db import migrations

KECAMATAN = {
    "35.77.01": (
        "Kartoharjo",
        [
            ("1001", "Oro-oro Ombo", "Oro Oro Ombo\nOrooro Ombo\nOro-Oro Ombo\nOro2 Ombo"),
            ("1002", "Sukosari", "Suko Sari"),
            ("1003", "Klegen", ""),
            ("1004", "Rejomulyo", "Rejo Mulyo"),
            ("1005", "Pilangbango", "Pilang Bango"),
            ("1006", "Tawangrejo", "Tawang Rejo"),
            ("1007", "Kanigoro", "Kani Goro"),
            ("1008", "Kartoharjo", "Karto Harjo"),
            ("1009", "Kelun", ""),
        ],
    ),
    "35.77.02": (
        "Manguharjo",
        [
            ("1001", "Manguharjo", "Mangu Harjo"),
            ("1002", "Sogaten", ""),
            ("1003", "Patihan", ""),
            ("1004", "Ngegong", ""),
            ("1005", "Winongo", ""),
            ("1006", "Madiun Lor", "Madiunlor"),
            ("1007", "Pangongangan", ""),
            ("1008", "Nambangan Lor", "Nambanganlor"),
            ("1009", "Nambangan Kidul", "Nambangankidul"),
        ],
    ),
    "35.77.03": (
        "Taman",
        [
            ("1001", "Mojorejo", "Mojo Rejo"),
            ("1002", "Pandean", ""),
            ("1003", "Banjarejo", "Banjar Rejo\nBanjarrejo"),
            ("1004", "Kuncen", ""),
            ("1005", "Manisrejo", "Manis Rejo"),
            ("1006", "Kejuron", ""),
            ("1007", "Josenan", ""),
            ("1008", "Demangan", ""),
            ("1009", "Taman", ""),
        ],
    ),
}

SEGMENTS = [
    ("ojol", "Ojek online (ojol)", "Ojol\nOjek Online\nDriver Ojol\nGojek\nGrab\nMaxim"),
    ("pkk", "Anggota PKK", "PKK\nKader PKK"),
    ("karang-taruna", "Karang Taruna", "Anggota Karang Taruna"),
    ("koperasi", "Koperasi", "Anggota Koperasi\nPengurus Koperasi"),
    ("jasa-konstruksi", "Jasa konstruksi", "Konstruksi\nTukang Bangunan\nKuli Bangunan"),
    ("lembaga-pendidikan", "Lembaga pendidikan", "Pendidikan\nGuru Honorer\nGuru Ngaji"),
    (
        "kreator-konten",
        "Content creator / influencer / youtuber",
        "Content Creator\nKonten Kreator\nInfluencer\nYoutuber\nKreator Konten",
    ),
    ("pekerja-lepas", "Pekerja lepas", "Freelancer\nFreelance\nPekerja Lepas Harian"),
    ("pekerja-seni", "Pekerja seni", "Seniman\nPelaku Seni\nSeni"),
    ("siswa", "Siswa", "Pelajar\nMahasiswa"),
    ("difabel", "Difabel", "Disabilitas\nPenyandang Disabilitas\nDifabel Produktif"),
    ("pemuka-agama", "Pemuka agama", "Tokoh Agama\nModin\nTakmir\nMarbot"),
    ("pkl", "Pedagang kaki lima (PKL)", "PKL\nPedagang Kaki Lima\nPedagang"),
    ("kim", "Kelompok Informasi Masyarakat (KIM)", "KIM\nKelompok Informasi Masyarakat"),
    (
        "penyelenggara-pemilu",
        "Petugas penyelenggara pemilu",
        "KPPS\nPPS\nPPK\nPantarlih\nPetugas Pemilu\nPenyelenggara Pemilu",
    ),
    ("lainnya", "Lainnya", "Lain-lain\nLain Lain"),
]


def load(apps, schema_editor):
    Kecamatan = apps.get_model("participants", "Kecamatan")
    Kelurahan = apps.get_model("participants", "Kelurahan")
    Segment = apps.get_model("participants", "Segment")
    for kec_code, (kec_name, kelurahan) in KECAMATAN.items():
        kecamatan, _ = Kecamatan.objects.get_or_create(code=kec_code, defaults={"name": kec_name})
        for suffix, name, aliases in kelurahan:
            Kelurahan.objects.get_or_create(
                code=f"{kec_code}.{suffix}",
                defaults={"name": name, "kecamatan": kecamatan, "aliases": aliases},
            )
    for order, (code, name, aliases) in enumerate(SEGMENTS, start=1):
        Segment.objects.get_or_create(
            code=code, defaults={"name": name, "aliases": aliases, "sort_order": order * 10}
        )


class Migration(migrations.Migration):
    dependencies = [("participants", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
