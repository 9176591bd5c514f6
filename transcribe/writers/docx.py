"""A Word document for line-by-line coding: one table row per numbered line, with a Codes column.

The rows are the page's numbered lines, so "p3, line 214" means the same words here as in the text
file. A4 landscape in Arial 10 pt (metric-compatible Liberation Sans in LibreOffice). The Text column
is as wide as the document's longest line, measured with Arial's own letter widths, so that no
numbered line wraps inside its row (which would hide the fixed width the line numbers rely on);
the Codes column beside it is narrower. The column header repeats on every printed page.
"""

from __future__ import annotations

import io
import unicodedata
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
CELL_PADDING_CM = 0.5  # Word's default left and right cell margins (0.38 cm) and a little more
HEADROOM = 1.03  # kerning and rounding in the word processor
PAGE_WIDTH, PAGE_HEIGHT, MARGIN = Cm(29.7), Cm(21.0), Cm(1.5)
COLUMNS = ("Line", "Speaker", "Text", "Codes")
MIN_WIDTHS = (Cm(1.2), Cm(2.0), Cm(4.0), Cm(6.0))  # the first three fit their bold column names
CODES_SHARE = 0.75  # the Codes column: at most this share of the Text column's width, never under its minimum
# Advance widths of Arial's printable ASCII characters (space to ~), in 1/2048 em: Arial's
# metrics, which Liberation Sans shares (read from LiberationSans-Regular.ttf and -Bold.ttf).
ASCII = "".join(chr(c) for c in range(32, 127))
REGULAR = dict(zip(ASCII, (
    569, 569, 727, 1139, 1139, 1821, 1366, 391, 682, 682, 797, 1196, 569, 682, 569, 569, 1139, 1139, 1139, 1139,
    1139, 1139, 1139, 1139, 1139, 1139, 569, 569, 1196, 1196, 1196, 1139, 2079, 1366, 1366, 1479, 1479, 1366, 1251,
    1593, 1479, 569, 1024, 1366, 1139, 1706, 1479, 1593, 1366, 1593, 1479, 1366, 1251, 1479, 1366, 1933, 1366, 1366,
    1251, 569, 569, 569, 961, 1139, 682, 1139, 1139, 1024, 1139, 1139, 569, 1139, 1139, 455, 455, 1024, 455, 1706,
    1139, 1139, 1139, 1139, 682, 1024, 569, 1139, 1024, 1479, 1024, 1024, 1024, 684, 532, 684, 1196)))
BOLD = dict(zip(ASCII, (
    569, 682, 971, 1139, 1139, 1821, 1479, 487, 682, 682, 797, 1196, 569, 682, 569, 569, 1139, 1139, 1139, 1139,
    1139, 1139, 1139, 1139, 1139, 1139, 682, 682, 1196, 1196, 1196, 1251, 1997, 1479, 1479, 1479, 1479, 1366, 1251,
    1593, 1479, 569, 1139, 1479, 1251, 1706, 1479, 1593, 1366, 1593, 1479, 1366, 1251, 1479, 1366, 1933, 1366, 1366,
    1251, 682, 569, 682, 1196, 1139, 682, 1139, 1251, 1139, 1251, 1139, 682, 1251, 1251, 569, 569, 1139, 569, 1821,
    1251, 1251, 1251, 1251, 797, 1139, 682, 1251, 1139, 1593, 1139, 1139, 1024, 797, 573, 797, 1196)))
EM = 2048


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


def text_width_cm(text: str, bold: bool = False) -> float:
    """The printed width of `text` in Arial 10 pt. An accented letter is as wide as its letter; any
    other character outside ASCII counts as one em, so a column is never too narrow for it."""
    widths = BOLD if bold else REGULAR
    units = 0
    for ch in text:
        base = unicodedata.normalize("NFKD", ch)[:1]
        units += widths.get(ch) or widths.get(base) or EM
    return units / EM * FONT_SIZE.pt * 2.54 / 72


def _widths(lines) -> list[Length]:
    """Number, speaker and text columns as wide as their content; the last (Codes, or Comments)
    column narrower than the text, in what the page leaves."""
    needed = [
        max((text_width_cm(str(line.number)) for line in lines), default=0),
        max((text_width_cm(f"{line.speaker}:", bold=True) for line in lines if line.speaker), default=0),
        max((text_width_cm(line.text) for line in lines), default=0),
    ]
    widths = [Length(max(Cm(cm * HEADROOM + CELL_PADDING_CM), least)) for cm, least in zip(needed, MIN_WIDTHS)]
    usable = PAGE_WIDTH - 2 * MARGIN
    widths[2] = Length(min(widths[2], usable - widths[0] - widths[1] - MIN_WIDTHS[3]))  # never off the page
    rest = usable - sum(widths)
    widths.append(Length(max(min(rest, int(widths[2] * CODES_SHARE)), MIN_WIDTHS[3])))
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
