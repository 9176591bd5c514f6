"""A Word document for line-by-line coding: one table row per numbered line, with a Codes column.

The rows are the page's numbered lines, so "p3, line 214" means the same words here as in the text
file. A4 landscape in Arial 10 pt (metric-compatible Liberation Sans in LibreOffice) leaves room for
a wide Codes column beside the text; the column header repeats on every printed page.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, date, datetime
from typing import IO

from docx import Document as new_document
from docx.document import Document as WordDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Length, Pt
from docx.table import Table, _Cell

from .base import Document, Writer

FONT = "Arial"
FONT_SIZE = Pt(10)
CHAR_WIDTH_CM = 0.16  # Arial 10 pt prose averages 0.14 cm a character; the rest is headroom
CELL_PADDING_CM = 0.5  # Word's default left and right cell margins (0.38 cm) and a little more
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Cm(29.7), Cm(21.0), Cm(1.5)
COLUMNS = ("Line", "Speaker", "Text", "Codes")
MIN_WIDTHS = (Cm(1.2), Cm(2.0), Cm(4.0), Cm(6.0))  # the first three fit their bold column names


class DocxWriter(Writer):
    extension = "docx"
    binary = True

    def write(self, document: Document, file: IO) -> None:
        doc = new_document()
        _set_up(doc, document)
        numbered_table(doc, document.page.lines)
        buffer = io.BytesIO()
        doc.save(buffer)
        file.write(reproducible(buffer.getvalue()))


def numbered_table(doc: WordDocument, lines, columns: tuple[str, ...] = COLUMNS) -> Table:
    """The numbered lines (each with a number, a speaker or None, and a text) as a table: number,
    speaker and text columns as wide as their content, and an empty last column to write in."""
    table = doc.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.autofit = False
    widths = _widths(lines)
    for column, width in zip(table.columns, widths):
        column.width = width
    _header_row(table, widths, columns)
    for line in lines:
        cells = table.add_row().cells
        _fill(cells[0], str(line.number), widths[0], align=WD_ALIGN_PARAGRAPH.RIGHT)
        _fill(cells[1], f"{line.speaker}:" if line.speaker else "", widths[1], bold=True)
        _fill(cells[2], line.text, widths[2])
        cells[3].width = widths[3]
    return table


def reproducible(docx: bytes, parts: dict[str, bytes] | None = None) -> bytes:
    """The same document as the same bytes: zip entries get a fixed time instead of "now".
    `parts` replaces parts of the document or adds new ones (after the others)."""
    source = zipfile.ZipFile(io.BytesIO(docx))
    parts = dict(parts or {})
    content = {name: parts.pop(name) if name in parts else source.read(name) for name in source.namelist()}
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in {**content, **parts}.items():
            fixed = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
    return output.getvalue()


def _set_up(doc: WordDocument, document: Document) -> None:
    """Page, font, neutral document properties and the heading above the table."""
    title, *rest = document.header()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.left_margin = section.right_margin = section.top_margin = section.bottom_margin = MARGIN
    section.header.paragraphs[0].text = title  # every printed page names the interview
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, FONT_SIZE
    normal.paragraph_format.space_after = Pt(0)
    for style in ("Heading 1", "Header"):
        doc.styles[style].font.name = FONT
    properties = doc.core_properties
    properties.title, properties.author, properties.comments = title, "", ""  # no template author
    # The date of processing, not of rendering: re-rendering the same transcript gives the same file.
    processed = document.transcript.processed
    when = date.fromisoformat(processed) if processed else date(2000, 1, 1)
    properties.created = properties.modified = datetime(when.year, when.month, when.day, tzinfo=UTC)
    doc.add_paragraph(title, style="Heading 1")
    for text in rest + [f"Note: {note}" for note in document.transcript.notes]:
        doc.add_paragraph(text)
    doc.add_paragraph()


def _widths(lines) -> list[Length]:
    """Number, speaker and text columns as wide as their content; the last column gets the rest."""
    chars = [
        max((len(str(line.number)) for line in lines), default=1),
        max((len(line.speaker or "") + 1 for line in lines), default=1),
        max((len(line.text) for line in lines), default=1),
    ]
    widths = [Length(max(Cm(n * CHAR_WIDTH_CM + CELL_PADDING_CM), least)) for n, least in zip(chars, MIN_WIDTHS)]
    usable = PAGE_WIDTH - 2 * MARGIN
    widths.append(Length(max(usable - sum(widths), MIN_WIDTHS[3])))
    return widths


def _header_row(table: Table, widths: list[Length], columns: tuple[str, ...] = COLUMNS) -> None:
    row = table.rows[0]
    for cell, name, width in zip(row.cells, columns, widths):
        _fill(cell, name, width, bold=True)
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:fill"), "D9D9D9")
        cell._tc.get_or_add_tcPr().append(shading)
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(repeat)


def _fill(cell: _Cell, text: str, width: Length, *, bold: bool = False,
          align: WD_ALIGN_PARAGRAPH | None = None) -> None:
    cell.width = width
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    if text:
        paragraph.add_run(text).bold = bold
