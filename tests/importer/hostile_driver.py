"""Run imports in a separate process, as the hostile-file and crash tests need.

    python tests/importer/hostile_driver.py MODE [FILE ...]

MODE is ``web`` (upload through the admin, read in the request), ``enqueue`` (upload, left
for the background worker), ``cli`` (``manage.py import_workers``), ``confirm JOB`` (confirm
a previewed job through the admin; it goes to the worker when the file is long), ``retry
JOB`` / ``cancel JOB`` (the buttons of an interrupted job), ``recover`` (what the next page
view or task does: fail jobs whose process died) or ``report``.
It prints one JSON object per line. The database comes from DATABASE_URL; the tests run it
under a memory limit (RLIMIT_AS) and a time limit and kill it at chosen points.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import time
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "siaga.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.models import Permission  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

from importer import staging  # noqa: E402
from importer.models import ImportJob  # noqa: E402
from importer.services import import_recover_stale  # noqa: E402
from participants.models import Heir, Worker  # noqa: E402

USERNAME = "petugas-uji"


def peak_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def emit(**data) -> None:
    print(json.dumps(data, default=str), flush=True)


def importer_user():
    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    user.is_staff = True
    user.save()
    user.user_permissions.add(Permission.objects.get(codename="import_workers"))
    return get_user_model().objects.get(pk=user.pk)


def client() -> Client:
    setup_test_environment()
    browser = Client()
    browser.force_login(importer_user())
    return browser


def upload(paths: list[str], background: bool) -> None:
    settings.SIAGA_IMPORT_BACKGROUND_BYTES = 0 if background else 1 << 40
    browser = client()
    for name in paths:
        path = Path(name)
        started = time.monotonic()
        response = browser.post(
            reverse("admin:participants_worker_import"),
            {"import_file": SimpleUploadedFile(path.name, path.read_bytes())},
        )
        job = ImportJob.objects.filter(file_name=path.name).order_by("-pk").first()
        body = response.content.decode(errors="replace") if response.status_code == 200 else ""
        emit(
            file=path.name,
            http=response.status_code,
            location=response.get("Location", ""),
            job=job and job.pk,
            status=job and job.status,
            message=job and job.message,
            page_has_message=bool(job and job.message and job.message in _unescape(body)),
            seconds=round(time.monotonic() - started, 2),
            peak_mb=peak_mb(),
        )


def _unescape(html: str) -> str:
    import html as html_module

    return html_module.unescape(html)


def cli(paths: list[str]) -> None:
    importer_user()
    for name in paths:
        started = time.monotonic()
        out, err = io.StringIO(), io.StringIO()
        code = 0
        try:
            with redirect_stdout(out), redirect_stderr(err):
                call_command("import_workers", name, "--json", "--user", USERNAME, stdout=out)
        except SystemExit as exc:
            code = exc.code
        report = json.loads(out.getvalue().strip().splitlines()[-1])
        emit(
            file=Path(name).name,
            exit=code,
            outcome=report.get("outcome"),
            message=report.get("message")
            or (report["errors"][0]["message"] if report["errors"] else ""),
            seconds=round(time.monotonic() - started, 2),
            peak_mb=peak_mb(),
        )


def confirm(job_id: str) -> None:
    browser = client()
    job = ImportJob.objects.get(pk=int(job_id))
    response = browser.post(
        reverse("admin:participants_worker_process_import"), {"job": job.pk, "skip_invalid": "1"}
    )
    job.refresh_from_db()
    emit(http=response.status_code, status=job.status, location=response.get("Location", ""))


def job_action(action: str, job_id: str) -> None:
    """Press the progress page's Retry or Cancel button."""
    browser = client()
    job = ImportJob.objects.get(pk=int(job_id))
    response = browser.post(reverse(f"admin:participants_worker_import_{action}", args=[job.pk]))
    job.refresh_from_db()
    emit(http=response.status_code, status=job.status, location=response.get("Location", ""))


def report() -> None:
    jobs = [
        {
            "pk": j.pk,
            "file": j.file_name,
            "status": j.status,
            "message": j.message,
            "interrupted": j.interrupted,
            "can_retry": j.can_retry,
            "staged_file": j.staged_file,
            "upload_file": j.upload_file,
        }
        for j in ImportJob.objects.order_by("pk")
    ]
    emit(
        jobs=jobs,
        workers=Worker.objects.count(),
        heirs=Heir.objects.count(),
        files=sorted(p.name for p in staging.staging_dir().iterdir()),
    )


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    if mode in ("web", "enqueue"):
        upload(args, background=mode == "enqueue")
    elif mode == "cli":
        cli(args)
    elif mode == "confirm":
        confirm(args[0])
    elif mode in ("retry", "cancel"):
        job_action(mode, args[0])
    elif mode == "recover":
        emit(failed=import_recover_stale())
    elif mode == "report":
        report()
    else:
        raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
