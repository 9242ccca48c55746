"""Is this the same person? Scores a pair of worker records, with the reasons in words.

Candidate lists are typed from paper forms, so one person arrives with a mistyped NIK digit,
"Moch." for "Mochammad", "Soeparno" for "Suparno" or day and month swapped. The rule
(docs/duplicates.md):

1. Names are compared in a spelling-neutral form (:func:`name_key`): lower case, titles and
   honorifics dropped (H., Hj., S.Pd., Drs., Ir., …), the old Indonesian spelling folded into
   one form (oe→u, dj→j, tj→c, ch→kh, and y/j treated alike because old "j" is today's "y"),
   doubled letters single, the many spellings of Muhammad and Siti one word, word order
   ignored. Similarity is rapidfuzz's token-sort ratio on those keys (0–100).
2. Evidence adds points (:data:`WEIGHTS`): birth date equal, or with day and month swapped,
   or one digit off; NIK one digit off or two adjacent digits swapped; the same KK; the same
   phone; the same kelurahan; a similar address.
3. ``score = min(100, round(0.5 × name similarity + evidence))``. A pair at or above
   :data:`DEFAULT_MIN_SCORE` is a possible duplicate. Names below :data:`MIN_NAME_SIMILARITY`
   never make a pair, whatever else agrees: twins share a birth date, a KK, an address and
   often NIK digits, but not a name.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import re
import struct
import unicodedata
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from rapidfuzz import fuzz
from rapidfuzz.distance import DamerauLevenshtein

DEFAULT_MIN_SCORE = 80
MIN_NAME_SIMILARITY = 80
NAME_WEIGHT = 0.5

WEIGHTS = {
    "birth_equal": 25,
    "birth_swapped": 20,
    "birth_one_digit": 14,
    "nik_near": 25,
    "same_kk": 10,
    "same_phone": 12,
    "same_kelurahan": 4,
    "similar_address": 6,
}

# Titles, degrees and honorifics written before or after a name.
TITLES = {
    "h",
    "hj",
    "haji",
    "hajjah",
    "dr",
    "drs",
    "dra",
    "ir",
    "prof",
    "sh",
    "se",
    "st_",
    "spd",
    "spdi",
    "sag",
    "skom",
    "sk",
    "ssi",
    "sip",
    "sos",
    "ssos",
    "ked",
    "mm",
    "mpd",
    "msi",
    "amd",
    "ama",
    "bsc",
    "ba",
    "kh",
    "ust",
    "ustadz",
    "ustad",
    "ustadzah",
    "bpk",
    "bapak",
    "ibu",
    "ny",
    "nj",
    "nn",
    "sdr",
    "sdri",
    "alm",
    "almh",
    "tn",
    "mr",
    "mrs",
}
# Spellings (after folding) of the same given name.
SAME_NAME = {
    **dict.fromkeys(
        [
            "m",
            "mh",
            "mhd",
            "md",
            "mch",
            "moc",
            "mokh",
            "mukh",
            "moh",
            "mohd",
            "muh",
            "muk",
            "mukamad",
            "muhamad",
            "mohamad",
            "mokhamad",
            "mukhamad",
            "mohamed",
            "muhamed",
            "mochamad",
            "mohkamad",
        ],
        "muhamad",
    ),
    **dict.fromkeys(["st", "sti"], "siti"),
    **dict.fromkeys(["abd", "abdl"], "abdul"),
    **dict.fromkeys(["nurul"], "nurul"),
}
_NON_LETTER = re.compile(r"[^a-z ]+")
_FOLDS = [("oe", "u"), ("dj", "j"), ("tj", "c"), ("kh", "h"), ("ch", "h"), ("y", "j"), ("ph", "f")]
_DOUBLE = re.compile(r"(.)\1+")
_PLAIN = re.compile(r"[A-Za-z ]*")


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


@functools.lru_cache(maxsize=100_000)
def _fold(word: str) -> str:
    for old, new in _FOLDS:
        word = word.replace(old, new)
    return _DOUBLE.sub(r"\1", word)


def name_tokens(name: str) -> list[str]:
    """The words of a name in spelling-neutral form, titles dropped, sorted."""
    return list(_name_tokens(name))


@functools.lru_cache(maxsize=200_000)
def _name_tokens(name: str) -> tuple[str, ...]:
    # Names repeat (Siti, Sri, Muhammad …): a registry has far fewer names than people.
    if _PLAIN.fullmatch(name):
        # Letters and spaces only (most names): no accents, dots or commas to handle first.
        words = name.lower().split()
    else:
        text = _ascii(name).lower()
        # "S.Pd." and "S. Pd" are one title: join letters split by dots before tokenising.
        text = re.sub(r"\b([a-z])\.\s*(?=[a-z]{1,3}\b\.?)", r"\1", text)
        words = _NON_LETTER.sub(" ", text.replace(".", ". ")).split()
    tokens = [token for token in map(_word, words) if token is not None]
    return tuple(sorted(tokens) or sorted(_fold(w) for w in words))


@functools.lru_cache(maxsize=100_000)
def _word(word: str) -> str | None:
    """A word of a name in spelling-neutral form; None for a title."""
    if word in TITLES:
        return None
    folded = _fold(word)
    if folded in TITLES:
        return None
    return SAME_NAME.get(folded, folded)


def name_key(name: str) -> str:
    return " ".join(name_tokens(name))


def name_similarity(a: str, b: str) -> int:
    """0–100: how alike two names are once spelling, titles and word order are set aside."""
    form_a, form_b = _name_form(a), _name_form(b)
    if form_a is None or form_b is None:
        return 0
    if form_a[0] == form_b[0]:
        return 100
    similarity = fuzz.token_sort_ratio(form_a[0], form_b[0])
    # A name written in full once and without a middle word once ("Siti Nur Aminah").
    words_a, words_b = form_a[1], form_b[1]
    shorter, longer = (words_a, words_b) if len(words_a) <= len(words_b) else (words_b, words_a)
    if len(shorter) >= 2 and shorter < longer:
        similarity = max(similarity, 90)
    return round(similarity)


@functools.lru_cache(maxsize=200_000)
def _name_form(name: str) -> tuple[str, frozenset[str]] | None:
    """A name's spelling-neutral text and set of words (None without words), computed once
    per name: an import compares each row with many others."""
    tokens = _name_tokens(name)
    return (" ".join(tokens), frozenset(tokens)) if tokens else None


def birth_relation(a: datetime.date | None, b: datetime.date | None) -> str | None:
    """ "equal", "swapped" (day and month), "one_digit" (one digit of DDMMYYYY) or None."""
    if a is None or b is None:
        return None
    if a == b:
        return "equal"
    if a.day == b.month and a.month == b.day and a.year == b.year:
        return "swapped"
    # One digit of DDMMYYYY: at most one of day, month, year differs, by one digit.
    differ = (a.day != b.day) + (a.month != b.month) + (a.year != b.year)
    if differ == 1:
        x, y = (
            (a.day, b.day) if a.day != b.day else
            (a.month, b.month) if a.month != b.month else (a.year, b.year)
        )  # fmt: skip
        width = 4 if a.year != b.year else 2
        if sum(p != q for p, q in zip(f"{x:0{width}d}", f"{y:0{width}d}", strict=True)) == 1:
            return "one_digit"
    return None


def nik_near(a: str, b: str) -> bool:
    """One digit different, or two adjacent digits swapped (never equal: NIK is unique)."""
    if a == b or len(a) != len(b):
        return False
    return DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1


_NON_DIGIT = re.compile(r"\D+")


@functools.lru_cache(maxsize=200_000)
def _digits(text: str) -> str:
    return _NON_DIGIT.sub("", text) if text else ""


@dataclass(frozen=True)
class Person:
    """The fields the rule compares, from a worker or from a spreadsheet row."""

    nik: str
    full_name: str
    birth_date: datetime.date | None = None
    kk_number: str = ""
    phone: str = ""
    kelurahan_id: int | None = None
    address: str = ""
    pk: int | None = None

    @classmethod
    def of(cls, worker) -> Person:
        return cls(
            nik=worker.nik,
            full_name=worker.full_name,
            birth_date=worker.birth_date,
            kk_number=worker.kk_number or "",
            phone=worker.phone or "",
            kelurahan_id=worker.kelurahan_id,
            address=worker.address or "",
            pk=worker.pk,
        )


@dataclass
class Match:
    score: int
    name_similarity: int
    reasons: list[str] = field(default_factory=list)


_REST = WEIGHTS["same_phone"] + WEIGHTS["same_kelurahan"] + WEIGHTS["similar_address"]


def _reason(code: str, similarity: int) -> str:
    if code == "name":
        return _("similar name %(percent)d%%") % {"percent": similarity}
    return {
        "birth_equal": _("same birth date"),
        "birth_swapped": _("birth date with day and month swapped"),
        "birth_one_digit": _("birth date one digit apart"),
        "nik_near": _("NIK one digit apart"),
        "same_kk": _("same KK"),
        "same_phone": _("same phone number"),
        "same_kelurahan": _("same kelurahan"),
        "similar_address": _("similar address"),
    }[code]


def compare(a: Person, b: Person, *, min_score: int | None = None) -> Match | None:
    """Score a pair; None when the names alone rule it out, or when the score is below
    ``min_score`` (then no reasons are built: an import rejects thousands of pairs)."""
    similarity = name_similarity(a.full_name, b.full_name)
    if similarity < MIN_NAME_SIMILARITY:
        return None
    codes = ["name"]
    birth = birth_relation(a.birth_date, b.birth_date)
    if birth is not None:
        codes.append("birth_" + birth)
    if nik_near(a.nik, b.nik):
        codes.append("nik_near")
    if a.kk_number and a.kk_number == b.kk_number:
        codes.append("same_kk")
    if min_score is not None and (
        round(NAME_WEIGHT * similarity + sum(WEIGHTS[code] for code in codes[1:]) + _REST)
        < min_score
    ):
        return None  # even the same phone, kelurahan and address would not reach min_score
    if a.phone and b.phone:
        phone_a = _digits(a.phone)
        if phone_a and phone_a[-9:] == _digits(b.phone)[-9:]:
            codes.append("same_phone")
    if a.kelurahan_id and a.kelurahan_id == b.kelurahan_id:
        codes.append("same_kelurahan")
        # The address ratio is the dearest test: skipped when it cannot reach min_score.
        if (
            a.address
            and b.address
            and (
                min_score is None
                or round(
                    NAME_WEIGHT * similarity
                    + sum(WEIGHTS[code] for code in codes[1:])
                    + WEIGHTS["similar_address"]
                )
                >= min_score
            )
            and fuzz.token_sort_ratio(a.address.lower(), b.address.lower()) >= 85
        ):
            codes.append("similar_address")
    points = sum(WEIGHTS[code] for code in codes[1:])
    score = min(100, round(NAME_WEIGHT * similarity + points))
    if min_score is not None and score < min_score:
        return None
    return Match(
        score=score,
        name_similarity=similarity,
        reasons=[_reason(code, similarity) for code in codes],
    )


# --- blocking keys: pairs worth comparing share at least one --------------------------------


def _nik_keys(nik: str) -> list[str]:
    """A NIK one substitution or one adjacent swap away shares one of these with the other.

    ``scan.SQL_KEYS`` computes the same strings in the database: keep them in step."""
    if len(nik) != 16:
        return []
    return [
        "a" + nik[:12],  # a slip in the serial
        "b" + nik[6:],  # a slip in the region digits
        "c" + nik[:6] + nik[12:],  # a slip in the birth-date digits
        "d" + nik[:5] + nik[7:],  # a swap across region/birth date
        "e" + nik[:11] + nik[13:],  # a swap across birth date/serial
    ]


def identity_keys(person: Person) -> list[str]:
    """Keys from the numbers: NIK (one slip allowed), KK, phone (its last 9 digits)."""
    keys = _nik_keys(person.nik)
    if person.kk_number:
        keys.append("f" + person.kk_number)
    phone = _digits(person.phone)
    if len(phone) >= 9:
        keys.append("p" + phone[-9:])
    return keys


def name_keys(person: Person) -> list[str]:
    """Keys from the name with the birth date or the kelurahan."""
    tokens = name_tokens(person.full_name)
    if not tokens:
        return []
    keys = []
    whole = " ".join(tokens)
    if person.birth_date is not None:
        d = person.birth_date
        day_month = f"{min(d.day, d.month):02d}{max(d.day, d.month):02d}{d.year}"
        # Same (or swapped) birth date and a name word in common.
        for token in {tokens[0], tokens[-1]}:
            keys.append(f"n{token[:4]}|{day_month}")
        # A birth-date typo: the whole name and the birth year …
        keys.append(f"y{whole}|{d.year}")
    # … or the whole name and the kelurahan.
    if person.kelurahan_id:
        keys.append(f"k{whole}|{person.kelurahan_id}")
    return keys


def blocking_keys(person: Person) -> list[str]:
    return identity_keys(person) + name_keys(person)


def stable_key(key: str) -> int:
    """A blocking key as a signed 64-bit integer, the same in every process and in SQL:
    the first 16 hex digits of its MD5 (PostgreSQL: ``('x'||substr(md5(k),1,16))::bit(64)
    ::bigint``)."""
    return int.from_bytes(hashlib.md5(key.encode()).digest()[:8], "big", signed=True)  # noqa: S324


_unpack_key = struct.Struct(">q").unpack_from


def hashed_keys(person: Person) -> set[int]:
    # stable_key inlined: an import hashes ten keys for each of its rows.
    md5 = hashlib.md5
    return {_unpack_key(md5(key.encode()).digest())[0] for key in blocking_keys(person)}
