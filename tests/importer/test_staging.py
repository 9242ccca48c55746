import datetime

import pytest

from importer import staging


@pytest.fixture(autouse=True)
def private_dir(settings, tmp_path):
    settings.SIAGA_IMPORT_STAGING_DIR = tmp_path / "staging"


def test_staged_rows_round_trip_with_dates_in_a_private_file():
    payload = {"rows": [[5, "new", {"birth_date": datetime.date(1990, 3, 4)}]]}
    name = staging.write_stage(payload)
    path = staging.staging_dir() / name
    assert path.stat().st_mode & 0o777 == 0o600
    assert staging.staging_dir().stat().st_mode & 0o777 == 0o700
    assert staging.read_stage(name) == payload
    staging.delete_stage(name)
    assert not path.exists()


def test_a_tampered_file_is_never_unpickled():
    name = staging.write_stage({"a": 1})
    path = staging.staging_dir() / name
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError):
        staging.read_stage(name)


def test_names_cannot_leave_the_folder():
    with pytest.raises(FileNotFoundError):
        staging.read_stage("../../etc/passwd")
