"""Every user-facing string has an Indonesian translation, and the compiled catalogs are current."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = sorted(
    p for p in ROOT.glob("**/locale/id/LC_MESSAGES/django.po") if ".venv" not in p.parts
)


def entries(po: Path):
    msgid = None
    for line in po.read_text(encoding="utf-8").splitlines():
        if line.startswith("msgid "):
            msgid = line[7:-1]
        elif line.startswith("msgstr ") and msgid:
            yield msgid, line[8:-1]


@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_message_is_translated(po):
    text = po.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text.split("\n\n", 1)[1], "fuzzy entries need review"
    untranslated = [msgid for msgid, msgstr in entries(po) if not msgstr]
    assert untranslated == []


@pytest.mark.skipif(not shutil.which("msgfmt"), reason="gettext's msgfmt is not installed")
@pytest.mark.parametrize("po", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_compiled_catalog_is_up_to_date(po, tmp_path):
    fresh = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check-format", "-o", fresh, po], check=True)
    assert fresh.read_bytes() == po.with_suffix(".mo").read_bytes(), "run `make messages`"
