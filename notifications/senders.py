"""Who actually delivers a message: ``SIAGA_NOTIFICATIONS_SENDER`` names a class (dotted
path) with a ``send(*, recipient, body, key) -> str`` method that returns the gateway's
reference and raises on failure (the outbox then retries with backoff).

- ``FileSender`` (default): appends one JSON line per message to a daily file in
  ``SIAGA_NOTIFICATIONS_DIR`` — for development, training and offices without a gateway (the
  file holds phone numbers and KPJ numbers: keep the folder private).
- ``ConsoleSender``: prints the message (development).
- ``HttpGatewaySender``: an SMS/WhatsApp gateway that takes a JSON POST; configured by
  settings only (``SIAGA_NOTIFICATIONS_GATEWAY_URL``, ``_TOKEN``, ``_TIMEOUT``).
"""

from __future__ import annotations

import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import import_string


class SendError(Exception):
    """The gateway refused or could not be reached; the message is retried later."""


def get_sender():
    return import_string(settings.SIAGA_NOTIFICATIONS_SENDER)()


class FileSender:
    def __init__(self, directory: str | Path | None = None) -> None:
        self.directory = Path(directory or settings.SIAGA_NOTIFICATIONS_DIR)

    def send(self, *, recipient: str, body: str, key: str) -> str:
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        now = timezone.now()
        path = self.directory / f"outbox-{now:%Y-%m-%d}.jsonl"
        line = json.dumps(
            {"at": now.isoformat(), "to": recipient, "key": key, "text": body}, ensure_ascii=False
        )
        with path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        return f"{path.name}:{key}"


class ConsoleSender:
    def send(self, *, recipient: str, body: str, key: str) -> str:
        sys.stdout.write(f"[{key}] {recipient}: {body}\n")
        return key


class HttpGatewaySender:
    """POST ``{"to": "+62…", "message": "…", "reference": key}`` as JSON with a bearer token;
    any 2xx answer is a delivery, its JSON ``id`` (if any) the reference."""

    def __init__(self) -> None:
        self.url = getattr(settings, "SIAGA_NOTIFICATIONS_GATEWAY_URL", "")
        self.token = getattr(settings, "SIAGA_NOTIFICATIONS_GATEWAY_TOKEN", "")
        self.timeout = getattr(settings, "SIAGA_NOTIFICATIONS_GATEWAY_TIMEOUT", 10)
        if not self.url.startswith("https://"):
            raise ImproperlyConfigured(
                "SIAGA_NOTIFICATIONS_GATEWAY_URL must be an https:// address for the gateway."
            )

    def send(self, *, recipient: str, body: str, key: str) -> str:
        payload = json.dumps({"to": recipient, "message": body, "reference": key}).encode()
        request = urllib.request.Request(
            self.url,
            data=payload,
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = response.read(10_000)
        except urllib.error.HTTPError as exc:
            raise SendError(f"gateway answered HTTP {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise SendError(f"gateway not reachable: {exc.__class__.__name__}") from None
        try:
            return str(json.loads(answer).get("id", ""))[:200]
        except (ValueError, AttributeError):
            return ""
