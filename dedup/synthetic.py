"""A registry with known duplicates, to measure the duplicate rule (tests and benchmarks).

People get realistic Indonesian names (two or three words), NIKs that agree with their birth
date and kecamatan, families sharing a KK, phones and addresses. Then:

- a share of people are typed a second time, each copy with the errors paper forms bring, in
  these proportions: a NIK digit mistyped (45 %), two NIK digits swapped (25 %), a wholly
  different NIK (30 %, e.g. an old KTP); independently the name in old spelling, a "Moch."/
  "St." abbreviation, a title added or the words reordered (50 %), the birth date with day
  and month swapped (10 %) or one digit off (8 %), a new phone (40 %), no KK (30 %);
- look-alikes that are *different* people: twins (same birth date, KK, address and kelurahan,
  NIK serials one apart, different given names) and namesakes (same common name, other
  birth date and place).

``generate`` returns the rows and the set of true duplicate NIK pairs.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

GIVEN = (  # noqa: SIM905 - a name list reads best as text
    "Budi Agus Eko Joko Bambang Wahyu Slamet Heru Tri Dwi Andi Rudi Hendra Yusuf Rizky Fajar "
    "Dedi Arif Hadi Imam Teguh Bayu Adi Dimas Galih Yoga Putra Aditya Ilham Ridwan Sugeng "
    "Suparno Sutrisno Suyono Sumarno Sukirman Parjo Paimin Karyo Darmaji Sarwono Hartono Gunawan "
    "Kurniawan Setiawan Purnomo Wibowo Susilo Siti Sri Dewi Rina Endang Yuni Lestari Nur Ani "
    "Wulan Sari Indah Ratna Fitri Yanti Ayu Dian Rini Tutik Sulastri Suyati Sumiati Kasih "
    "Maryam Aisyah Fatimah Khadijah Nurul Umi Puji Rahayu Wahyuni Handayani Puspita Anggraini "
    "Kartika Permata Citra Mega Novi Eka Lina Mila Dyah Ayuning Retno Winarti Sunarti Suwarni"
).split()
FAMILY = (  # noqa: SIM905
    "Santoso Wijaya Saputra Pratama Hidayat Nugroho Setiawan Kusuma Permana Prasetyo Hartono "
    "Susanto Gunawan Rahman Hakim Syahputra Firmansyah Ramadhan Maulana Wibisono Utomo Suharto "
    "Sudarsono Suryadi Mulyadi Haryanto Widodo Kurniawati Lestari Rahmawati Purwanti Wulandari "
    "Sulistyowati Setyaningsih Handayani Susanti Suryani Astuti Yulianti Hastuti Rahayu Pertiwi "
    "Fauzi Anwar Ikhsan Nasution Harahap Siregar Effendi Hasibuan Iskandar Hamid Salim Bakri"
).split()
MUHAMMAD = ["Muhammad", "Mochammad", "Moch.", "Moh.", "M.", "Mohamad", "Muhamad"]
OLD_SPELLING = [("u", "oe"), ("j", "dj"), ("c", "tj"), ("y", "j"), ("kh", "ch")]
TITLES = ["H.", "Hj.", "Drs.", "S.Pd.", "S.E.", "Ir."]


def region_prefixes() -> tuple[str, ...]:
    """NIK prefixes: the region's (SIAGA_REGION) and two neighbouring regencies' (Kota Madiun:
    3577, Kabupaten Madiun 3519, Magetan 3520)."""
    from enrollment.demo import neighbour_districts
    from participants import regions

    here = regions.current()
    near = dict.fromkeys(d[:4] for d, _place in neighbour_districts(here))
    return (here.nik_prefix, *near)


@dataclass
class Row:
    nik: str
    full_name: str
    birth_date: datetime.date
    sex: str
    kk_number: str
    phone: str
    kelurahan: int  # index into the kelurahan list
    address: str


def worker_fields(
    row: Row, kelurahan_ids: list[int], segment_id: int | None, birth_place: str
) -> dict:
    """The ``participants.Worker`` columns of a generated row (a BPU worker), for loading a
    test registry in bulk (``importer.bulk.insert_rows``): benchmarks and tests alike."""
    return {
        "nik": row.nik,
        "full_name": row.full_name,
        "birth_place": birth_place,
        "birth_date": row.birth_date,
        "sex": row.sex,
        "kk_number": row.kk_number,
        "address": row.address,
        "rt": "001",
        "rw": "001",
        "kelurahan_id": kelurahan_ids[row.kelurahan % len(kelurahan_ids)],
        "phone": row.phone,
        "worker_type": "BPU",
        "segment_id": segment_id,
    }


def _nik(prefix: str, kecamatan: int, born: datetime.date, sex: str, serial: int) -> str:
    day = born.day + (40 if sex == "P" else 0)
    return f"{prefix}{kecamatan:02d}{day:02d}{born:%m%y}{serial:04d}"


def _name(rng: random.Random) -> str:
    words = [rng.choice(GIVEN)]
    if rng.random() < 0.12:
        words.insert(0, "Muhammad")
    if rng.random() < 0.55:
        words.append(rng.choice(GIVEN))
    words.append(rng.choice(FAMILY))
    return " ".join(words)


def _misspell(name: str, rng: random.Random) -> str:
    kind = rng.random()
    words = name.split()
    if kind < 0.35:
        for new, old in rng.sample(OLD_SPELLING, len(OLD_SPELLING)):
            if new in name.lower():
                return name.replace(new, old, 1)
    if kind < 0.55 and words[0] == "Muhammad":
        return " ".join([rng.choice(MUHAMMAD[1:]), *words[1:]])
    if kind < 0.7 and words[0] == "Siti":
        return " ".join(["St.", *words[1:]])
    if kind < 0.85:
        return (
            f"{rng.choice(TITLES)} {name}"
            if rng.random() < 0.5
            else f"{name}, {rng.choice(TITLES)}"
        )
    if len(words) > 1:
        return " ".join([*words[1:], words[0]])
    return name


def _nik_typo(nik: str, rng: random.Random) -> str:
    digits = list(nik)
    if rng.random() < 0.64:  # 45 of 70: one digit
        i = rng.randrange(4, 16)
        digits[i] = rng.choice([d for d in "0123456789" if d != digits[i]])
    else:  # 25 of 70: two adjacent digits swapped
        candidates = [i for i in range(4, 15) if digits[i] != digits[i + 1]]
        i = rng.choice(candidates)
        digits[i], digits[i + 1] = digits[i + 1], digits[i]
    return "".join(digits)


def _one_digit(born: datetime.date, rng: random.Random) -> datetime.date:
    for _ in range(20):
        text = list(born.strftime("%d%m%Y"))
        i = rng.choice([0, 1, 2, 3, 6, 7])
        text[i] = rng.choice("0123456789")
        try:
            new = datetime.datetime.strptime("".join(text), "%d%m%Y").date()
        except ValueError:
            continue
        if new != born:
            return new
    return born + datetime.timedelta(days=1)


def generate(
    people: int,
    *,
    seed: int = 1,
    kelurahan: int = 27,
    duplicate_share: float = 0.03,
    twin_share: float = 0.01,
) -> tuple[list[Row], set[tuple[str, str]]]:
    rng = random.Random(seed)
    prefixes = region_prefixes()
    rows: list[Row] = []
    used: set[str] = set()
    serial = 0

    def add(row: Row) -> bool:
        if row.nik in used:
            return False
        used.add(row.nik)
        rows.append(row)
        return True

    for i in range(people):
        born = datetime.date(1960, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 45))
        sex = "P" if rng.random() < 0.5 else "L"
        kel = rng.randrange(kelurahan)
        serial += 1
        row = Row(
            nik=_nik(
                rng.choice(prefixes[:1] * 8 + prefixes[1:]), 1 + kel % 3, born, sex, serial % 10_000
            ),
            full_name=_name(rng),
            birth_date=born,
            sex=sex,
            kk_number=f"{prefixes[0]}{kel % 3 + 1:02d}{i:010d}",
            phone=f"+628{rng.randrange(10**9, 10**10)}",
            kelurahan=kel,
            address=f"Jl. {rng.choice(FAMILY)} No. {rng.randrange(1, 200)}",
        )
        add(row)

    originals = list(rows)
    truth: set[tuple[str, str]] = set()
    # Twins: different people who share almost everything but the given name.
    for base in rng.sample(originals, int(people * twin_share)):
        given = rng.choice([g for g in GIVEN if g not in base.full_name])
        family = base.full_name.split()[-1]
        twin = Row(
            nik=base.nik[:12] + f"{(int(base.nik[12:]) + 1) % 10_000:04d}",
            full_name=f"{given} {family}",
            birth_date=base.birth_date,
            sex=base.sex,
            kk_number=base.kk_number,
            phone=base.phone if rng.random() < 0.3 else f"+628{rng.randrange(10**9, 10**10)}",
            kelurahan=base.kelurahan,
            address=base.address,
        )
        add(twin)
    # Duplicates: the same person typed again, with the errors paper forms bring.
    for base in rng.sample(originals, int(people * duplicate_share)):
        kind = rng.random()
        born = base.birth_date
        roll = rng.random()
        if roll < 0.10 and born.day <= 12 and born.day != born.month:
            born = datetime.date(born.year, born.day, born.month)
        elif roll < 0.18:
            born = _one_digit(born, rng)
        if kind < 0.70:
            nik = _nik_typo(base.nik, rng)
        else:
            serial += 1
            nik = _nik(base.nik[:4], int(base.nik[4:6]), born, base.sex, (serial + 5000) % 10_000)
        copy = Row(
            nik=nik,
            full_name=_misspell(base.full_name, rng) if rng.random() < 0.5 else base.full_name,
            birth_date=born,
            sex=base.sex,
            kk_number="" if rng.random() < 0.3 else base.kk_number,
            phone=base.phone if rng.random() < 0.6 else f"+628{rng.randrange(10**9, 10**10)}",
            kelurahan=base.kelurahan if rng.random() < 0.85 else rng.randrange(kelurahan),
            address=base.address if rng.random() < 0.7 else base.address.replace("Jl.", "Jalan"),
        )
        if add(copy):
            truth.add(tuple(sorted([base.nik, copy.nik])))
    rng.shuffle(rows)
    return rows, truth
