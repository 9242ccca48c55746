"""The page language: Indonesian unless the member of staff chose English (remembered per user).

Django's LocaleMiddleware follows the browser's Accept-Language, so a browser set to English
showed an English Siaga with no way back. Here the order is: the signed-in user's saved choice,
then this browser's choice before login (the language cookie), then ``LANGUAGE_CODE`` ("id").
The switch in every staff page's header posts to :func:`set_language`.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import StaffProfile

SESSION_KEY = "siaga_language"


def _valid(language: str | None) -> str | None:
    return language if language in dict(settings.LANGUAGES) else None


def language_for(request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        language = _valid(request.session.get(SESSION_KEY))
        if language is None:
            language = StaffProfile.language_of(user)
            request.session[SESSION_KEY] = language
        return language
    return _valid(request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)) or settings.LANGUAGE_CODE


class LanguageMiddleware:
    """Replaces django.middleware.locale.LocaleMiddleware; goes after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the language (POST) and remember it for the user and this browser."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    language = _valid(request.POST.get("language"))
    if language is None:
        return response
    if request.user.is_authenticated:
        StaffProfile.objects.update_or_create(user=request.user, defaults={"language": language})
        request.session[SESSION_KEY] = language
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response
