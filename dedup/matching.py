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
    tokens_a, tokens_b = name_tokens(a), name_tokens(b)
    if not tokens_a or not tokens_b:
        return 0
    similarity = fuzz.token_sort_ratio(" ".join(tokens_a), " ".join(tokens_b))
    # A name written in full once and without a middle word once ("Siti Nur Aminah").
    shorter, longer = sorted([set(tokens_a), set(tokens_b)], key=len)
    if len(shorter) >= 2 and shorter < longer:
        similarity = max(similarity, 90)
    return round(similarity)


def _date_digits(value: datetime.date) -> str:
    return value.strftime("%d%m%Y")


def birth_relation(a: datetime.date | None, b: datetime.date | None) -> str | None:
    """ "equal", "swapped" (day and month), "one_digit" (one digit of DDMMYYYY) or None."""
    if a is None or b is None:
        return None
    if a == b:
        return "equal"
    if a.day == b.month and a.month == b.day and a.year == b.year:
        return "swapped"
    da, db = _date_digits(a), _date_digits(b)
    if sum(x != y for x, y in zip(da, db, strict=True)) == 1:
        return "one_digit"
    return None


def nik_near(a: str, b: str) -> bool:
    """One digit different, or two adjacent digits swapped (never equal: NIK is unique)."""
    if a == b or len(a) != len(b):
        return False
    return DamerauLevenshtein.distance(a, b, score_cutoff=1) <= 1


def _digits(text: str) -> str:
    return "".join(c for c in text or "" if c.isdigit())


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


def compare(a: Person, b: Person) -> Match | None:
    """Score a pair; None when the names alone rule it out."""
    similarity = name_similarity(a.full_name, b.full_name)
    if similarity < MIN_NAME_SIMILARITY:
        return None
    points = 0
    reasons = [_("similar name %(percent)d%%") % {"percent": similarity}]
    birth = birth_relation(a.birth_date, b.birth_date)
    if birth == "equal":
        points += WEIGHTS["birth_equal"]
        reasons.append(_("same birth date"))
    elif birth == "swapped":
        points += WEIGHTS["birth_swapped"]
        reasons.append(_("birth date with day and month swapped"))
    elif birth == "one_digit":
        points += WEIGHTS["birth_one_digit"]
        reasons.append(_("birth date one digit apart"))
    if nik_near(a.nik, b.nik):
        points += WEIGHTS["nik_near"]
        reasons.append(_("NIK one digit apart"))
    if a.kk_number and a.kk_number == b.kk_number:
        points += WEIGHTS["same_kk"]
        reasons.append(_("same KK"))
    if _digits(a.phone) and _digits(a.phone)[-9:] == _digits(b.phone)[-9:]:
        points += WEIGHTS["same_phone"]
        reasons.append(_("same phone number"))
    if a.kelurahan_id and a.kelurahan_id == b.kelurahan_id:
        points += WEIGHTS["same_kelurahan"]
        reasons.append(_("same kelurahan"))
        if (
            a.address
            and b.address
            and fuzz.token_sort_ratio(a.address.lower(), b.address.lower()) >= 85
        ):
            points += WEIGHTS["similar_address"]
            reasons.append(_("similar address"))
    score = min(100, round(NAME_WEIGHT * similarity + points))
    return Match(score=score, name_similarity=similarity, reasons=reasons)


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


def hashed_keys(person: Person) -> set[int]:
    return {stable_key(key) for key in blocking_keys(person)}
