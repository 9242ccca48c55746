"""The client's address as the login log (django-axes) records it.

Behind the TLS proxy every request comes from the proxy (127.0.0.1): the client's address is
the one the proxy appended to ``X-Forwarded-For`` (nginx: ``proxy_set_header X-Forwarded-For
$proxy_add_x_forwarded_for``). With ``SIAGA_TRUSTED_PROXY_COUNT`` proxies in front, the client
is the entry that many places from the right; entries further left were sent by the client
itself and are never trusted (otherwise anyone could dodge the lockout by inventing one).
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip_address(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies = getattr(settings, "SIAGA_TRUSTED_PROXY_COUNT", 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-proxies]))
    except ValueError:
        return remote
