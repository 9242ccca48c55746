"""First page of each official PDF, as Chromium's PDF viewer shows it, kept as test artifacts
(test-artifacts/approvals/<kind>.png) for a reviewer to look at the layout."""

import pytest

from approvals import services
from approvals.documents import generate
from approvals.models import DocumentKind
from enrollment.models import Claim, ClaimType
from tests.enrollment.factories import PremiumInvoiceFactory
from tests.factories import HeirFactory

from .test_documents import ARTIFACTS

pytestmark = pytest.mark.browser


def test_first_page_of_every_pdf(browser, year, verified, verifikator, kabid):
    batch = services.batch_approve(
        batch=services.batch_prepare(program_year=year, user=verifikator), user=kabid
    )
    invoice = PremiumInvoiceFactory(program_year=year, month=2, participants_billed=5, amount=1)
    Claim.objects.create(
        enrollment=verified[0], claim_type=ClaimType.JKM, event_date="2024-03-01", fatal=True
    )
    HeirFactory(worker=verified[0].worker, birth_date="2012-01-01")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 900, "height": 1200})
    for kind, extra in [
        (DocumentKind.LAMPIRAN_SK, {"batch": batch}),
        (DocumentKind.BA_VERIFIKASI, {"batch": batch}),
        (DocumentKind.REKAP, {}),
        (DocumentKind.BA_REKONSILIASI, {"invoice": invoice}),
        (DocumentKind.LAPORAN_KLAIM, {}),
    ]:
        pdf = ARTIFACTS / f"{kind}.pdf"
        pdf.write_bytes(generate(kind, program_year=year, user=kabid, **extra).content)
        page.goto(pdf.as_uri())
        shot = ARTIFACTS / f"{kind}.png"
        # The viewer draws the page after load; on a loaded machine that takes a while.
        for _attempt in range(8):
            page.wait_for_timeout(1500)
            page.screenshot(path=str(shot))
            if shot.stat().st_size > 20_000:
                break
        assert shot.stat().st_size > 20_000, kind  # a drawn page, not a blank viewer
    page.close()
