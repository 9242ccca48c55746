"""One ``Document`` as PDF (reportlab), xlsx (openpyxl) or the HTML print view.

Why reportlab and not WeasyPrint: the SK attachment runs to ~16,000 rows (≈250 pages); drawing
them straight onto reportlab's canvas takes a few seconds on this machine, while laying out an
HTML table of that size is far slower, and reportlab needs no system libraries (pango/cairo)
on the server. Its ``invariant`` mode fixes the creation date and document ID, so the same
document gives the same bytes on every download. The HTML print view renders the same
``Document`` through a Django template, so screen, paper and PDF show the same rows.

Both files are deterministic: PDF via ``invariant=1``; xlsx by writing fixed document
properties and a fixed timestamp on every zip entry.
"""

from __future__ import annotations

import datetime
import io
import os
import re
import zipfile

from django.template.loader import render_to_string

from .layout import Column, Document, rupiah

FIXED_ZIP_TIME = (2020, 1, 1, 0, 0, 0)
PAGE_W, PAGE_H = 595.27, 841.89  # A4 portrait, points
MARGIN = 40
ROW_H = 10.5
FONT = "Helvetica"
BOLD = "Helvetica-Bold"


def cell_text(value, column: Column) -> str:
    if value is None or value == "":
        return ""
    if column.kind == "rupiah" and isinstance(value, int):
        return rupiah(value)
    if column.kind == "int" and isinstance(value, int):
        return rupiah(value)  # thousands dots, same as rupiah
    if isinstance(value, datetime.date):
        return value.strftime("%d-%m-%Y")
    return str(value)


# ---------------------------------------------------------------- PDF


class _Pdf:
    def __init__(self, document: Document):
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

    # -- page handling
    def footer(self):
        self.c.setFont(FONT, 7)
        self.c.drawString(MARGIN, MARGIN / 2, f"{self.doc.number}")
        self.c.drawRightString(PAGE_W - MARGIN, MARGIN / 2, f"Halaman {self.page}")

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
        for line in self.doc.title.split("\n"):
            c.drawCentredString(PAGE_W / 2, self.y, line.upper())
            self.y -= 14
        c.setFont(FONT, 9)
        c.drawCentredString(PAGE_W / 2, self.y, f"Nomor: {self.doc.number}")
        self.y -= 12
        for line in self.doc.subtitle:
            c.drawCentredString(PAGE_W / 2, self.y, line)
            self.y -= 12
        self.y -= 6

    def paragraphs(self, texts):
        from reportlab.lib.utils import simpleSplit

        for text in texts:
            for line in simpleSplit(text, FONT, 9, PAGE_W - 2 * MARGIN) or [""]:
                self.need(12)
                self.c.setFont(FONT, 9)
                self.c.drawString(MARGIN, self.y, line)
                self.y -= 12
            self.y -= 4

    def fit(self, text: str, width: float, font: str, size: float) -> str:
        if self.stringWidth(text, font, size) <= width:
            return text
        while text and self.stringWidth(text + "..", font, size) > width:
            text = text[:-1]
        return text + ".."

    def row(self, values, columns, font=FONT, size=7, texts=None):
        c = self.c
        c.setFont(font, size)
        x = MARGIN
        baseline = self.y - ROW_H + 3
        for index, column in enumerate(columns):
            text = texts[index] if texts else cell_text(values[index], column)
            if text:
                text = self.fit(text, column.width - 4, font, size)
                if column.align == "right":
                    c.drawRightString(x + column.width - 2, baseline, text)
                elif column.align == "center":
                    c.drawCentredString(x + column.width / 2, baseline, text)
                else:
                    c.drawString(x + 2, baseline, text)
            x += column.width
        self.y -= ROW_H

    def rule(self, weight=0.3):
        self.c.setLineWidth(weight)
        self.c.line(MARGIN, self.y, PAGE_W - MARGIN, self.y)

    def table(self, table):
        columns = table.columns

        def header():
            self.rule(0.6)
            self.row(None, columns, BOLD, 7, texts=[col.label for col in columns])
            self.rule(0.6)

        self.need(ROW_H * 4)
        if table.heading:
            self.c.setFont(BOLD, 8.5)
            self.c.drawString(MARGIN, self.y - 9, table.heading)
            self.y -= 13
        header()
        for values in table.rows:
            self.need(ROW_H, header)
            self.row(values, columns)
        if table.total is not None:
            self.need(ROW_H, header)
            self.rule(0.6)
            self.row(table.total, columns, BOLD, 7)
        self.rule(0.6)
        self.y -= 10

    def signatures(self):
        signers = self.doc.signers
        if not signers:
            return
        self.need(110)
        c = self.c
        head = self.doc.letterhead
        width = (PAGE_W - 2 * MARGIN) / max(len(signers), 2)
        top = self.y
        for index, signer in enumerate(signers):
            x = PAGE_W - MARGIN - width * (len(signers) - index)
            y = top
            c.setFont(FONT, 9)
            if index == len(signers) - 1:
                c.drawString(x, y, f"{head['place']}, {_tanggal(self.doc.date)}")
            y -= 12
            for line in signer.role.split("\n"):
                c.drawString(x, y, line)
                y -= 11
            y -= 48
            c.setFont(BOLD, 9)
            c.drawString(x, y, signer.name or "(...............................)")
            c.line(x, y - 2, x + min(width - 10, 180), y - 2)
            c.setFont(FONT, 9)
            if signer.rank:
                y -= 11
                c.drawString(x, y, signer.rank)
            y -= 11
            c.drawString(x, y, f"NIP. {signer.nip}" if signer.nip else "NIP. -")
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


def _tanggal(day):
    from .layout import tanggal

    return tanggal(day)


def to_pdf(document: Document) -> bytes:
    return _Pdf(document).render()


# ---------------------------------------------------------------- xlsx


def to_xlsx(document: Document) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    from importer.exports import safe_cell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(document.kind[:31])
    width = max((len(t.columns) for t in document.tables), default=1)
    widest = max(document.tables, key=lambda t: len(t.columns)) if document.tables else None
    if widest:
        for index, column in enumerate(widest.columns):
            letter = _letter(index)
            sheet.column_dimensions[letter].width = max(6, column.width / 5.2)
    bold = Font(bold=True)
    big = Font(bold=True, size=13)

    def styled(value, font):
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = font
        return cell

    head = document.letterhead
    sheet.append([styled(head["government"].upper(), big)])
    sheet.append([styled(head["office"].upper(), big)])
    if head["address"]:
        sheet.append([head["address"]])
    sheet.append([])
    for line in document.title.split("\n"):
        sheet.append([styled(line.upper(), bold)])
    sheet.append([f"Nomor: {document.number}"])
    for line in document.subtitle:
        sheet.append([line])
    sheet.append([])
    for text in document.before:
        sheet.append([text])
    for table in document.tables:
        sheet.append([])
        if table.heading:
            sheet.append([styled(table.heading, bold)])
        sheet.append([styled(col.label, bold) for col in table.columns])
        for values in table.rows:
            sheet.append([_xlsx_value(v, safe_cell) for v in values])
        if table.total is not None:
            sheet.append([styled(_xlsx_value(v, safe_cell), bold) for v in table.total])
    sheet.append([])
    for text in document.after:
        sheet.append([text])
    if document.signers:
        sheet.append([])
        sheet.append([None] * (width - 2) + [f"{head['place']}, {_tanggal(document.date)}"])
        for signer in document.signers:
            sheet.append([])
            for line in signer.role.split("\n"):
                sheet.append([None] * (width - 2) + [line])
            sheet.append([None] * (width - 2) + [styled(signer.name or "", bold)])
            if signer.rank:
                sheet.append([None] * (width - 2) + [signer.rank])
            sheet.append([None] * (width - 2) + [f"NIP. {signer.nip or '-'}"])
    stamp = datetime.datetime.combine(document.date, datetime.time())
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "Siaga"
    workbook.properties.title = document.title.replace("\n", " ")
    raw = io.BytesIO()
    workbook.save(raw)
    return _normalised_zip(raw.getvalue(), stamp)


def _letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def _xlsx_value(value, safe_cell):
    if isinstance(value, str):
        return safe_cell(value)
    return value


_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>[^<]*</dcterms:modified>")


def _normalised_zip(data: bytes, stamp: datetime.datetime) -> bytes:
    """The same workbook gives the same bytes: fixed entry times and modified date."""
    fixed = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = _MODIFIED.sub(
                    b'<dcterms:modified xsi:type="dcterms:W3CDTF">'
                    + fixed
                    + b"</dcterms:modified>",
                    body,
                )
            entry = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, body)
    return out.getvalue()


# ---------------------------------------------------------------- HTML print view


def to_html(document: Document, request=None) -> str:
    tables = [
        {
            "heading": t.heading,
            "columns": t.columns,
            "rows": [
                [cell_text(v, c) for v, c in zip(row, t.columns, strict=False)] for row in t.rows
            ],
            "total": [cell_text(v, c) for v, c in zip(t.total, t.columns, strict=False)]
            if t.total is not None
            else None,
        }
        for t in document.tables
    ]
    return render_to_string(
        "approvals/document.html",
        {"document": document, "head": document.letterhead, "tables": tables},
        request=request,
    )
