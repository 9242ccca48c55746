"""Real-browser tests: Playwright drives Debian's Chromium (never a downloaded browser).

Without Chromium these tests are skipped, unless SIAGA_REQUIRE_BROWSER=1 (as in .ci/run),
where a missing browser is a failure.
"""

import os

import pytest

# The session's Chromium (``browser``) and CHROMIUM live in tests/conftest.py: one
# Playwright instance for every test that drives the browser, wherever it is.
from tests.conftest import CHROMIUM  # noqa: E402,F401


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def page(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="id-ID")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def login(page):
    def login_as(user, password="rahasia-sekali-123"):
        page.goto("/admin/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("input[type=submit]")

    return login_as
