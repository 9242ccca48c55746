"""Every page a member of staff opens is Indonesian: no msgid without a translation.

The catalog test (test_translations.py) checks the strings that `makemessages` found. This one
checks what pages actually show: it walks the admin index, every registered model's list, add
form, one record's page and its history, and every custom view without URL arguments, as each
role, and records each string passed to gettext while rendering that no catalog translates.
"""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation
from django.utils.translation import trans_real

from accounts import roles
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Strings that are the same in Indonesian or are not words (codes, units, brand names).
SAME_IN_INDONESIAN = {
    "NIK",
    "KK",
    "KPJ",
    "BPJS",
    "DTKS",
    "JKK",
    "JKM",
    "PU",
    "BPU",
    "Email",
    "Status",
    "Desil",
    "Total",
    "Rp",
    # The language switch's names are already Indonesian when Django passes them through
    # gettext a second time.
    "Bahasa Indonesia",
    "Bahasa Inggris",
}


class UntranslatedRecorder:
    """Wraps Django's gettext functions and keeps the msgids no catalog holds."""

    def __init__(self):
        self.missing: dict[str, set[str]] = {}
        self.page = ""

    def _check(self, message: str) -> None:
        if translation.get_language() != "id" or not any(c.isalpha() for c in message):
            return
        catalog = trans_real.translation("id")._catalog
        if message not in catalog and message.strip() not in SAME_IN_INDONESIAN:
            self.missing.setdefault(message, set()).add(self.page)

    def install(self, monkeypatch):
        real = translation._trans
        gettext, pgettext = real.gettext, real.pgettext
        ngettext, npgettext = real.ngettext, real.npgettext

        def checked_gettext(message):
            self._check(message.replace("\r\n", "\n"))
            return gettext(message)

        def checked_pgettext(context, message):
            if f"{context}\x04{message}" not in trans_real.translation("id")._catalog:
                self._check(message)
            return pgettext(context, message)

        def checked_ngettext(singular, plural, number):
            catalog = trans_real.translation("id")._catalog
            if (singular, 0) not in catalog:
                self._check(singular)
            return ngettext(singular, plural, number)

        def checked_npgettext(context, singular, plural, number):
            return npgettext(context, singular, plural, number)

        monkeypatch.setattr(real, "gettext", checked_gettext, raising=False)
        monkeypatch.setattr(real, "pgettext", checked_pgettext, raising=False)
        monkeypatch.setattr(real, "ngettext", checked_ngettext, raising=False)
        monkeypatch.setattr(real, "npgettext", checked_npgettext, raising=False)


def _url_names(resolver: URLResolver, prefix: str = "") -> set[str]:
    names: set[str] = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace or ""
            names |= _url_names(pattern, f"{prefix}{namespace}:" if namespace else prefix)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(prefix + pattern.name)
    return names


def _argument_free_urls() -> set[str]:
    """Every named URL that reverses without arguments or with a program year."""
    from enrollment.models import ProgramYear

    years = list(ProgramYear.objects.values_list("year", flat=True))
    urls = set()
    for name in _url_names(get_resolver()):
        for kwargs in [{}, *({"year": year} for year in years)]:
            try:
                urls.add(reverse(name, kwargs=kwargs))
            except NoReverseMatch:
                continue
    return urls


def _pages() -> list[str]:
    pages = {reverse("admin:index")} | _argument_free_urls()
    for model, model_admin in admin.site._registry.items():
        info = (model._meta.app_label, model._meta.model_name)
        obj = model_admin.get_queryset(_Request()).order_by("pk").first()
        if obj is not None:
            pages.add(reverse("admin:{}_{}_change".format(*info), args=[obj.pk]))
            pages.add(reverse("admin:{}_{}_history".format(*info), args=[obj.pk]))
    skip = ("logout", "/bahasa/", "jsi18n", "autocomplete")
    return sorted(p for p in pages if not any(s in p for s in skip))


class _Request:
    """Enough of a request for ModelAdmin.get_queryset (superuser, no filters)."""

    class user:  # noqa: N801 - stands in for request.user
        is_superuser = True
        is_authenticated = True

    GET: dict = {}


@pytest.fixture
def demo_registry(db):
    call_command("seed_demo", workers=60, verbosity=0)


def _user_for(role: str):
    user = UserFactory(username=f"walk-{role.lower()}", is_staff=role != roles.PIMPINAN)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.mark.parametrize(
    "role", [roles.OPERATOR, roles.VERIFIKATOR, roles.PIMPINAN, roles.ADMINISTRATOR]
)
def test_every_page_is_indonesian_for_every_role(role, demo_registry, client, monkeypatch):
    client.force_login(_user_for(role))
    recorder = UntranslatedRecorder()
    recorder.install(monkeypatch)
    opened = 0
    for page in _pages():
        recorder.page = page
        response = client.get(page)
        assert response.status_code < 500, page
        opened += response.status_code == 200
    assert opened > 5, "the walk opened almost nothing: is the role set up?"
    report = {msgid: sorted(pages)[:3] for msgid, pages in recorder.missing.items()}
    assert report == {}, "untranslated under LANGUAGE_CODE='id':\n" + "\n".join(
        f"  {msgid!r} on {pages}" for msgid, pages in sorted(report.items())
    )
