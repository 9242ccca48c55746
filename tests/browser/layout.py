"""Helpers for layout checks in a real browser: office screens are 1366 × 768.

Screenshots are kept as test artifacts in ``test-artifacts/`` (ignored by git; CI can upload
the folder) so a person can look at what the tests saw.
"""

from __future__ import annotations

import re
from pathlib import Path

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
OFFICE_SCREEN = {"width": 1366, "height": 768}

# Every table wider than the element holding it, and the page itself wider than the window.
OVERFLOW_JS = """
() => {
  const found = [];
  // Tables folded away in <details> count too: staff open them.
  for (const details of document.querySelectorAll("details")) details.open = true;
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1) {
    found.push(`page: ${doc.scrollWidth} > ${doc.clientWidth}`);
  }
  for (const table of document.querySelectorAll("table")) {
    if (!table.offsetParent) continue;  // hidden (e.g. a collapsed fieldset)
    const box = table.parentElement;
    if (table.scrollWidth > box.clientWidth + 1) {
      const holder = table.closest("[id]");
      const name = `${table.id || table.className} in #${holder ? holder.id : "?"}`;
      found.push(`table ${name}: ${table.scrollWidth} > ${box.clientWidth}`);
    }
  }
  return found;
}
"""


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def overflowing_tables(page) -> list[str]:
    return page.evaluate(OVERFLOW_JS)
