"""One ``Document`` as PDF (reportlab), xlsx (XlsxWriter) or the HTML print view.

Why reportlab and not WeasyPrint: the SK attachment runs to ~16,000 rows (≈250 pages); drawing
them straight onto reportlab's canvas takes a few seconds on this machine, while laying out an
HTML table of that size is far slower, and reportlab needs no system libraries (pango/cairo)
on the server. Its ``invariant`` mode fixes the creation date and document ID, so the same
document gives the same bytes on every download. The HTML print view renders the same
``Document`` through a Django template, so screen, paper and PDF show the same rows.

Both files are deterministic: PDF via ``invariant=1``; xlsx (XlsxWriter) has fixed zip entry
times and gets the document's own date as its creation date.
"""

from __future__ import annotations

import datetime
import io
import os
from collections.abc import Callable

from django.template.loader import render_to_string

from .layout import Document, cell_text, page_line

PAGE_W, PAGE_H = 595.27, 841.89  # A4 portrait, points
MARGIN = 40
ROW_H = 10.5
FONT = "Helvetica"
BOLD = "Helvetica-Bold"


# Called as progress(rows done, rows in all) while the rows are written (background jobs).
Progress = Callable[[int, int], None]
PROGRESS_EVERY = 1000


class _Counter:
    """Counts written rows and reports every ``PROGRESS_EVERY`` of them."""

    def __init__(self, document: Document, progress: Progress | None):
        self.total = sum(len(t.rows) for t in document.tables)
        self.done = 0
        self.report = progress
        if progress is None:
            self.tick = _nothing

    def tick(self) -> None:
        self.done += 1
        if self.done % PROGRESS_EVERY == 0:
            self.report(self.done, self.total)


def _nothing() -> None:
    pass


# ---------------------------------------------------------------- PDF

# PDF string literal escapes for WinAnsi bytes: backslash, parentheses, and octal for bytes
# outside ASCII (reportlab writes the content stream as UTF-8, so raw high bytes would break).
_PDF_ESCAPES = {i: chr(i) for i in range(32, 127)}
_PDF_ESCAPES.update({92: "\\\\", 40: "\\(", 41: "\\)"})


def _pdf_string(raw: bytes) -> str:
    if raw.isascii() and not any(c in raw for c in b"\\()"):
        return raw.decode("ascii")
    return "".join(_PDF_ESCAPES.get(b) or f"\\{b:03o}" for b in raw)


class _Pdf:
    def __init__(self, document: Document, progress: Progress | None = None):
        from reportlab.pdfbase.pdfmetrics import stringWidth
        from reportlab.pdfgen import canvas

        self.stringWidth = stringWidth
        self.doc = document
        self.buffer = io.BytesIO()
        self.c = canvas.Canvas(
            self.buffer, pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1
        )
        self.c.setTitle(document.title)
        self.c.setSubject(document.number)
        self.c.setAuthor(document.letterhead["office"])
        self.c.setCreator("Siaga")
        self.page = 1
        self.y = PAGE_H - MARGIN
        self._width_tables: dict[str, list[float]] = {}
        self.progress = _Counter(document, progress)

    # -- page handling
    def footer(self):
        self.c.setFont(FONT, 7)
        self.c.drawString(MARGIN, MARGIN / 2, f"{self.doc.number}")
        self.c.drawRightString(PAGE_W - MARGIN, MARGIN / 2, page_line(self.page))

    def new_page(self):
        self.footer()
        self.c.showPage()
        self.page += 1
        self.y = PAGE_H - MARGIN

    def need(self, height: float, on_break=None):
        if self.y - height < MARGIN:
            self.new_page()
            if on_break:
                on_break()

    # -- blocks
    def letterhead(self):
        head = self.doc.letterhead
        c = self.c
        logo = head["logo"]
        if logo and os.path.exists(logo):
            c.drawImage(logo, MARGIN, self.y - 52, width=48, height=52, preserveAspectRatio=True)
        center = PAGE_W / 2
        c.setFont(BOLD, 12)
        c.drawCentredString(center, self.y - 12, head["government"].upper())
        c.setFont(BOLD, 14)
        c.drawCentredString(center, self.y - 28, head["office"].upper())
        c.setFont(FONT, 8)
        if head["address"]:
            c.drawCentredString(center, self.y - 41, head["address"])
        self.y -= 56
        c.setLineWidth(2)
        c.line(MARGIN, self.y, PAGE_W - MARGIN, self.y)
        c.setLineWidth(0.5)
        c.line(MARGIN, self.y - 3, PAGE_W - MARGIN, self.y - 3)
        self.y -= 18

    def title(self):
        c = self.c
        c.setFont(BOLD, 11)
        for line in self.doc.title_lines:
            c.drawCentredString(PAGE_W / 2, self.y, line)
            self.y -= 14
        c.setFont(FONT, 9)
        c.drawCentredString(PAGE_W / 2, self.y, self.doc.number_line)
        self.y -= 12
        for line in self.doc.subtitle:
            c.drawCentredString(PAGE_W / 2, self.y, line)
            self.y -= 12
        self.y -= 6

    def paragraphs(self, texts):
        from reportlab.lib.utils import simpleSplit

        for text in texts:
            for line in simpleSplit(text, FONT, 9, PAGE_W - 2 * MARGIN) or [""]:
                self.need(14)
                self.c.setFont(FONT, 9)
                self.c.drawString(MARGIN, self.y - 9, line)
                self.y -= 12
            self.y -= 4

    def _widths(self, font: str) -> list[float]:
        if font not in self._width_tables:
            from reportlab.pdfbase.pdfmetrics import getFont

            self._width_tables[font] = list(getFont(font).widths)
        return self._width_tables[font]

    def fit(self, text: str, width: float, font: str, size: float) -> tuple[bytes, float]:
        """WinAnsi bytes of ``text`` cut (with "..") to ``width``, and their width."""
        raw = text.encode("cp1252", "replace")
        table = self._widths(font)
        scale = size / 1000
        used = sum(table[b] for b in raw) * scale
        if used <= width:
            return raw, used
        dots = table[46] * 2 * scale
        while raw and used + dots > width:
            used -= table[raw[-1]] * scale
            raw = raw[:-1]
        return raw + b"..", used + dots

    def row(self, values, columns, font=FONT, size=7, texts=None):
        """One table row written straight into the page's content stream.

        A 16,000-row attachment is ~170,000 cells; reportlab's drawString costs ~30 µs a
        cell, this ~3 µs. Text is WinAnsi (Helvetica's encoding), escaped as PDF strings.
        """
        name = self.c._doc.getInternalFontName(font)
        parts = [f"BT {name} {size:g} Tf"]
        x = MARGIN
        baseline = self.y - ROW_H + 3
        for index, column in enumerate(columns):
            text = texts[index] if texts else cell_text(values[index], column)
            if text:
                raw, used = self.fit(text, column.width - 4, font, size)
                if column.align == "right":
                    left = x + column.width - 2 - used
                elif column.align == "center":
                    left = x + (column.width - used) / 2
                else:
                    left = x + 2
                escaped = _pdf_string(raw)
                parts.append(f"1 0 0 1 {left:.2f} {baseline:.2f} Tm ({escaped}) Tj")
            x += column.width
        parts.append("ET")
        self.c._code.append(" ".join(parts))
        self.y -= ROW_H

    def rule(self, weight=0.3):
        self.c.setLineWidth(weight)
        self.c.line(MARGIN, self.y, PAGE_W - MARGIN, self.y)

    def table(self, table):
        columns = table.columns

        def header():
            self.rule(0.6)
            self.row(None, columns, BOLD, 7, texts=table.labels)
            self.rule(0.6)

        self.need(ROW_H * 4)
        if table.heading:
            self.c.setFont(BOLD, 8.5)
            self.c.drawString(MARGIN, self.y - 9, table.heading)
            self.y -= 13
        header()
        tick = self.progress.tick
        for values in table.rows:
            self.need(ROW_H, header)
            self.row(values, columns)
            tick()
        if table.total is not None:
            self.need(ROW_H, header)
            self.rule(0.6)
            self.row(None, columns, BOLD, 7, texts=table.total_texts())
        self.rule(0.6)
        self.y -= 10

    def signatures(self):
        signers = self.doc.signers
        if not signers:
            return
        self.need(110)
        c = self.c
        width = (PAGE_W - 2 * MARGIN) / max(len(signers), 2)
        top = self.y
        for index, signer in enumerate(signers):
            x = PAGE_W - MARGIN - width * (len(signers) - index)
            y = top
            c.setFont(FONT, 9)
            if index == len(signers) - 1:
                c.drawString(x, y, self.doc.place_date)
            y -= 12
            for line in signer.role_lines:
                c.drawString(x, y, line)
                y -= 11
            y -= 48
            c.setFont(BOLD, 9)
            c.drawString(x, y, signer.name_line)
            c.line(x, y - 2, x + min(width - 10, 180), y - 2)
            c.setFont(FONT, 9)
            if signer.rank:
                y -= 11
                c.drawString(x, y, signer.rank)
            y -= 11
            c.drawString(x, y, signer.nip_line)
        self.y = top - 110

    def render(self) -> bytes:
        self.letterhead()
        self.title()
        self.paragraphs(self.doc.before)
        for table in self.doc.tables:
            self.table(table)
        self.paragraphs(self.doc.after)
        self.signatures()
        self.footer()
        self.c.showPage()
        self.c.save()
        return self.buffer.getvalue()


def to_pdf(document: Document, progress: Progress | None = None) -> bytes:
    return _Pdf(document, progress).render()


# ---------------------------------------------------------------- xlsx


def to_xlsx(document: Document, progress: Progress | None = None) -> bytes:
    """The document as one worksheet: letterhead, title, tables with totals, signatures.

    XlsxWriter in constant-memory mode writes ~16,000 rows in about a second (openpyxl takes
    several times longer). Its zip entries carry a fixed timestamp (1 January 1980); the
    document properties get the document's own date, so the same document gives the same bytes.
    """
    import xlsxwriter

    from importer.exports import safe_cell

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"constant_memory": True, "in_memory": True})
    stamp = datetime.datetime.combine(document.date, datetime.time())
    workbook.set_properties(
        {
            "title": document.title.replace("\n", " "),
            "subject": document.number,
            "author": document.letterhead["office"],
            "company": document.letterhead["government"],
            "created": stamp,
        }
    )
    sheet = workbook.add_worksheet(document.kind[:31])
    bold = workbook.add_format({"bold": True})
    big = workbook.add_format({"bold": True, "font_size": 13})
    header = workbook.add_format({"bold": True, "border": 1, "bg_color": "#E8E8E8"})
    money = workbook.add_format({"num_format": "#,##0"})
    money_bold = workbook.add_format({"num_format": "#,##0", "bold": True})
    date_format = workbook.add_format({"num_format": "dd-mm-yyyy"})
    widest = max(document.tables, key=lambda t: len(t.columns)) if document.tables else None
    width = len(widest.columns) if widest else 1
    if widest:
        for index, column in enumerate(widest.columns):
            sheet.set_column(index, index, max(6, column.width / 5.2))
    counter = _Counter(document, progress)
    row = 0

    def write_any(row, col, value, is_total):
        if isinstance(value, int) and not isinstance(value, bool):
            sheet.write_number(row, col, value, money_bold if is_total else money)
        elif isinstance(value, datetime.date):
            moment = datetime.datetime.combine(value, datetime.time())
            sheet.write_datetime(row, col, moment, date_format)
        elif is_total:
            sheet.write_string(row, col, safe_cell(str(value)), bold)
        else:
            sheet.write_string(row, col, safe_cell(str(value)))

    def line(value, fmt=None, col=0):
        nonlocal row
        if fmt is None:
            sheet.write_string(row, col, value)
        else:
            sheet.write_string(row, col, value, fmt)
        row += 1

    head = document.letterhead
    line(head["government"].upper(), big)
    line(head["office"].upper(), big)
    if head["address"]:
        line(head["address"])
    row += 1
    for text in document.title_lines:
        line(text, bold)
    line(document.number_line)
    for text in document.subtitle:
        line(text)
    row += 1
    for text in document.before:
        line(text)
    for table in document.tables:
        row += 1
        if table.heading:
            line(table.heading, bold)
        for col, label in enumerate(table.labels):
            sheet.write_string(row, col, label, header)
        row += 1
        # Body rows by exact type (bound methods, no format lookup per cell): ~16,000 rows
        # of ~10 cells each; the total row and any other type take the general path.
        write_number, write_string = sheet.write_number, sheet.write_string
        tick = counter.tick
        for values in table.rows:
            tick()
            for col, value in enumerate(values):
                kind = type(value)
                if kind is str:
                    if value:
                        write_string(row, col, safe_cell(value))
                elif kind is int:
                    write_number(row, col, value, money)
                elif value is not None:
                    write_any(row, col, value, False)
            row += 1
        if table.total is not None:
            for col, value in enumerate(table.total):
                if value is not None and value != "":
                    write_any(row, col, value, True)
            row += 1
    row += 1
    for text in document.after:
        line(text)
    if document.signers:
        col = max(width - 3, 0)
        row += 1
        line(document.place_date, col=col)
        for signer in document.signers:
            row += 1
            for text in signer.role_lines:
                line(text, col=col)
            row += 3
            line(signer.name_line, bold, col=col)
            if signer.rank:
                line(signer.rank, col=col)
            line(signer.nip_line, col=col)
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    workbook.close()
    return out.getvalue()


# ---------------------------------------------------------------- HTML print view


def to_html(document: Document, request=None) -> str:
    """The print view: the same ``Document`` and the same texts (``layout``) as the PDF."""
    return render_to_string(
        "approvals/document.html",
        {"document": document, "head": document.letterhead},
        request=request,
    )
